"""The demo users' directory keys are the ones the page computes (docs/data-model.md, "Player
directory"): ``webapp/demo.py`` ``name_key`` against the same cases as ``static/test/keys.test.mjs``
(``directoryKeys``), so a seeded user is found by the page's prefix Query."""

from __future__ import annotations

import pytest

from webapp.demo import name_key

# (display name, NameKey): the rows of keys.test.mjs "directory keys: ..."
CASES = [("  Ｂob   the\tBuilder ", "bob the builder"), ("Émile", "émile"), ("Bob", "bob")]


@pytest.mark.parametrize(("display_name", "key"), CASES)
def test_name_key_is_what_the_page_computes(display_name: str, key: str) -> None:
    assert name_key(display_name) == key
