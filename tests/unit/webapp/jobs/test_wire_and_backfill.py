"""Items survive the file format; a backfill's update writes only the difference, conditionally."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.jobs.backfill import parse_set, same_item, set_and_remove, update_request
from webapp.jobs.checkpoint import JobError
from webapp.jobs.importer import _batches
from webapp.jobs.wire import from_json, json_lines, to_json

scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=5)),
    st.builds(lambda n: {"N": str(n)}, st.integers()),
    st.builds(lambda b: {"B": b}, st.binary(max_size=5)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(min_size=1, max_size=3), min_size=1, max_size=3)),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
    st.builds(lambda v: {"M": v}, st.dictionaries(st.text(max_size=3), inner, max_size=3)),
), max_leaves=8)
items = st.dictionaries(st.text(min_size=1, max_size=4), values, max_size=5)


@given(items)
def test_an_item_survives_the_file_format(item: dict) -> None:
    line = json.dumps({"Item": to_json(item)})
    assert from_json(json.loads(line)["Item"]) == item


@given(st.lists(items, max_size=4), st.booleans())
def test_a_page_is_written_line_by_line_as_each_item_converted(page: list[dict], raw: bool) -> None:
    """Items read raw (DynamoDB JSON, binaries base64 already) or parsed by botocore (bytes): the
    same lines as ``{"Item": to_json(item)}`` each (ASCII JSON, one per line)."""
    given_items = [to_json(item) for item in page] if raw else page
    expected = b"".join(json.dumps({"Item": to_json(item)}, separators=(",", ":")).encode() + b"\n"
                        for item in page)
    assert json_lines(given_items) == expected


def test_binaries_are_base64_in_files() -> None:
    assert to_json({"b": {"B": b"\x01"}, "l": {"L": [{"BS": [b"z"]}]}}) == {
        "b": {"B": "AQ=="}, "l": {"L": [{"BS": ["eg=="]}]}}


def test_update_sets_and_removes_only_the_difference_under_the_whole_old_item() -> None:
    old = {"pk": {"S": "a"}, "keep": {"N": "1"}, "drop": {"S": "x"}, "change": {"S": "old"}}
    new = {"pk": {"S": "a"}, "keep": {"N": "1.0"}, "change": {"S": "new"}, "add": {"BOOL": True}}
    request = update_request("T", ("pk",), old, new)
    names, values = request["ExpressionAttributeNames"], request["ExpressionAttributeValues"]
    update = request["UpdateExpression"]
    set_part, remove_part = update.split(" REMOVE ")
    assert sorted(names[p.split(" = ")[0]] for p in set_part.removeprefix("SET ").split(", ")) == ["add", "change"]
    assert [names[p] for p in remove_part.split(", ")] == ["drop"]
    conditions = request["ConditionExpression"].split(" AND ")
    assert sorted((names[c.split(" = ")[0]], json.dumps(values[c.split(" = ")[1]])) for c in conditions) == sorted(
        (name, json.dumps(value)) for name, value in old.items())
    assert request["Key"] == {"pk": {"S": "a"}}


def test_sets_and_numbers_compare_as_dynamodb_does() -> None:
    assert same_item({"s": {"SS": ["a", "b"]}, "n": {"N": "1.50"}}, {"s": {"SS": ["b", "a"]}, "n": {"N": "1.5"}})
    assert not same_item({"s": {"SS": ["a"]}}, {"s": {"S": "a"}})


def test_set_values_are_json() -> None:
    assert parse_set('Plan="free"') == ("Plan", "free")
    assert parse_set("Score=1.5") == ("Score", Decimal("1.5"))
    assert set_and_remove({"a": 1}, ["b"])({"b": 2, "c": 3}) == {"a": 1, "c": 3}
    for bad in ["Plan=free", "=1", "Plan"]:
        with pytest.raises(JobError):
            parse_set(bad)


def test_import_batches_hold_25_items_and_no_key_twice() -> None:
    lines = [{"pk": {"S": str(n % 30)}} for n in range(60)]
    batches = list(_batches(iter(lines), ("pk",)))
    assert all(len(b) <= 25 for b in batches)
    assert all(len({b2["pk"]["S"] for b2 in b}) == len(b) for b in batches)
    assert [item for batch in batches for item in batch] == lines  # order kept: the later line wins
