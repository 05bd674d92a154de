"""The statement text the local engine gets (``webapp/backend/partiql_scope.py``): the same tokens,
whitespace and comments as single spaces, an index named ``"T.I"`` as moto names it."""

from __future__ import annotations

import pytest

from iam_policies.dynamodb.partiql import parse, replace_target, select_all, single_spaced


@pytest.mark.parametrize(("text", "spaced"), [
    ('SELECT * FROM "T" WHERE\t"k" = \'a\'', 'SELECT * FROM "T" WHERE "k" = \'a\''),
    ('SELECT *\r\nFROM "T"  WHERE "k" = \'a\' -- note\n', 'SELECT * FROM "T" WHERE "k" = \'a\''),
    # inside literals and quoted names nothing changes
    ('SELECT * FROM "T" WHERE "k" = \'a\tb  c\'', 'SELECT * FROM "T" WHERE "k" = \'a\tb  c\''),
    ('SELECT * FROM "a  b" WHERE "k" = \'-- x\'', 'SELECT * FROM "a  b" WHERE "k" = \'-- x\''),
])
def test_single_spaced(text: str, spaced: str) -> None:
    assert single_spaced(text) == spaced


@pytest.mark.parametrize(("text", "rewritten"), [
    ('SELECT * FROM "T"."I" WHERE "k" = \'a\'', 'SELECT * FROM "T.I" WHERE "k" = \'a\''),
    ('SELECT * FROM T.I WHERE k = \'FROM\'', 'SELECT * FROM "T.I" WHERE k = \'FROM\''),
    ('SELECT "from" FROM "T"."I"', 'SELECT "from" FROM "T.I"'),
])
def test_replace_target(text: str, rewritten: str) -> None:
    assert replace_target(text, '"T.I"') == rewritten


@pytest.mark.parametrize(("text", "rewritten"), [
    ('SELECT "title", body FROM "T" WHERE "k" = \'FROM\'', 'SELECT * FROM "T" WHERE "k" = \'FROM\''),
    ('SELECT "from" FROM "T"', 'SELECT * FROM "T"'),
])
def test_select_all(text: str, rewritten: str) -> None:
    assert select_all(text) == rewritten


@pytest.mark.parametrize(("text", "projection"), [
    ('SELECT "title", body FROM "T"', ("title", "body")),
    ('SELECT * FROM "T"', None),
    ('SELECT a.b, c FROM "T"', None),
    ('SELECT a[0] FROM "T"', None),
])
def test_plain_projections(text: str, projection: tuple[str, ...] | None) -> None:
    assert parse(text).projection == projection
