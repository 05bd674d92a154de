"""Paging through secondary indexes: sort-key conditions, start keys, both directions, and items
whose index keys are equal, as DynamoDB pages them.

Source of every row: architect/dynalite ``test/query.js`` (its tests were recorded against live
DynamoDB), the test named in the row, on dynalite's ``testRangeTable`` (``indexed_table``:
``index3`` is ``c`` ALL, ``index4`` is ``c``/``d`` INCLUDE ``e``). The items of a family are the
ones those tests write, each family with its own random ``c``; where a test of the family writes
fewer attributes than another (no ``d``, ``e`` or ``f``), the family's items carry them all and
the expected items are the same items with what the index projects (``index3`` all of it,
``index4`` the keys and ``e``): an attribute that is not a key does not move an item.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.conftest import Endpoint
from tests.conformance.test_query import indexed_table  # noqa: F401 - the module's table fixture

SOURCE = "dynalite: test/query.js::"

#: (a, b, d) of each family's items, numbered from 1 as in dynalite; item 5 has another ``c``.
FAMILIES: dict[str, list[tuple[str, str, str]]] = {
    "hash": [("a", "a", "a"), ("b", "b", "a"), ("c", "e", "a"), ("c", "d", "a"), ("c", "c", "a"),
             ("d", "a", "a"), ("e", "a", "a")],
    "range": [("a", "a", "f"), ("b", "b", "a"), ("c", "e", "b"), ("c", "d", "c"), ("c", "c", "d"),
              ("d", "a", "e"), ("e", "a", "f")],
    "equal": [("a", "a", "a"), ("b", "a", "a"), ("c", "a", "a"), ("c", "b", "a"), ("d", "a", "a"),
              ("d", "b", "a")],
}
#: The family whose item 5 keeps its own ``c`` (dynalite's ``item5``), out of the index partition.
OTHER_C = {"hash": 5, "range": 5}


@dataclass(frozen=True)
class Paged:
    name: str
    family: str
    index: str
    #: Members of the request besides ``TableName``, ``IndexName`` and the ``c`` condition;
    #: ``"d_lt"``: ``d LT`` item 1's ``d``; ``"start"``: item N's keys as ``ExclusiveStartKey``.
    request: dict[str, Any]
    items: list[int]
    last: int | None
    source: str


ROWS = [
    Paged("range condition", "range", "index4", {"d_lt": 1, "Limit": 3}, [2, 3, 4], 4,
          SOURCE + "should query on range global index"),
    Paged("range condition, descending", "range", "index4", {"d_lt": 1, "Limit": 3, "ScanIndexForward": False},
          [6, 4, 3], 3, SOURCE + "should query in reverse on range global index"),
    Paged("start key", "hash", "index3", {"start": 3, "Limit": 2}, [7, 6], 6,
          SOURCE + "should query with ExclusiveStartKey on basic hash global index"),
    Paged("start key, descending", "hash", "index3", {"start": 7, "Limit": 2, "ScanIndexForward": False}, [3, 1], 1,
          SOURCE + "should query in reverse with ExclusiveStartKey on basic hash global index"),
    Paged("range condition and start key", "range", "index4", {"d_lt": 1, "start": 3, "Limit": 1}, [4], 4,
          SOURCE + "should query with ExclusiveStartKey on range global index"),
    Paged("range condition and start key, descending", "range", "index4",
          {"d_lt": 1, "start": 4, "Limit": 1, "ScanIndexForward": False}, [3], 3,
          SOURCE + "should query in reverse with ExclusiveStartKey on range global index"),
    Paged("equal sort keys after a start key", "equal", "index4", {"start": 1}, [5, 2, 3, 6, 4], None,
          SOURCE + "should query on a global index if values are equal"),
]


def _items(family: str, c: str) -> list[dict[str, Any]]:
    out = []
    for number, (a, b, d) in enumerate(FAMILIES[family], start=1):
        item = {"a": {"S": a}, "b": {"S": b}, "c": {"S": c if OTHER_C.get(family) != number else "c"}, "d": {"S": d}}
        if family != "equal":
            item.update(e={"S": "a"}, f={"S": "a"})
        out.append(item)
    return out


def _projected(index: str, item: dict[str, Any]) -> dict[str, Any]:
    return item if index == "index3" else {k: v for k, v in item.items() if k != "f"}


def _keys(index: str, item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("a", "b", "c", "d") if k != "d" or index == "index4"}


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_index_pages_as_dynamodb_pages_them(endpoint: Endpoint, indexed_table: str, row: Paged) -> None:  # noqa: F811
    assert row.source.startswith(SOURCE)
    client = endpoint.client()
    c = "page-" + secrets.token_hex(6)
    items = _items(row.family, c)
    for item in items:
        client.put_item(TableName=indexed_table, Item=item)
    conditions: dict[str, Any] = {"c": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": c}]}}
    request: dict[str, Any] = {"TableName": indexed_table, "IndexName": row.index, "KeyConditions": conditions,
                               "ReturnConsumedCapacity": "INDEXES"}
    for name, value in row.request.items():
        if name == "d_lt":
            conditions["d"] = {"ComparisonOperator": "LT", "AttributeValueList": [items[value - 1]["d"]]}
        elif name == "start":
            request["ExclusiveStartKey"] = _keys(row.index, items[value - 1])
        else:
            request[name] = value
    got = client.query(**request)
    assert got["Items"] == [_projected(row.index, items[n - 1]) for n in row.items]
    assert (got["Count"], got["ScannedCount"]) == (len(row.items), len(row.items))
    assert got.get("LastEvaluatedKey") == (None if row.last is None else _keys(row.index, items[row.last - 1]))
    assert got["ConsumedCapacity"] == {"TableName": indexed_table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                                       "GlobalSecondaryIndexes": {row.index: {"CapacityUnits": 0.5}}}
