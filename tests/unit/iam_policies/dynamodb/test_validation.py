"""Requests too malformed to derive a context from: DynamoDB's error, before any authorization.

Each row is a rule DynamoDB's request validator enforces (messages as DynamoDB words them, from
the API reference, dynalite's live-verified tests and moto's DynamoDB error texts), or the
fail-closed rule of security-anchors.md §4.2 ("reject the request if any part cannot be
computed"). A missing table is ResourceNotFoundException; an unknown operation is
UnknownOperationException.
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.dynamodb import derive
from iam_policies.errors import (
    AwsError,
    ResourceNotFoundException,
    UnknownOperationException,
    ValidationException,
)
from iam_policies.schema import IndexSchema, TableSchema

SCHEMAS = {
    "Notes": TableSchema("Notes", "owner", "noteId",
                         {"byPublic": IndexSchema("byPublic", "GSI", "visibility", "updatedAt", "KEYS_ONLY")}),
    "Thread": TableSchema("Thread", "ID"),
}
A = {"owner": {"S": "alice"}, "noteId": {"S": "n1"}}
OWNER = {"ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "alice"}}}


def query(**params: Any) -> dict[str, Any]:
    return {"TableName": "Notes", "KeyConditionExpression": "#o = :o", **OWNER, **params}


ROWS: list[Any] = [
    # required parameters
    ("GetItem", {}, ValidationException,
     "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"),
    ("GetItem", {"TableName": "Notes"}, ValidationException, "Value null at 'key'"),
    ("PutItem", {"TableName": "Notes"}, ValidationException, "Value null at 'item'"),
    ("ExecuteStatement", {}, ValidationException, "Value null at 'statement'"),
    ("BatchGetItem", {"RequestItems": {}}, ValidationException, "at 'requestItems' failed to satisfy constraint"),
    ("TransactWriteItems", {"TransactItems": []}, ValidationException, "at 'transactItems'"),
    # table names: exact, validated, never aliased (F-40)
    ("GetItem", {"TableName": "notes", "Key": A}, ResourceNotFoundException, "Requested resource not found"),
    ("GetItem", {"TableName": "Notes ", "Key": A}, ValidationException,
     "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("GetItem", {"TableName": "ab", "Key": A}, ValidationException, "Member must have length greater than or equal to 3"),
    ("GetItem", {"TableName": "arn:aws:dynamodb:us-east-1:000000000000:index/x", "Key": A}, ValidationException,
     "Invalid TableName"),
    ("ExecuteStatement", {"Statement": 'SELECT * FROM "Nope"'}, ResourceNotFoundException, "Requested resource not found"),
    # keys must match the schema exactly
    ("GetItem", {"TableName": "Notes", "Key": {"owner": {"S": "a"}}}, ValidationException,
     "The provided key element does not match the schema"),
    ("GetItem", {"TableName": "Notes", "Key": {**A, "x": {"S": "1"}}}, ValidationException,
     "The provided key element does not match the schema"),
    ("GetItem", {"TableName": "Notes", "Key": {"owner": {"BOOL": True}, "noteId": {"S": "n"}}}, ValidationException,
     "The provided key element does not match the schema"),
    ("GetItem", {"TableName": "Notes", "Key": {"owner": {"S": ""}, "noteId": {"S": "n"}}}, ValidationException,
     "The AttributeValue for a key attribute cannot contain an empty string value."),
    ("GetItem", {"TableName": "Thread", "Key": {"ID": {"N": "abc"}}}, ValidationException,
     "A value provided cannot be converted into a number"),
    ("GetItem", {"TableName": "Notes", "Key": {"owner": {"S": "a", "N": "1"}, "noteId": {"S": "n"}}},
     ValidationException, "must contain exactly one of the supported datatypes"),
    ("PutItem", {"TableName": "Notes", "Item": {"owner": {"S": "a"}}}, ValidationException,
     "One or more parameter values were invalid: Missing the key noteId in the item"),
    ("UpdateItem", {"TableName": "Notes", "Key": A, "UpdateExpression": "SET noteId = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}}}, ValidationException,
     "Cannot update attribute noteId. This attribute is part of the key"),
    ("UpdateItem", {"TableName": "Notes", "Key": A, "AttributeUpdates": {"owner": {"Action": "PUT", "Value": {"S": "b"}}}},
     ValidationException, "Cannot update attribute owner. This attribute is part of the key"),
    # legacy and expression parameters do not mix (F-43)
    ("GetItem", {"TableName": "Notes", "Key": A, "AttributesToGet": ["a"], "ProjectionExpression": "a"},
     ValidationException,
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ("Query", query(KeyConditions={"owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "bob"}]}}),
     ValidationException, "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
    ("PutItem", {"TableName": "Notes", "Item": A, "Expected": {"a": {"Exists": False}},
                 "ConditionExpression": "attribute_exists(a)"}, ValidationException,
     "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
    ("UpdateItem", {"TableName": "Notes", "Key": A, "AttributeUpdates": {"a": {"Action": "DELETE"}},
                    "UpdateExpression": "REMOVE a"}, ValidationException,
     "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
    ("Scan", {"TableName": "Notes", "ScanFilter": {"a": {"ComparisonOperator": "NULL"}}, "FilterExpression": "a = b"},
     ValidationException, "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}"),
    # placeholders: defined and used (F-45)
    ("GetItem", {"TableName": "Notes", "Key": A, "ProjectionExpression": "title",
                 "ExpressionAttributeNames": {"#x": "adminFlag"}}, ValidationException,
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"),
    ("GetItem", {"TableName": "Notes", "Key": A, "ExpressionAttributeNames": {"#x": "adminFlag"}}, ValidationException,
     "ExpressionAttributeNames can only be specified when using expressions"),
    ("Query", query(ExpressionAttributeValues={":o": {"S": "a"}, ":z": {"S": "b"}}), ValidationException,
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:z}"),
    ("Query", {"TableName": "Notes", "KeyConditionExpression": "#o = :o", "ExpressionAttributeValues": {":o": {"S": "a"}}},
     ValidationException, "An expression attribute name used in the document path is not defined; attribute name: #o"),
    ("PutItem", {"TableName": "Notes", "Item": A, "ConditionExpression": "a = :missing"}, ValidationException,
     "An expression attribute value used in expression is not defined; attribute value: :missing"),
    # syntax and reserved words
    ("GetItem", {"TableName": "Notes", "Key": A, "ProjectionExpression": "title,"}, ValidationException,
     'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
    ("Query", {"TableName": "Notes", "KeyConditionExpression": "owner = :o", "ExpressionAttributeValues": {":o": {"S": "a"}}},
     ValidationException, "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: owner"),
    ("UpdateItem", {"TableName": "Notes", "Key": A, "UpdateExpression": "SET"}, ValidationException,
     'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'),
    # key conditions must pin the (index's) partition key by equality
    ("Query", {"TableName": "Notes"}, ValidationException,
     "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."),
    ("Query", {"TableName": "Notes", "KeyConditionExpression": "noteId = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     ValidationException, "Query condition missed key schema element: owner"),
    ("Query", query(KeyConditionExpression="#o > :o"), ValidationException, "Query key condition not supported"),
    ("Query", query(KeyConditionExpression="#o = :o AND title = :o"), ValidationException,
     "Query condition missed key schema element: noteId"),
    ("Query", query(KeyConditionExpression="#o = :o AND #o = :o"), ValidationException,
     "KeyConditionExpressions must only contain one condition per key"),
    ("Query", query(IndexName="byPublic"), ValidationException, "Query condition missed key schema element: visibility"),
    ("Query", {"TableName": "Notes", "KeyConditions": {"owner": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}]}}},
     ValidationException, "Attempted conditional constraint is not an indexable operation"),
    ("Query", query(ExclusiveStartKey={"noteId": {"S": "x"}}), ValidationException, "The provided starting key is invalid"),
    ("Query", query(ExpressionAttributeValues={":o": {"L": []}}), ValidationException,
     "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    # indexes and Select
    ("Query", query(IndexName="nope"), ValidationException, "The table does not have the specified index: nope"),
    ("Query", query(Select="ALL_PROJECTED_ATTRIBUTES"), ValidationException,
     "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"),
    ("Query", query(Select="SPECIFIC_ATTRIBUTES"), ValidationException,
     "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
    ("Query", query(Select="COUNT", ProjectionExpression="title"), ValidationException,
     "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ("Scan", {"TableName": "Notes", "Select": "BAD"}, ValidationException,
     "Value 'BAD' at 'select' failed to satisfy constraint: Member must satisfy enum value set"),
    # enums
    ("PutItem", {"TableName": "Notes", "Item": A, "ReturnValues": "UPDATED_NEW"}, ValidationException,
     "Return values set to invalid value"),
    ("UpdateItem", {"TableName": "Notes", "Key": A, "ReturnValues": "SOME"}, ValidationException,
     "Value 'SOME' at 'returnValues' failed to satisfy constraint"),
    ("GetItem", {"TableName": "Notes", "Key": A, "ReturnConsumedCapacity": "ALL"}, ValidationException,
     "at 'returnConsumedCapacity'"),
    ("PutItem", {"TableName": "Notes", "Item": A, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"}, ValidationException,
     "at 'returnValuesOnConditionCheckFailure'"),
    # batches and transactions
    ("BatchGetItem", {"RequestItems": {"Notes": {"Keys": [A, A]}}}, ValidationException,
     "Provided list of item keys contains duplicates"),
    ("BatchWriteItem", {"RequestItems": {"Notes": [{"PutRequest": {"Item": A}}, {"DeleteRequest": {"Key": A}}]}},
     ValidationException, "Provided list of item keys contains duplicates"),
    ("BatchWriteItem", {"RequestItems": {"Notes": [{"PutRequest": {"Item": A}, "DeleteRequest": {"Key": A}}]}},
     ValidationException, "exactly one of PutRequest or DeleteRequest"),
    ("BatchWriteItem", {"RequestItems": {"Thread": [{"PutRequest": {"Item": {"ID": {"N": str(i)}}}} for i in range(26)]}},
     ValidationException, "Too many items requested for the BatchWriteItem call"),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "Notes", "Item": A}},
                                              {"Delete": {"TableName": "Notes", "Key": A}}]},
     ValidationException, "Transaction request cannot include multiple operations on one item"),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "Notes", "Item": A},
                                               "Delete": {"TableName": "Notes", "Key": A}}]},
     ValidationException, "TransactItems can only contain one of Put, Update, Delete, ConditionCheck"),
    ("TransactWriteItems", {"TransactItems": [{"ConditionCheck": {"TableName": "Notes", "Key": A}}]},
     ValidationException, "Value null at 'conditionExpression'"),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "Notes", "Key": A}},
                                            {"Get": {"TableName": "Notes", "Key": A}}]},
     ValidationException, "Transaction request cannot include multiple operations on one item"),
    # PartiQL
    ("ExecuteStatement", {"Statement": 'SELECT * FROM "Notes" WHERE "owner" = ?'}, ValidationException,
     "Number of parameters in request and statement don't match."),
    ("ExecuteStatement", {"Statement": "UPDATE \"Notes\" SET a = 1 WHERE \"owner\" = 'a'"}, ValidationException,
     "Where clause does not contain a mandatory equality on all key attributes"),
    ("ExecuteStatement", {"Statement": "SELEC * FROM Notes"}, ValidationException,
     "Statement wasn't well formed, can't be processed"),
    ("ExecuteStatement", {"Statement": "INSERT INTO \"Notes\" VALUE {'owner': 'a'}"}, ValidationException,
     "Missing the key noteId in the item"),
    ("ExecuteStatement", {"Statement": "DELETE FROM \"Notes\".\"byPublic\" WHERE visibility = 'x'"}, ValidationException,
     "Only SELECT statements can read from an index"),
    # streams
    ("GetRecords", {"ShardIterator": "garbage"}, ValidationException, "Invalid ShardIterator"),
    ("DescribeStream", {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/Notes"}, ValidationException,
     "Invalid StreamArn"),
]


@pytest.mark.parametrize(("operation", "params", "error", "message"), ROWS,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(ROWS)])
def test_malformed_request_is_refused_before_authorization(
    operation: str, params: dict[str, Any], error: type[AwsError], message: str
) -> None:
    with pytest.raises(error) as raised:
        derive(operation, params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    assert message in raised.value.message
    assert raised.value.status == 400


def test_unknown_operation_answers_like_dynamodb() -> None:
    with pytest.raises(UnknownOperationException) as raised:
        derive("Frobnicate", {}, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    assert raised.value.code == "UnknownOperationException"
    assert raised.value.dynamodb_type == "com.amazon.coral.service#UnknownOperationException"
    assert raised.value.status == 400


def test_error_types_carry_dynamodbs_wire_names() -> None:
    with pytest.raises(ValidationException) as invalid:
        derive("GetItem", {}, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    with pytest.raises(ResourceNotFoundException) as missing:
        derive("GetItem", {"TableName": "Nope", "Key": A}, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    assert invalid.value.dynamodb_type == "com.amazon.coral.validate#ValidationException"
    assert missing.value.dynamodb_type == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
