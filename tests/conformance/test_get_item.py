"""GetItem: deserialization, constraints, attribute values, the missing table and key schema.

Sources: API Reference "GetItem" and "AttributeValue"; Developer Guide "Supported data types"
(numbers: 38 digits, 1E-130 to 1E+125); dynalite test/getItem.js and test/helpers.js (texts and
rows recorded live against DynamoDB).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
NULL = "failed to satisfy constraint: Member must not be null"
SRC = "dynalite: getItem.js"
TYPES = "dynalite: helpers.js assertType"


def _key(value: object) -> dict[str, object]:
    return {"TableName": "abc", "Key": {"a": value}}


ROWS = [
    Row("TableName as true", "GetItem", {"TableName": True}, 400, SERIALIZATION,
        "TRUE_VALUE cannot be converted to String", TYPES),
    Row("Key as a string", "GetItem", {"Key": "23"}, 400, SERIALIZATION, "Unexpected field type", TYPES),
    Row("Key as a list", "GetItem", {"Key": []}, 400, SERIALIZATION,
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.AttributeValue>", TYPES),
    Row("Key.Attr as a number", "GetItem", {"Key": {"a": 23}}, 400, SERIALIZATION,
        "Unexpected value type in payload", TYPES),
    Row("Key.Attr.S as a number", "GetItem", {"Key": {"a": {"S": 23}}}, 400, SERIALIZATION,
        "NUMBER_VALUE cannot be converted to String", TYPES),
    Row("Key.Attr.B not base64", "GetItem", {"Key": {"a": {"B": "23456"}}}, 400, SERIALIZATION,
        "Base64 encoded length is expected a multiple of 4 bytes but found: 5", TYPES),
    Row("Key.Attr.BOOL as a string", "GetItem", {"Key": {"a": {"BOOL": "23"}}}, 400, SERIALIZATION,
        "Unexpected token received from parser", TYPES),
    Row("Key.Attr.L.0 as a list", "GetItem", {"Key": {"a": {"L": [[]]}}}, 400, SERIALIZATION,
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue", TYPES),
    Row("ConsistentRead as a number", "GetItem", {"ConsistentRead": 23}, 400, SERIALIZATION,
        "NUMBER_VALUE cannot be converted to Boolean", TYPES),
    Row("ExpressionAttributeNames as a list", "GetItem", {"ExpressionAttributeNames": []}, 400, SERIALIZATION,
        "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>", TYPES),
    Row("no TableName, no Key", "GetItem", {}, 400, VALIDATE,
        (f"Value null at 'key' {NULL}", f"Value null at 'tableName' {NULL}"), SRC),
    Row("long TableName", "GetItem", {"TableName": "a" * 256}, 400, VALIDATE,
        (f"Value null at 'key' {NULL}", f"Value '{'a' * 256}' at 'tableName' failed to satisfy constraint: "
         "Member must have length less than or equal to 255"), SRC),
    Row("short TableName", "GetItem", {"TableName": "a;"}, 400, VALIDATE,
        ("Value 'a;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression "
         "pattern: [a-zA-Z0-9_.-]+", "Value 'a;' at 'tableName' failed to satisfy constraint: Member must have "
         "length greater than or equal to 3", f"Value null at 'key' {NULL}"), SRC),
    Row("incorrect attributes", "GetItem",
        {"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": []}, 400, VALIDATE,
        ("Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than "
         "or equal to 1", "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
         "satisfy enum value set: [INDEXES, TOTAL, NONE]", f"Value null at 'key' {NULL}",
         "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression "
         "pattern: [a-zA-Z0-9_.-]+"), SRC),
    Row("expression and non-expression", "GetItem",
        {"TableName": "abc", "Key": {"a": {}}, "AttributesToGet": ["a"], "ExpressionAttributeNames": {},
         "ProjectionExpression": ""}, 400, VALIDATE,
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}", SRC),
    Row("names without an expression", "GetItem",
        {"TableName": "abc", "Key": {"a": {}}, "AttributesToGet": ["a"], "ExpressionAttributeNames": {}},
        400, VALIDATE, "ExpressionAttributeNames can only be specified when using expressions", SRC),
    Row("empty attribute value", "GetItem", _key({}), 400, VALIDATE,
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", SRC),
    Row("empty value in a list", "GetItem", _key({"L": [{"a": {}}]}), 400, VALIDATE,
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", SRC),
    Row("NULL false", "GetItem", _key({"NULL": False}), 400, VALIDATE,
        INVALID + "Null attribute value types must have the value of true", SRC),
    Row("empty SS", "GetItem", _key({"SS": []}), 400, VALIDATE, INVALID + "An string set  may not be empty", SRC),
    Row("empty NS", "GetItem", _key({"NS": []}), 400, VALIDATE, INVALID + "An number set  may not be empty", SRC),
    Row("empty BS", "GetItem", _key({"BS": []}), 400, VALIDATE, INVALID + "Binary sets should not be empty", SRC),
    Row("duplicate SS", "GetItem", _key({"SS": ["a", "a"]}), 400, VALIDATE,
        INVALID + "Input collection [a, a] contains duplicates.", SRC),
    Row("duplicate BS", "GetItem", _key({"BS": ["Yg==", "Yg=="]}), 400, VALIDATE,
        INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates.", SRC),
    Row("empty N", "GetItem", _key({"S": "a", "N": ""}), 400, VALIDATE,
        "The parameter cannot be converted to a numeric value", SRC),
    Row("N not a number", "GetItem", _key({"S": "a", "N": "b"}), 400, VALIDATE,
        "The parameter cannot be converted to a numeric value: b", SRC),
    Row("NS with a non-number", "GetItem", _key({"NS": ["1", "b"]}), 400, VALIDATE,
        "The parameter cannot be converted to a numeric value: b", SRC),
    Row("duplicate NS", "GetItem", _key({"NS": ["1", "1"]}), 400, VALIDATE, "Input collection contains duplicates",
        SRC),
    Row("39 digits", "GetItem", _key({"N": "123456789012345678901234567890123456789"}), 400, VALIDATE,
        "Attempting to store more than 38 significant digits in a Number", SRC),
    Row("overflow", "GetItem", _key({"N": "-1e126"}), 400, VALIDATE,
        "Number overflow. Attempting to store a number with magnitude larger than supported range", SRC),
    Row("underflow", "GetItem", _key({"N": "1e-131"}), 400, VALIDATE,
        "Number underflow. Attempting to store a number with magnitude smaller than supported range", SRC),
    Row("two types", "GetItem", _key({"S": "a", "N": "1"}), 400, VALIDATE,
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported "
        "datatypes", SRC),
    Row("duplicate AttributesToGet", "GetItem", {"TableName": "abc", "Key": {}, "AttributesToGet": ["a", "a"]},
        400, VALIDATE, INVALID + "Duplicate value in attribute name: a", SRC),
    Row("empty ExpressionAttributeNames", "GetItem",
        {"TableName": "abc", "Key": {}, "ExpressionAttributeNames": {}, "ProjectionExpression": ""}, 400, VALIDATE,
        "ExpressionAttributeNames must not be empty", SRC),
    Row("missing table", "GetItem", {"TableName": "conformance_missing", "Key": {}}, 400, NOT_FOUND,
        "Requested resource not found", SRC),
    Row("key of another shape", "GetItem", {"TableName": "{hash_table}", "Key": {"b": {"S": "a"}}}, 400,
        VALIDATE, "The provided key element does not match the schema", SRC),
    Row("key of another type", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"N": "1"}}}, 400,
        VALIDATE, "The provided key element does not match the schema", SRC),
    Row("empty string key", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"S": ""}}}, 400, VALIDATE,
        INVALID + "The AttributeValue for a key attribute cannot contain an empty string value. Key: a", SRC),
    Row("absent item", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"S": "nothing-here"}}}, 200, None,
        None, "api"),
    Row("projection into the key", "GetItem",
        {"TableName": "{hash_table}", "Key": {"a": {"S": "x"}}, "ProjectionExpression": "#a.b",
         "ExpressionAttributeNames": {"#a": "a"}}, 400, VALIDATE,
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a", SRC),
    Row("key of a non-key type", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"BOOL": True}}}, 400,
        VALIDATE, "The provided key element does not match the schema", SRC),
    Row("key of another key type", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"N": "1"}}}, 400, VALIDATE,
        "The provided key element does not match the schema", SRC),
    Row("partition key over 2048 bytes", "GetItem", {"TableName": "{hash_table}", "Key": {"a": {"S": "a" * 2049}}},
        400, VALIDATE, INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes", SRC),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_get_item(row: Row, endpoint: Endpoint, hash_table: str, request: pytest.FixtureRequest) -> None:
    answer = check(endpoint, row, request, {"hash_table": hash_table})
    if row.status == 200:
        assert answer.json == {}, "GetItem of an absent item answers {} (API Reference, GetItem)"
