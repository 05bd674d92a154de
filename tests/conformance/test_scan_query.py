"""Scan and Query: deserialization, constraints and their own rules (segments, legacy filters,
starting keys, key conditions).

Sources: API Reference "Scan", "Query", "Condition"; Developer Guide "Parallel scan" and "Legacy
conditional parameters"; dynalite test/scan.js, test/query.js and validations/scan.js, query.js
(texts recorded live).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
SCAN = "dynalite: scan.js"
QUERY = "dynalite: query.js"
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
    Row("Query: no key conditions", "Query", {"TableName": "abc"}, 400, VALIDATE,
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.", QUERY),
    Row("Query: KeyConditions beside KeyConditionExpression", "Query",
        {"TableName": "abc", "KeyConditions": {}, "KeyConditionExpression": "a = :a"}, 400, VALIDATE,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}", QUERY),
    Row("Query: invalid name key", "Query",
        {"TableName": "abc", "KeyConditionExpression": "a = :a", "ExpressionAttributeNames": {"a": "a"}}, 400,
        VALIDATE, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"', QUERY),
    Row("Query: invalid value key", "Query",
        {"TableName": "abc", "KeyConditionExpression": "a = :a", "ExpressionAttributeValues": {"a": {"S": "a"}}},
        400, VALIDATE, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"', QUERY),
    Row("Query: empty value", "Query",
        {"TableName": "abc", "KeyConditionExpression": "a = :a", "ExpressionAttributeValues": {":a": {}}}, 400,
        VALIDATE, f"ExpressionAttributeValues contains invalid value: {EMPTY} for key :a", QUERY),
    Row("Query: legacy KeyConditions with a FilterExpression", "Query",
        {"TableName": "{hash_table}", "KeyConditions": {"a": {"ComparisonOperator": "EQ",
                                                             "AttributeValueList": [{"S": "x"}]}},
         "FilterExpression": "b = :b", "ExpressionAttributeValues": {":b": {"S": "b"}}}, 200, None, None,
        "dg-errors: Legacy conditional parameters; issue 13 (accepted by DynamoDB)"),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_scan_query(row: Row, endpoint: Endpoint, hash_table: str, request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table})
