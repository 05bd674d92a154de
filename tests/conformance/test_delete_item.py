"""DeleteItem: ReturnValues, the legacy ``Expected`` map and the key schema.

Sources: API Reference "DeleteItem" (ReturnValues: NONE or ALL_OLD), "ExpectedAttributeValue";
dynalite test/deleteItem.js (texts recorded live against DynamoDB).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
SRC = "dynalite: deleteItem.js"
BAD_KEY = "The provided key element does not match the schema"

ROWS = [
    Row("ReturnValues ALL_NEW", "DeleteItem", {"TableName": "abc", "Key": {}, "ReturnValues": "ALL_NEW"}, 400,
        VALIDATE, "ReturnValues can only be ALL_OLD or NONE", "api"),
    Row("BETWEEN bounds reversed", "DeleteItem",
        {"TableName": "abc", "Key": {},
         "Expected": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]}}},
        400, VALIDATE, "The BETWEEN condition was provided a range where the lower bound is greater than the upper "
        "bound", SRC),
    Row("BETWEEN numbers in order", "DeleteItem",
        {"TableName": "{hash_table}", "Key": {"a": {"S": "conformance-delete"}},
         "Expected": {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "10"}]}}},
        400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed",
        SRC),
    Row("AttributeValueList of two types", "DeleteItem",
        {"TableName": "abc", "Key": {},
         "Expected": {"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}}},
        400, VALIDATE, INVALID + "AttributeValues inside AttributeValueList must be of same type", SRC),
    Row("key with an extra attribute", "DeleteItem",
        {"TableName": "{hash_table}", "Key": {"a": {"S": "a"}, "b": {"S": "a"}}}, 400, VALIDATE, BAD_KEY, SRC),
    Row("key of another type", "DeleteItem", {"TableName": "{hash_table}", "Key": {"a": {"N": "1"}}}, 400, VALIDATE,
        BAD_KEY, SRC),
    Row("key of a non-key type", "DeleteItem", {"TableName": "{hash_table}", "Key": {"a": {"NULL": True}}}, 400,
        VALIDATE, BAD_KEY, SRC),
    Row("sort key missing", "DeleteItem", {"TableName": "{range_table}", "Key": {"a": {"S": "a"}}}, 400, VALIDATE,
        BAD_KEY, SRC),
    Row("absent item", "DeleteItem", {"TableName": "{hash_table}", "Key": {"a": {"S": "conformance-nothing"}}}, 200,
        None, None, SRC),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_delete_item(row: Row, endpoint: Endpoint, hash_table: str, range_table: str,
                     request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table, "range_table": range_table})
