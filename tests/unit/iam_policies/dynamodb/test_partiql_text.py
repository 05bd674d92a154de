"""The statement text single-spaced (how ``webapp/backend/partiql_scope.py`` finds ``EXISTS``): the
same tokens, whitespace and comments as single spaces; and the plain projections of a SELECT."""

from __future__ import annotations

import pytest

from iam_policies.dynamodb.partiql import parse, single_spaced


@pytest.mark.parametrize(("text", "spaced"), [
    ('SELECT * FROM "T" WHERE\t"k" = \'a\'', 'SELECT * FROM "T" WHERE "k" = \'a\''),
    ('SELECT *\r\nFROM "T"  WHERE "k" = \'a\' -- note\n', 'SELECT * FROM "T" WHERE "k" = \'a\''),
    # inside literals and quoted names nothing changes
    ('SELECT * FROM "T" WHERE "k" = \'a\tb  c\'', 'SELECT * FROM "T" WHERE "k" = \'a\tb  c\''),
    ('SELECT * FROM "a  b" WHERE "k" = \'-- x\'', 'SELECT * FROM "a  b" WHERE "k" = \'-- x\''),
])
def test_single_spaced(text: str, spaced: str) -> None:
    assert single_spaced(text) == spaced


@pytest.mark.parametrize(("text", "projection"), [
    ('SELECT "title", body FROM "T"', ("title", "body")),
    ('SELECT * FROM "T"', None),
    ('SELECT a.b, c FROM "T"', None),
    ('SELECT a[0] FROM "T"', None),
])
def test_plain_projections(text: str, projection: tuple[str, ...] | None) -> None:
    assert parse(text).projection == projection
