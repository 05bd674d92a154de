"""PutItem: item values, ReturnValues and the legacy ``Expected`` map.

Sources: API Reference "PutItem" (ReturnValues: NONE or ALL_OLD) and "ExpectedAttributeValue";
dynalite test/putItem.js and validations/putItem.js (texts recorded live).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
SRC = "dynalite: putItem.js"
ITEM = {"a": {"S": "conformance-put"}}

ROWS = [
    Row("Item as a list", "PutItem", {"Item": []}, 400, SERIALIZATION,
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.AttributeValue>", "dynalite: helpers.js assertType Map"),
    Row("Expected.Attr.Exists as a string", "PutItem", {"Expected": {"a": {"Exists": "23"}}}, 400, SERIALIZATION,
        "Unexpected token received from parser", "dynalite: helpers.js assertType Boolean"),
    Row("no TableName, no Item", "PutItem", {}, 400, VALIDATE,
        ("Value null at 'tableName' failed to satisfy constraint: Member must not be null",
         "Value null at 'item' failed to satisfy constraint: Member must not be null"), SRC),
    Row("ReturnValues ALL_NEW", "PutItem", {"TableName": "abc", "Item": {}, "ReturnValues": "ALL_NEW"}, 400,
        VALIDATE, "ReturnValues can only be ALL_OLD or NONE", SRC),
    Row("values without a condition", "PutItem",
        {"TableName": "abc", "Item": {}, "ExpressionAttributeValues": {":a": {"S": "a"}}}, 400, VALIDATE,
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null", SRC),
    Row("Expected and ConditionExpression", "PutItem",
        {"TableName": "abc", "Item": {}, "Expected": {}, "ConditionExpression": "a = :a"}, 400, VALIDATE,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}", SRC),
    Row("Expected without Value", "PutItem", {"TableName": "abc", "Item": {}, "Expected": {"a": {}}}, 400,
        VALIDATE, INVALID + "Value must be provided when Exists is null for Attribute: a", SRC),
    Row("Expected Exists false with Value", "PutItem",
        {"TableName": "abc", "Item": {}, "Expected": {"a": {"Exists": False, "Value": {"S": "b"}}}}, 400, VALIDATE,
        INVALID + "Value cannot be used when Exists is false for Attribute: a", SRC),
    Row("Expected operator without values", "PutItem",
        {"TableName": "abc", "Item": {}, "Expected": {"a": {"ComparisonOperator": "GT"}}}, 400, VALIDATE,
        INVALID + "Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: a", SRC),
    Row("Expected Exists with an operator", "PutItem",
        {"TableName": "abc", "Item": {}, "Expected": {"a": {"ComparisonOperator": "NULL", "Exists": False}}}, 400,
        VALIDATE, INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: a", SRC),
    Row("Expected list without an operator", "PutItem",
        {"TableName": "abc", "Item": {}, "Expected": {"a": {"AttributeValueList": []}}}, 400, VALIDATE,
        INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a", SRC),
    Row("empty item value", "PutItem", {"TableName": "abc", "Item": {"a": {}}}, 400, VALIDATE,
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", SRC),
    Row("a valid put", "PutItem", {"TableName": "{hash_table}", "Item": ITEM}, 200, None, None, "api"),
    Row("'no' read as false", "PutItem", {"TableName": "abc", "Item": {"a": {"NULL": "no"}}}, 400, VALIDATE,
        INVALID + "Null attribute value types must have the value of true", "dynalite: getItem.js invalid values"),
    Row("ReturnValues outside the enum", "PutItem", {"TableName": "abc", "Item": {}, "ReturnValues": "hi"}, 400,
        VALIDATE, ("Value 'hi' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: "
                   "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",), SRC),
    Row("item over 400 KB, before the table", "PutItem",
        {"TableName": "no-such-table", "Item": {"a": {"S": "k"}, "b": {"S": "x" * 409598}}}, 400, VALIDATE,
        "Item size has exceeded the maximum allowed size", SRC),
    Row("item of exactly 400 KB", "PutItem",
        {"TableName": "no-such-table", "Item": {"a": {"S": "k"}, "b": {"S": "x" * 409597}}}, 400, NOT_FOUND,
        "Requested resource not found", SRC),
    Row("empty values outside the key", "PutItem",
        {"TableName": "{hash_table}", "Item": {"a": {"S": "conformance-empty"}, "b": {"S": ""}, "c": {"B": ""},
                                               "d": {"SS": [""]}, "e": {"BS": [""]}}}, 200, None, None, SRC),
    Row("key of another type", "PutItem", {"TableName": "{hash_table}", "Item": {"a": {"N": "1"}}}, 400, VALIDATE,
        INVALID + "Type mismatch for key a expected: S actual: N", SRC),
    Row("key of a non-key type", "PutItem", {"TableName": "{hash_table}", "Item": {"a": {"BOOL": True}}}, 400,
        VALIDATE, INVALID + "Type mismatch for key a expected: S actual: BOOL", SRC),
    Row("missing key", "PutItem", {"TableName": "{hash_table}", "Item": {"b": {"S": "a"}}}, 400, VALIDATE,
        INVALID + "Missing the key a in the item", SRC),
    Row("missing sort key", "PutItem", {"TableName": "{range_table}", "Item": {"a": {"S": "a"}}}, 400, VALIDATE,
        INVALID + "Missing the key b in the item", SRC),
    Row("empty string key", "PutItem", {"TableName": "{hash_table}", "Item": {"a": {"S": ""}}}, 400, VALIDATE,
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        "empty string value. Key: a", SRC),
    Row("partition key over 2048 bytes", "PutItem", {"TableName": "{hash_table}", "Item": {"a": {"S": "a" * 2049}}},
        400, VALIDATE, INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes", SRC),
    Row("sort key over 1024 bytes", "PutItem",
        {"TableName": "{range_table}", "Item": {"a": {"S": "a"}, "b": {"S": "b" * 1025}}}, 400, VALIDATE,
        INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes", SRC),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_put_item(row: Row, endpoint: Endpoint, hash_table: str, range_table: str,
                  request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table, "range_table": range_table})
