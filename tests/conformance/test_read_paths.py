"""Reads as DynamoDB answers them: ProjectionExpression document paths (what a path into a map or
a list returns, which path pairs overlap or conflict), binary sort keys (unsigned byte order,
``begins_with`` on bytes 0xFF), reversed paging from an arbitrary ``ExclusiveStartKey``, and
duplicate keys in a batch.

Source of every row (``alternator: <file>::<test>``): ScyllaDB's Alternator tests in
scylladb/scylladb ``test/alternator/``, written and checked against real DynamoDB; the file and
test named in the row hold the request and DynamoDB's answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint

SOURCES = {"alternator"}
PROJECTION = "alternator: test_projection_expression.py::"

#: The item the projection rows read, in DynamoDB JSON:
#: ``{"d": {"b": [2, 4, {"x": "hi", "y": "yo"}], "c": 5}, "b": "hello"}`` (the tests'
#: ``a`` is ``d`` here, as ``a`` is the table's key).
DOC = {"M": {"b": {"L": [{"N": "2"}, {"N": "4"}, {"M": {"x": {"S": "hi"}, "y": {"S": "yo"}}}]}, "c": {"N": "5"}}}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


@dataclass(frozen=True)
class Projected:
    expression: str
    #: The returned ``Item`` (the key is not asked for).
    item: dict[str, Any]
    source: str


PROJECTIONS = [
    Projected("d.b", {"d": {"M": {"b": DOC["M"]["b"]}}}, PROJECTION + "test_projection_expression_path"),
    Projected("d.b[0]", {"d": {"M": {"b": {"L": [_n(2)]}}}}, PROJECTION + "test_projection_expression_path"),
    Projected("d.b[2].y", {"d": {"M": {"b": {"L": [{"M": {"y": {"S": "yo"}}}]}}}},
              PROJECTION + "test_projection_expression_path"),
    Projected("d.b[0],d.b[1]", {"d": {"M": {"b": {"L": [_n(2), _n(4)]}}}}, PROJECTION + "test_projection_expression_path"),
    Projected("d.b[0],d.c", {"d": {"M": {"b": {"L": [_n(2)]}, "c": _n(5)}}}, PROJECTION + "test_projection_expression_path"),
    Projected("d.c,b", {"d": {"M": {"c": _n(5)}}, "b": {"S": "hello"}}, PROJECTION + "test_projection_expression_path"),
    Projected("d.x, d.b[0], x, d.b[3].x", {"d": {"M": {"b": {"L": [_n(2)]}}}},
              PROJECTION + "test_projection_expression_path: missing paths are left out"),
    *(Projected(path, {}, PROJECTION + "test_projection_expression_path: a path that is not there")
      for path in ("x", "d.b[3]", "d.x.y", "d.b.x", "d[0]", "d.b[0].x", "d.b[0][0]")),
]


@pytest.fixture(scope="module")
def doc_key(endpoint: Endpoint, hash_table: str) -> str:
    key = "doc-" + secrets.token_hex(6)
    endpoint.client().put_item(TableName=hash_table, Item={"a": {"S": key}, "a.b": {"S": "dot"}, "d": DOC,
                                                           "b": {"S": "hello"}})
    return key


@pytest.mark.parametrize("row", PROJECTIONS, ids=[row.expression for row in PROJECTIONS])
def test_projection_of_document_paths(endpoint: Endpoint, hash_table: str, doc_key: str, row: Projected) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    got = endpoint.client().get_item(TableName=hash_table, Key={"a": {"S": doc_key}}, ProjectionExpression=row.expression)
    assert got["Item"] == row.item


def test_projection_of_a_name_with_a_dot(endpoint: Endpoint, hash_table: str, doc_key: str) -> None:
    """alternator: test_projection_expression.py::test_projection_expression_path_dot - a ``#name``
    is one attribute name even when it holds a dot."""
    got = endpoint.client().get_item(TableName=hash_table, Key={"a": {"S": doc_key}}, ProjectionExpression="#n",
                                     ExpressionAttributeNames={"#n": "a.b"})
    assert got["Item"] == {"a.b": {"S": "dot"}}


def test_projection_of_a_missing_item_has_no_item(endpoint: Endpoint, hash_table: str) -> None:
    """alternator: test_projection_expression.py::test_projection_expression_path - no item, no ``Item``."""
    got = endpoint.client().get_item(TableName=hash_table, Key={"a": {"S": "absent-" + secrets.token_hex(6)}},
                                     ProjectionExpression="x.y[0]")
    assert "Item" not in got


@pytest.mark.parametrize("expression, word", [
    *((e, "overlap") for e in ("x, x", "x.b, x.b", "x[1], x[1]", "x, x.b", "x.b, x", "x.b, x.b[2]", "x, x.b[2].c",
                               "x.b.d.e, x.b")),
    *((e, "conflict") for e in ("x.b, x[1]", "x[1], x.b", "x.b[1], x.b.c", "x.b.c, x.b[1]")),
])
def test_overlapping_or_conflicting_paths_are_refused(endpoint: Endpoint, hash_table: str, expression: str,
                                                       word: str) -> None:
    """alternator: test_projection_expression.py::test_projection_expression_path_overlap and
    ::test_projection_expression_path_conflict ("Invalid ProjectionExpression: Two document paths
    overlap|conflict with each other; must remove or rewrite one of these paths; ...")."""
    with pytest.raises(ClientError) as caught:
        endpoint.client().get_item(TableName=hash_table, Key={"a": {"S": "k"}}, ProjectionExpression=expression)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(f"Invalid ProjectionExpression: Two document paths {word} with each other")


@pytest.mark.parametrize("expression", ["x, y", "x.b, x.c", "x.b.d, x.b.e", "x[1], x[2]", "x.b, x.c[2]"])
def test_paths_that_only_share_a_prefix_are_accepted(endpoint: Endpoint, hash_table: str, expression: str) -> None:
    """alternator: test_projection_expression.py::test_projection_expression_path_overlap (the
    non-overlapping half)."""
    assert "Item" not in endpoint.client().get_item(TableName=hash_table, Key={"a": {"S": "absent"}},
                                                    ProjectionExpression=expression)


@pytest.fixture(scope="module")
def bytes_table(endpoint: Endpoint) -> str:
    """Keyed by ``p`` (S) and ``c`` (B)."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "B"}],
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
    )


@pytest.fixture(scope="module")
def byte_partition(endpoint: Endpoint, bytes_table: str) -> str:
    key = "bytes-" + secrets.token_hex(6)
    client = endpoint.client()
    for first in (1, 126, 127, 128, 255):
        client.put_item(TableName=bytes_table, Item={"p": {"S": key}, "c": {"B": bytes([first, 3])}})
    return key


@pytest.mark.parametrize("condition, values, firsts", [
    ("c < :c", {":c": bytes([127])}, [1, 126]),
    ("c >= :c", {":c": bytes([127])}, [127, 128, 255]),
    ("c BETWEEN :c AND :d", {":c": bytes([127]), ":d": bytes([128, 255])}, [127, 128]),
    ("begins_with(c, :c)", {":c": bytes([255])}, [255]),
])
def test_binary_sort_keys_compare_as_unsigned_bytes(endpoint: Endpoint, bytes_table: str, byte_partition: str,
                                                    condition: str, values: dict[str, bytes],
                                                    firsts: list[int]) -> None:
    """alternator: test_key_condition_expression.py::test_key_condition_expression_unsigned_bytes and
    test_key_conditions.py::test_key_conditions_bytes_begins_with_ff: byte 128 sorts after 127."""
    got = endpoint.client().query(
        TableName=bytes_table, KeyConditionExpression="p = :p AND " + condition,
        ExpressionAttributeValues={":p": {"S": byte_partition}, **{k: {"B": v} for k, v in values.items()}})
    assert [item["c"]["B"][0] for item in got["Items"]] == firsts


@pytest.fixture(scope="module")
def numbered_table(endpoint: Endpoint) -> str:
    """Keyed by ``p`` (S) and ``c`` (N), partition ``n`` holding c = 0, 2, ..., 38."""
    table = endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}],
    )
    endpoint.client().batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"p": {"S": "n"}, "c": _n(i)}}} for i in range(0, 40, 2)]})
    return table


@pytest.mark.parametrize("start, forward, expected", [
    (-3, True, [0, 2, 4, 6, 8]), (17, True, [18, 20, 22, 24, 26]), (34, True, [36, 38]),
    (17, False, [16, 14, 12, 10, 8]), (3, False, [2, 0]), (80, False, [38, 36, 34, 32, 30]),
])
def test_exclusive_start_key_need_not_be_an_item(endpoint: Endpoint, numbered_table: str, start: int, forward: bool,
                                                 expected: list[int]) -> None:
    """alternator: test_query.py::test_query_exclusivestartkey (any key in the partition, held or
    not, starts the page after it) and ::test_query_reverse_longish (the same backwards)."""
    got = endpoint.client().query(
        TableName=numbered_table, KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": {"S": "n"}},
        ExclusiveStartKey={"p": {"S": "n"}, "c": _n(start)}, Limit=5, ScanIndexForward=forward)
    assert [int(item["c"]["N"]) for item in got["Items"]] == expected


def test_batch_get_of_the_same_key_twice_is_refused(endpoint: Endpoint, range_table: str) -> None:
    """alternator: test_batch.py::test_batch_get_item_duplicate ("Provided list of item keys
    contains duplicates"); two keys sharing only the partition key are fine."""
    client = endpoint.client()
    key = {"a": {"S": "dup"}, "b": {"S": "1"}}
    with pytest.raises(ClientError) as caught:
        client.batch_get_item(RequestItems={range_table: {"Keys": [key, key]}})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "duplicates" in caught.value.response["Error"]["Message"]
    other = {"a": {"S": "dup"}, "b": {"S": "2"}}
    assert client.batch_get_item(RequestItems={range_table: {"Keys": [key, other]}})["Responses"] == {range_table: []}
