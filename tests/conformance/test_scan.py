"""Scan: deserialization, constraints and its own rules (segments, legacy filters, starting keys
checked against the table); Query's rows are in ``test_query.py``.

Sources: API Reference "Scan", "Query", "Condition"; Developer Guide "Parallel scan" and "Legacy
conditional parameters"; dynalite test/scan.js, test/query.js and validations/scan.js, query.js
(texts recorded live).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
SCAN = "dynalite: scan.js"
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"


def _filter(operator: str, *values: dict[str, str]) -> dict[str, object]:
    return {"a": {"ComparisonOperator": operator, "AttributeValueList": list(values)}}


ROWS = [
    Row("Scan: Segment as a string", "Scan", {"Segment": "1"}, 400, SERIALIZATION,
        "STRING_VALUE cannot be converted to Integer", "dynalite: helpers.js assertType Integer"),
    Row("Scan: ScanFilter as a list", "Scan", {"ScanFilter": []}, 400, SERIALIZATION,
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.Condition>", "dynalite: helpers.js assertType Map"),
    Row("Scan: bad enums and limits", "Scan",
        {"TableName": "abc;", "Limit": 0, "Select": "hi", "Segment": -1, "TotalSegments": 0}, 400, VALIDATE,
        ("Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
         "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value set: "
         "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
         "Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0",
         "Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal "
         "to 1", "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular "
         "expression pattern: [a-zA-Z0-9_.-]+"), SCAN),
    Row("Scan: Segment without TotalSegments", "Scan", {"TableName": "abc", "Segment": 1}, 400, VALIDATE,
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is "
        "present", SCAN),
    Row("Scan: TotalSegments without Segment", "Scan", {"TableName": "abc", "TotalSegments": 1}, 400, VALIDATE,
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is "
        "present", SCAN),
    Row("Scan: Segment not below TotalSegments", "Scan", {"TableName": "abc", "Segment": 1, "TotalSegments": 1},
        400, VALIDATE, "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 1 is not less than TotalSegments: 1", SCAN),
    Row("Scan: BETWEEN with one value", "Scan", {"TableName": "abc", "ScanFilter": _filter("BETWEEN", {"S": "a"})},
        400, VALIDATE, INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator", SCAN),
    Row("Scan: NULL with a value", "Scan", {"TableName": "abc", "ScanFilter": _filter("NULL", {"S": "a"})},
        400, VALIDATE, INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator", SCAN),
    Row("Scan: values of two types", "Scan",
        {"TableName": "abc", "ScanFilter": _filter("IN", {"S": "a"}, {"N": "1"})}, 400, VALIDATE,
        INVALID + "AttributeValues inside AttributeValueList must be of same type", SCAN),
    Row("Scan: BEGINS_WITH a number", "Scan", {"TableName": "abc", "ScanFilter": _filter("BEGINS_WITH", {"N": "1"})},
        400, VALIDATE, INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type", SCAN),
    Row("Scan: empty starting key value", "Scan", {"TableName": "abc", "ExclusiveStartKey": {"a": {}}}, 400,
        VALIDATE, "The provided starting key is invalid: " + EMPTY, SCAN),
    Row("Scan: filter and expression", "Scan",
        {"TableName": "abc", "ScanFilter": {}, "FilterExpression": "a = :a"}, 400, VALIDATE,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}", SCAN),
    Row("Scan: values without an expression", "Scan",
        {"TableName": "abc", "ExpressionAttributeValues": {":a": {"S": "a"}}}, 400, VALIDATE,
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null", SCAN),
    Row("Scan: starting key of a missing table", "Scan", {"TableName": "abc", "ExclusiveStartKey": {"b": {"S": "a"}}},
        400, NOT_FOUND, "Requested resource not found", SCAN + ", table exists before key validity"),
    Row("Scan: unknown index", "Scan", {"TableName": "{hash_table}", "IndexName": "whatever",
                                        "FilterExpression": "attribute_exists(a.b.c)"}, 400, VALIDATE,
        "The table does not have the specified index: whatever", SCAN),
    Row("Scan: starting key of another type", "Scan",
        {"TableName": "{hash_table}", "FilterExpression": "attribute_exists(a.b.c)", "ExclusiveStartKey": {"a": {"N": "1"}}},
        400, VALIDATE, "The provided starting key is invalid: The provided key element does not match the schema", SCAN),
    Row("Scan: starting key with more attributes", "Scan",
        {"TableName": "{hash_table}", "ExclusiveStartKey": {"a": {"S": "a"}, "b": {"S": "a"}}}, 400, VALIDATE,
        "The provided starting key is invalid: The provided key element does not match the schema", SCAN),
    Row("Scan: a path into the partition key", "Scan",
        {"TableName": "{hash_table}", "FilterExpression": "attribute_exists(#a[0])", "ExpressionAttributeNames": {"#a": "a"}},
        400, VALIDATE, "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
        "Key: a", SCAN + ", non-scalar key access"),
    Row("Scan: starting key of another segment", "Scan",
        {"TableName": "{hash_table}", "Segment": 1, "TotalSegments": 2, "ExclusiveStartKey": {"a": {"S": "3635"}}},
        400, VALIDATE, "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey "
        "with correct Segment. TotalSegments: 2 Segment: 1",
        SCAN + ", ExclusiveStartKey is from different segment (\"3635\" is in segment 0 of 4096, so of 2: "
        "should return items from correct string hash segments)"),
    Row("Scan: BETWEEN bounds reversed", "Scan",
        {"TableName": "abc", "ScanFilter": _filter("BETWEEN", {"N": "2"}, {"N": "1"})}, 400, VALIDATE,
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        "dynalite: validations/index.js validateConditions, as query.js records it for KeyConditions"),
    Row("Scan: number set duplicates in a starting key", "Scan",
        {"TableName": "abc", "ExclusiveStartKey": {"a": {"NS": ["1", "1"]}}}, 400, VALIDATE,
        "Input collection contains duplicates", SCAN + ", invalid values in ExclusiveStartKey with no provided message"),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_scan(row: Row, endpoint: Endpoint, hash_table: str, request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table})


@pytest.fixture(scope="module")
def local_index_table(endpoint: Endpoint) -> str:
    """``a``/``b`` keyed, with an LSI ``lsi`` on ``c`` that projects only ``d`` besides the keys."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "c")],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                                                                  {"AttributeName": "c", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["d"]}}],
    )


@pytest.mark.parametrize(("asked", "table_units", "returned"), [
    ({"Select": "ALL_ATTRIBUTES"}, 1, {"a", "b", "c", "d", "e"}),
    ({"ProjectionExpression": "b, e"}, 1, {"b", "e"}),
    ({"AttributesToGet": ["e"]}, 1, {"e"}),
    ({"ProjectionExpression": "b, d"}, 0, {"b", "d"}),
    ({}, 0, {"a", "b", "c", "d"}),
], ids=["all-attributes", "projection-unprojected", "attributes-to-get-unprojected", "projection-projected",
        "index-projection"])
def test_scan_of_a_local_index_reads_unprojected_attributes_from_the_table(
        endpoint: Endpoint, local_index_table: str, asked: dict[str, object], table_units: int,
        returned: set[str]) -> None:
    """API Reference, Scan, ``Select``: "If you query or scan a local secondary index and request
    only attributes that are projected into that index, the operation will read only the index and
    not the table. If any of the requested attributes are not projected into the local secondary
    index, DynamoDB fetches each of these attributes from the parent table. This extra fetching
    incurs additional throughput cost": the table's units beside the index's (two small items, a
    consistent read: one unit each), as a Query of the index is charged (test_query.py)."""
    client = endpoint.client()
    for b in ("1", "2"):
        client.put_item(TableName=local_index_table, Item={"a": {"S": "x"}, "b": {"S": b}, "c": {"S": "c" + b},
                                                           "d": {"S": "d"}, "e": {"S": "e"}})
    answer = client.scan(TableName=local_index_table, IndexName="lsi", ConsistentRead=True,
                         ReturnConsumedCapacity="INDEXES", **asked)
    assert [set(item) for item in answer["Items"]] == [returned, returned]
    expected: dict[str, object] = {"TableName": local_index_table, "CapacityUnits": 1 + table_units,
                                   "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1}}}
    expected["Table"] = {"CapacityUnits": table_units}
    assert answer["ConsumedCapacity"] == expected
