"""Request validation (``webapp.dynamodb.validation``) as a pure function: each row a request and
the error DynamoDB answers. The texts are DynamoDB's as recorded live by architect/dynalite's
test suite (test/helpers.js ``assertType``, test/<operation>.js ``assertValidation``); the same
rows run over HTTP, and against any upstream, in tests/conformance/."""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.errors import ValidationException as ExpressionError
from webapp.backend.errors import DynamoDBValidationException as ValidationError
from webapp.backend.errors import message_member
from webapp.dynamodb.validation import validate
from webapp.dynamodb.wire import SerializationException as SerializationError

S = "SerializationException"
V = "ValidationException"
NULL = "failed to satisfy constraint: Member must not be null"
P = "One or more parameter values were invalid: "

ROWS: list[tuple[str, dict[str, Any], str | None, str]] = [
    # operation, request, expected code (None: valid), message
    ("ListTables", {}, None, ""),
    ("ListTables", {"Limit": None, "Other": 1}, None, ""),
    ("ListTables", {"Limit": "23"}, S, "STRING_VALUE cannot be converted to Integer"),
    ("ListTables", {"Limit": False}, S, "FALSE_VALUE cannot be converted to Integer"),
    ("ListTables", {"ExclusiveStartTableName": 2147483648}, S, "NUMBER_VALUE cannot be converted to String"),
    ("ListTables", {"ExclusiveStartTableName": {}}, S, "Start of structure or map found where not expected"),
    ("GetItem", {"ConsistentRead": "23"}, S, "Unexpected token received from parser"),
    ("GetItem", {"ConsistentRead": 34.56}, S, "DECIMAL_VALUE cannot be converted to Boolean"),
    ("GetItem", {"ConsistentRead": []}, S, "Unrecognized collection type class java.lang.Boolean"),
    ("GetItem", {"Key": "23"}, S, "Unexpected field type"),
    ("GetItem", {"Key": []}, S, "Unrecognized collection type java.util.Map<java.lang.String, "
                                "com.amazonaws.dynamodb.v20120810.AttributeValue>"),
    ("GetItem", {"Key": {"a": "x"}}, S, "Unexpected value type in payload"),
    ("GetItem", {"Key": {"a": {"B": 5}}}, S, "only base-64-encoded strings are convertible to bytes"),
    ("GetItem", {"Key": {"a": {"B": "23456"}}}, S,
     "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("GetItem", {"Key": {"a": {"B": "+/+="}}}, S, "Invalid last non-pad Base64 character dectected"),
    ("GetItem", {"Key": {"a": {"L": [[]]}}}, S,
     "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"),
    ("GetItem", {"ExpressionAttributeNames": []}, S,
     "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>"),
    ("BatchWriteItem", {"RequestItems": {"abc": "23"}}, S,
     "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
     "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class "
     "are in module java.base of loader 'bootstrap')"),
    ("GetItem", {}, V, f"2 validation errors detected: Value null at 'tableName' {NULL}; "
                       f"Value null at 'key' {NULL}"),
    ("GetItem", {"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": []}, V,
     "4 validation errors detected: Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
     "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; Value '[]' at 'attributesToGet' failed to "
     "satisfy constraint: Member must have length greater than or equal to 1; Value 'abc;' at 'tableName' "
     "failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
     f"Value null at 'key' {NULL}"),
    ("GetItem", {"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/abc", "Key": {}}, None, ""),
    ("GetItem", {"TableName": "abc", "Key": {"a": {}}, "AttributesToGet": ["a"], "ProjectionExpression": "a"}, V,
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ("GetItem", {"TableName": "abc", "Key": {}, "AttributesToGet": ["a"], "ExpressionAttributeNames": {}}, V,
     "ExpressionAttributeNames can only be specified when using expressions"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"L": [{"a": {}}]}}}, V, "Supplied AttributeValue is empty, "
     "must contain exactly one of the supported datatypes"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"S": "a", "N": "1"}}}, V, "Supplied AttributeValue has more "
     "than one datatypes set, must contain exactly one of the supported datatypes"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"NULL": False}}}, V,
     P + "Null attribute value types must have the value of true"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"SS": []}}}, V, P + "An string set  may not be empty"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"BS": ["Yg==", "Yg=="]}}}, V,
     P + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"S": "a", "N": "b"}}}, V,
     "The parameter cannot be converted to a numeric value: b"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"NS": ["1", "1"]}}}, V, "Input collection contains duplicates"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"N": "-1.23456789012345678901234567890123456789"}}}, V,
     "Attempting to store more than 38 significant digits in a Number"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"N": "1e126"}}}, V,
     "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"N": "-1e-131"}}}, V,
     "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ("GetItem", {"TableName": "abc", "Key": {"a": {"N": "-0015.789e6"}}}, None, ""),
    ("GetItem", {"TableName": "abc", "Key": {}, "AttributesToGet": ["a", "a"]}, V,
     P + "Duplicate value in attribute name: a"),
    ("GetItem", {"TableName": "abc", "Key": {}, "ProjectionExpression": "", "ExpressionAttributeNames": {}}, V,
     "ExpressionAttributeNames must not be empty"),
    ("PutItem", {"TableName": "abc", "Item": {}, "ExpressionAttributeValues": {":a": {"S": "x"}}}, V,
     "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
    ("PutItem", {"TableName": "abc", "Item": {}, "ReturnValues": "ALL_NEW"}, V, "ReturnValues can only be ALL_OLD or NONE"),
    ("PutItem", {"TableName": "abc", "Item": {}, "Expected": {"a": {}}}, V,
     P + "Value must be provided when Exists is null for Attribute: a"),
    ("PutItem", {"TableName": "abc", "Item": {}, "Expected": {"a": {"Exists": False, "Value": {"S": "x"}}}}, V,
     P + "Value cannot be used when Exists is false for Attribute: a"),
    ("PutItem", {"TableName": "abc", "Item": {}, "Expected": {"a": {"ComparisonOperator": "EQ"}}}, V,
     P + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ("PutItem", {"TableName": "abc", "Item": {}, "Expected": {"a": {"ComparisonOperator": "NULL", "Exists": True}}},
     V, P + "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ("Scan", {"TableName": "abc", "Segment": 1}, V, "The TotalSegments parameter is required but was not present "
     "in the request when Segment parameter is present"),
    ("Scan", {"TableName": "abc", "Segment": 2, "TotalSegments": 2}, V, "The Segment parameter is zero-based and "
     "must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2"),
    ("Scan", {"TableName": "abc", "ScanFilter": {"a": {"ComparisonOperator": "BETWEEN",
                                                       "AttributeValueList": [{"S": "a"}]}}}, V,
     P + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ("Scan", {"TableName": "abc", "ScanFilter": {"a": {"ComparisonOperator": "BEGINS_WITH",
                                                       "AttributeValueList": [{"N": "1"}]}}}, V,
     P + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ("Scan", {"TableName": "abc", "ExclusiveStartKey": {"a": {}}}, V, "The provided starting key is invalid: "
     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ("Query", {"TableName": "abc"}, V,
     "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."),
    ("Query", {"TableName": "abc", "KeyConditions": {"a": {"ComparisonOperator": "EQ",
                                                           "AttributeValueList": [{"S": "a"}]}},
               "FilterExpression": "b = :b", "ExpressionAttributeValues": {":b": {"S": "b"}}}, None, ""),
    ("Query", {"TableName": "abc", "KeyConditions": {}, "KeyConditionExpression": "a = :a"}, V,
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
    ("Query", {"TableName": "abc", "KeyConditionExpression": "a = :a", "ExpressionAttributeNames": {"a": "a"}}, V,
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ("CreateTable", {}, V, "The parameter 'TableName' is required but was not present in the request"),
    ("CreateTable", {"TableName": "ab"}, V,
     "TableName must be at least 3 characters long and at most 255 characters long"),
    ("CreateTable", {"TableName": "abc", "AttributeDefinitions": [], "KeySchema": [],
                     "ProvisionedThroughput": {"ReadCapacityUnits": -1, "WriteCapacityUnits": -1}}, V,
     "3 validation errors detected: Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed to "
     "satisfy constraint: Member must have value greater than or equal to 1; Value '-1' at "
     "'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater "
     "than or equal to 1; Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length "
     "greater than or equal to 1"),
    ("CreateTable", {"TableName": "abc", "AttributeDefinitions": [{}], "KeySchema": [{"KeyType": "HASH"}]}, V,
     f"3 validation errors detected: Value null at 'attributeDefinitions.1.member.attributeName' {NULL}; "
     f"Value null at 'attributeDefinitions.1.member.attributeType' {NULL}; "
     f"Value null at 'keySchema.1.member.attributeName' {NULL}"),
    ("CreateTable", {"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                     "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"},
     None, ""),
    # the batches, before any table (dynalite test/batchGetItem.js, test/batchWriteItem.js)
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [{"a": {"S": "k"}, "b": {"N": "1"}},
                                                        {"b": {"N": "1.0"}, "a": {"S": "k"}}]}}}, V,
     "Provided list of item keys contains duplicates"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [{"a": {"S": str(i)}} for i in range(60)]},
                                       "abd": {"Keys": [{"a": {"S": str(i)}} for i in range(41)]}}}, V,
     "Too many items requested for the BatchGetItem call"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [{"a": {"S": "k"}}, {"a": {"S": "k"}}],
                                               "ProjectionExpression": ""}}}, V,
     "Invalid ProjectionExpression: The expression can not be empty;"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [None, {"a": {"SS": []}}]}}}, V,
     P + "An string set  may not be empty"),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [None]}}}, None, ""),
    ("BatchWriteItem", {"RequestItems": {"abc": [{}]}}, V,
     "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"PutRequest": {"Item": {"a": {"S": "x" * 409600}}}}]}}, V,
     "Item size has exceeded the maximum allowed size"),
    ("BatchWriteItem", {"RequestItems": {"abc": [{"DeleteRequest": {"Key": {"a": {"N": "x"}}}}]}}, V,
     "The parameter cannot be converted to a numeric value: x"),
    ("PutItem", {"TableName": "abc", "Item": {"a": {"S": ""}, "b": {"B": ""}, "c": {"SS": [""]}, "d": {"BS": [""]}}},
     None, ""),
    ("DeleteItem", {"TableName": "abc", "Key": {},
                    "Expected": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "10"}, {"N": "9"}]}}},
     V, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
]


@pytest.mark.parametrize(("operation", "params", "code", "message"), ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_validation(operation: str, params: dict[str, Any], code: str | None, message: str) -> None:
    if code is None:
        validate(operation, params)
        return
    with pytest.raises((SerializationError, ValidationError, ExpressionError)) as caught:
        validate(operation, params)
    error = caught.value
    assert (error.code, error.message) == (code, message)
    namespace = "com.amazon.coral.service" if code == S else "com.amazon.coral.validate"
    assert error.namespace == namespace
    assert message_member(error.code) == ("Message" if code == S else "message")


def test_at_most_ten_errors() -> None:
    """DynamoDB lists ten failures at most (dynalite validations/index.js, checkValidations)."""
    with pytest.raises(ValidationError) as caught:
        validate("BatchGetItem", {"RequestItems": {f"t{i:02}": {"Keys": []} for i in range(20)}})
    assert caught.value.message.startswith("10 validation errors detected: ")
    assert caught.value.message.count("failed to satisfy constraint") == 10


@pytest.mark.parametrize(("text", "read"), [("no", False), ("YES", True), ("1", True), ("0", False), ("false", False)])
def test_boolean_words_are_read_as_booleans(text: str, read: bool) -> None:
    """dynalite test/updateItem.js sends ``{NULL: 'no'}`` and ``{BOOL: '0'}`` and DynamoDB reads
    them as booleans (validations/index.js: "'true'/'false'/'1'/'0'/'no'/'yes' seem to convert
    fine"); ``'23'`` stays a parser error (the ConsistentRead row above)."""
    params: dict[str, Any] = {"TableName": "abc", "Key": {"a": {"BOOL": text}}, "ConsistentRead": text}
    validate("GetItem", params)
    assert params["Key"]["a"] == {"BOOL": read} and params["ConsistentRead"] is read


def test_a_decimal_integer_is_read_as_an_integer() -> None:
    params: dict[str, Any] = {"Limit": 5.7}
    validate("ListTables", params)
    assert params == {"Limit": 5}
