"""Query and Scan: filters (expressions and the legacy ``QueryFilter``/``ScanFilter``), ``Limit``,
``Select: COUNT`` and ``LastEvaluatedKey`` as DynamoDB answers them.

Sources (``source`` of each row):

* ``dg-query``: Developer Guide, "Querying tables" - "Filter expressions for Query" ("A filter
  expression is applied after a Query finishes, but before the results are returned") and
  "Limiting the number of items in the result set" ("the Limit ... is the maximum number of
  items to evaluate (not necessarily the number of matching items)")
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html);
* ``api-query`` / ``api-scan``: API Reference, Query / Scan (``QueryFilter``, ``ConditionalOperator``,
  ``Select``: "COUNT - Returns the number of matching items, rather than the matching items
  themselves", ``LastEvaluatedKey``);
* ``api-condition``: API Reference, Condition ("If an item contains an AttributeValue element of
  a different type than the one provided in the request, the value does not match").
* ``alternator``: ScyllaDB's test/alternator/test_query_filter.py, checked against DynamoDB
  (``test_query_filter_eq``: EQ and NE take lists, maps and booleans too).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.conftest import Endpoint

SOURCES = {"dg-query", "api-query", "api-scan", "api-condition", "issue13", "alternator"}


@pytest.fixture(scope="module")
def partition(endpoint: Endpoint, range_table: str) -> str:
    """20 items in one partition of the range table: ``b`` = 00..19, ``n`` = the number, ``t``
    'even'/'odd', and for the first five ``mixed`` a number, for the rest a string."""
    client = endpoint.client()
    key = "qs-" + secrets.token_hex(6)
    for i in range(20):
        client.put_item(TableName=range_table, Item={
            "a": {"S": key}, "b": {"S": f"{i:02d}"}, "n": {"N": str(i)},
            "t": {"S": "even" if i % 2 == 0 else "odd"},
            "mixed": {"N": str(i)} if i < 5 else {"S": f"s{i}"},
        })
    return key


@dataclass(frozen=True)
class Read:
    id: str
    operation: str
    #: Besides TableName and the partition's key condition.
    request: dict[str, Any]
    #: The ``b`` of every item returned, over all pages, in order.
    returned: list[str]
    #: Pages until no LastEvaluatedKey (a last empty page included).
    pages: int
    source: str
    #: (Count, ScannedCount) of the first page, when checked.
    first_counts: tuple[int, int] | None = None


def _bs(*numbers: int) -> list[str]:
    return [f"{i:02d}" for i in numbers]


ALL = list(range(20))
ROWS = [
    Read("limit-before-filter", "Query", {"Limit": 10, "FilterExpression": "attribute_exists(n)"},
         _bs(*ALL), 2 + 1, "dg-query: Limit counts items evaluated, before the filter", (10, 10)),
    Read("limit-equal-matches", "Query", {"Limit": 20}, _bs(*ALL), 2,
         "api-query: LastEvaluatedKey when Limit stopped the read, even at the end"),
    Read("filter-counts", "Query", {"Limit": 4, "FilterExpression": "t = :even",
                                    "ExpressionAttributeValues": {":even": {"S": "even"}}},
         _bs(*range(0, 20, 2)), 5 + 1, "dg-query: Count after the filter, ScannedCount before", (2, 4)),
    Read("queryfilter-and", "Query", {"QueryFilter": {
        "n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "10"}]},
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "odd"}]}}},
         _bs(11, 13, 15, 17, 19), 1, "api-query: QueryFilter conditions are ANDed by default"),
    Read("queryfilter-or", "Query", {"ConditionalOperator": "OR", "QueryFilter": {
        "n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "2"}]},
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "odd"}]}}},
         _bs(0, *range(1, 20, 2)), 1, "api-query: ConditionalOperator OR, each item once"),
    Read("queryfilter-limit", "Query", {"Limit": 10, "QueryFilter": {
        "n": {"ComparisonOperator": "NOT_NULL"}}}, _bs(*ALL), 2 + 1,
         "dg-query: Limit before the legacy filter too"),
    Read("mixed-types-lt", "Query", {"QueryFilter": {
        "mixed": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "3"}]}}}, _bs(0, 1, 2), 1,
         "api-condition: another type does not match (no error)"),
    Read("mixed-types-between", "Query", {"FilterExpression": "mixed BETWEEN :low AND :high",
                                          "ExpressionAttributeValues": {":low": {"S": "s10"}, ":high": {"S": "s12"}}},
         _bs(10, 11, 12), 1, "api-condition: BETWEEN of strings skips numbers"),
    Read("queryfilter-eq-list", "Query", {"QueryFilter": {
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": [{"S": "odd"}]}]}}}, [], 1,
         "alternator: EQ takes a list (and, here, a string is not equal to it)"),
    Read("queryfilter-ne-map", "Query", {"QueryFilter": {
        "t": {"ComparisonOperator": "NE", "AttributeValueList": [{"M": {"t": {"S": "odd"}}}]}}}, _bs(*ALL), 1,
         "alternator: NE takes a map (a string is never equal to it)"),
    Read("filter-on-unprojected", "Query", {"FilterExpression": "n = :n", "ProjectionExpression": "b",
                                            "ExpressionAttributeValues": {":n": {"N": "7"}}},
         _bs(7), 1, "dg-query: the filter sees attributes the projection leaves out"),
]


def test_key_conditions_as_dynamodb_accepts_them(endpoint: Endpoint, range_table: str, partition: str) -> None:
    """issue13: real DynamoDB accepts a reversed key condition (``:p = a``, ``:low < b``) and
    legacy ``KeyConditions`` with ``FilterExpression``/``ProjectionExpression``."""
    client = endpoint.client()
    reversed_ = client.query(TableName=range_table, KeyConditionExpression=":p = a AND :low < b",
                             ExpressionAttributeValues={":p": {"S": partition}, ":low": {"S": "17"}})
    assert [item["b"]["S"] for item in reversed_["Items"]] == ["18", "19"]
    mixed = client.query(TableName=range_table, ProjectionExpression="b", FilterExpression="n < :n",
                         KeyConditions={"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": partition}]},
                                        "b": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "0"}]}},
                         ExpressionAttributeValues={":n": {"N": "3"}})
    assert mixed["Items"] == [{"b": {"S": "00"}}, {"b": {"S": "01"}}, {"b": {"S": "02"}}]


def _pages(client: Any, table: str, partition: str, row: Read) -> tuple[list[dict[str, Any]], list[str]]:
    pages: list[dict[str, Any]] = []
    returned: list[str] = []
    request: dict[str, Any] = {"TableName": table, **row.request}
    if row.operation == "Query":
        if "QueryFilter" in request:
            request["KeyConditions"] = {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": partition}]}}
        else:
            request["KeyConditionExpression"] = "a = :p"
            request["ExpressionAttributeValues"] = {**request.get("ExpressionAttributeValues", {}),
                                                    ":p": {"S": partition}}
    while True:
        page = client.query(**request) if row.operation == "Query" else client.scan(**request)
        pages.append(page)
        returned += [item["b"]["S"] for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page or len(pages) > 30:
            return pages, returned
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_query(endpoint: Endpoint, range_table: str, partition: str, row: Read) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    pages, returned = _pages(endpoint.client(), range_table, partition, row)
    assert returned == row.returned
    assert len(pages) == row.pages
    if row.first_counts is not None:
        assert (pages[0]["Count"], pages[0]["ScannedCount"]) == row.first_counts
    for page in pages:
        assert page["Count"] == len(page.get("Items", []))


def test_select_count_returns_no_items(endpoint: Endpoint, range_table: str, partition: str) -> None:
    """api-scan / api-query ``Select: COUNT``: the number of matching items, not the items."""
    client = endpoint.client()
    page = client.query(TableName=range_table, KeyConditionExpression="a = :p", Select="COUNT",
                        FilterExpression="t = :odd",
                        ExpressionAttributeValues={":p": {"S": partition}, ":odd": {"S": "odd"}})
    assert "Items" not in page
    assert (page["Count"], page["ScannedCount"]) == (10, 20)


def test_scan_filter_over_mixed_types(endpoint: Endpoint, range_table: str, partition: str) -> None:
    """api-condition: a legacy ``ScanFilter`` comparison with items holding the attribute with
    another type simply does not match them (never a TypeError)."""
    client = endpoint.client()
    found = []
    request: dict[str, Any] = {"TableName": range_table, "ScanFilter": {
        "a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": partition}]},
        "mixed": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "1"}]}}}
    while True:
        page = client.scan(**request)
        found += sorted(item["b"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert sorted(found) == _bs(10, 11, 12, 13, 14, 15, 16, 17, 18, 19)


@pytest.fixture(scope="module")
def lsi_table(endpoint: Endpoint) -> str:
    """Keyed by ``a``/``b`` with a KEYS_ONLY local secondary index ``byC`` on ``c``."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("a", "b", "c")],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "byC", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                                              {"AttributeName": "c", "KeyType": "RANGE"}]}],
    )


@pytest.mark.parametrize("request_, returned", [
    ({}, {"a", "b", "c"}),
    ({"Select": "ALL_ATTRIBUTES"}, {"a", "b", "c", "extra"}),
    ({"ProjectionExpression": "b, extra"}, {"b", "extra"}),
])
def test_local_index_fetches_unprojected_attributes(endpoint: Endpoint, lsi_table: str, request_: dict[str, Any],
                                                    returned: set[str]) -> None:
    """dg-query / Developer Guide, "Local secondary indexes" (Projected attributes): "If any of
    the requested attributes are not projected into the local secondary index, DynamoDB fetches
    each of these attributes from the base table" - for a KEYS_ONLY index too."""
    client = endpoint.client()
    key = "lsi-" + secrets.token_hex(6)
    client.put_item(TableName=lsi_table, Item={"a": {"S": key}, "b": {"S": "1"}, "c": {"S": "x"}, "extra": {"N": "7"}})
    page = client.query(TableName=lsi_table, IndexName="byC", KeyConditionExpression="a = :p",
                        ExpressionAttributeValues={":p": {"S": key}}, **request_)
    assert [set(item) for item in page["Items"]] == [returned]


def test_local_index_filter_sees_the_table(endpoint: Endpoint, lsi_table: str) -> None:
    """A filter on an attribute the LSI does not project reads it from the table (same page)."""
    client = endpoint.client()
    key = "lsi-" + secrets.token_hex(6)
    for b, extra in (("1", "7"), ("2", "8")):
        client.put_item(TableName=lsi_table, Item={"a": {"S": key}, "b": {"S": b}, "c": {"S": b}, "extra": {"N": extra}})
    page = client.query(TableName=lsi_table, IndexName="byC", KeyConditionExpression="a = :p",
                        FilterExpression="extra = :e",
                        ExpressionAttributeValues={":p": {"S": key}, ":e": {"N": "8"}})
    assert page["Items"] == [{"a": {"S": key}, "b": {"S": "2"}, "c": {"S": "2"}}]


@pytest.mark.parametrize("kind, key, segment", [
    ("S", "3635", 0), ("S", "228", 0), ("S", "1668", 1), ("S", "3435", 4),
    ("N", "251", 1), ("N", "2388", 4095),
])
def test_parallel_scan_segment_as_dynamodb(endpoint: Endpoint, kind: str, key: str, segment: int) -> None:
    """dynalite test/scan.js, "should return items from correct string/number hash segments"
    (checked against live DynamoDB): with TotalSegments 4096 each key is in exactly this segment."""
    table = _segment_tables(endpoint, kind)
    client = endpoint.client()
    client.put_item(TableName=table, Item={"a": {kind: key}})
    found = [s for s in (segment - 1, segment, segment + 1) if 0 <= s < 4096 and
             {"a": {kind: key}} in client.scan(TableName=table, Segment=s, TotalSegments=4096)["Items"]]
    assert found == [segment]


_SEGMENT_TABLES: dict[str, str] = {}


def _segment_tables(endpoint: Endpoint, kind: str) -> str:
    if kind not in _SEGMENT_TABLES:
        _SEGMENT_TABLES[kind] = endpoint.create_table(
            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": kind}],
            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    return _SEGMENT_TABLES[kind]


@pytest.mark.parametrize("projection, expected", [
    ("l[3], l[1]", {"l": {"L": [{"S": "1"}, {"S": "3"}]}}),
    ("l[2].b, m.y", {"l": {"L": [{"M": {"b": {"N": "2"}}}]}, "m": {"M": {"y": {"N": "2"}}}}),
    ("nothing", {}),
])
def test_get_item_projection(endpoint: Endpoint, hash_table: str, projection: str, expected: dict[str, Any]) -> None:
    """Developer Guide, "Projection expressions": nested paths keep their structure; list
    elements keep their order; an existing item with none of the attributes is ``Item: {}``
    (ScyllaDB Alternator's test_projection_expression.py, test_projection_expression_path, run
    against DynamoDB)."""
    client = endpoint.client()
    key = {"a": {"S": "proj-" + secrets.token_hex(6)}}
    client.put_item(TableName=hash_table, Item={**key, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, "l": {"L": [
        {"S": "0"}, {"S": "1"}, {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}, {"S": "3"}]}})
    assert client.get_item(TableName=hash_table, Key=key, ProjectionExpression=projection)["Item"] == expected


@pytest.mark.parametrize("kind, keys, expected", [
    ("S", [str(i) for i in range(10)] + ["aardman", "hello", "zapf", "äáöü"],
     ["2", "8", "9", "1", "6", "hello", "0", "5", "4", "äáöü", "aardman", "7", "3", "zapf"]),
    ("N", [str(i) for i in range(10)] + ["-0.09", "999.9", "0.012345", "-999.9"],
     ["7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0", "0.012345", "5"]),
])
def test_scan_walks_the_table_in_dynamodbs_order(endpoint: Endpoint, kind: str, keys: list[str],
                                                 expected: list[str]) -> None:
    """dynalite test/scan.js, "should return items in string/number hash order" (checked against
    DynamoDB): a Scan returns items by the hash of their partition key, page after page."""
    table = _segment_tables(endpoint, kind)
    client = endpoint.client()
    tag = {"S": "order-" + secrets.token_hex(6)}
    for key in keys:
        client.put_item(TableName=table, Item={"a": {kind: key}, "b": tag})
    found: list[str] = []
    request: dict[str, Any] = {"TableName": table, "Limit": 5, "FilterExpression": "b = :b",
                               "ExpressionAttributeValues": {":b": tag}}
    while True:
        page = client.scan(**request)
        found += [item["a"][kind] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert found == expected


def test_local_index_fetch_reads_the_table_too(endpoint: Endpoint, lsi_table: str) -> None:
    """Developer Guide, "Local secondary indexes" (Provisioned throughput considerations): asking
    a KEYS_ONLY index for every attribute reads the index entry and the table's item, each
    charged on its own; dynalite query.js, "should return all attributes when specified for
    secondary indexes" (Table 3 units beside the index's 1, recorded against DynamoDB)."""
    client = endpoint.client()
    key = "lsi-" + secrets.token_hex(6)
    client.put_item(TableName=lsi_table, Item={"a": {"S": key}, "b": {"S": "1"}, "c": {"S": "x"},
                                               "extra": {"S": "e" * 5000}})
    page = client.query(TableName=lsi_table, IndexName="byC", KeyConditionExpression="a = :p", ConsistentRead=True,
                        ExpressionAttributeValues={":p": {"S": key}}, Select="ALL_ATTRIBUTES",
                        ReturnConsumedCapacity="INDEXES")
    assert page["Items"][0]["extra"] == {"S": "e" * 5000}
    assert page["ConsumedCapacity"]["Table"] == {"CapacityUnits": 2.0}  # a 5 KB item, strongly consistent
    assert page["ConsumedCapacity"]["LocalSecondaryIndexes"] == {"byC": {"CapacityUnits": 1.0}}
    assert page["ConsumedCapacity"]["CapacityUnits"] == 3.0
