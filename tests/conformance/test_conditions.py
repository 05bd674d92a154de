"""Conditional writes (PutItem, UpdateItem, DeleteItem, TransactWriteItems): whether DynamoDB
writes, and what the table holds afterwards.

Each row stores an item (or none), sends one conditional write, and checks DynamoDB's answer -
success or ``ConditionalCheckFailedException`` - and the item the table holds afterwards, read
back with a consistent GetItem: a refused write must leave nothing behind.

Sources (``source`` of each row):

* ``dg-ops``: Developer Guide, "Comparison operator and function reference"
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html);
* ``alternator``: ScyllaDB's Alternator tests, written and run against real DynamoDB
  (test/alternator/test_condition_expression.py, test_expected.py; issue 8511 for comparisons
  of missing attributes);
* ``api-expected``: API Reference, ExpectedAttributeValue and Condition
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExpectedAttributeValue.html);
* ``api``: the operation's API Reference page;
* ``issue13``: requests the suite behind issue 13 (written and checked against real DynamoDB)
  saw DynamoDB accept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint
from tests.conformance.writes import write_once

SOURCES = {"dg-ops", "alternator", "api-expected", "api", "issue13"}
FAILED = "ConditionalCheckFailedException"
#: A refused request: the code is checked, not the text (the source pins only the exception).
INVALID = "ValidationException"

N1, N2, S1 = {"N": "1"}, {"N": "2"}, {"S": "1"}


@dataclass(frozen=True)
class Write:
    id: str
    #: Attributes stored first (besides the key ``a``); ``None``: no item.
    before: dict[str, Any] | None
    operation: str
    #: The request without TableName and Key/Item's key (PutItem: ``Item`` without ``a``).
    request: dict[str, Any]
    #: ``None`` for success, else the error code.
    error: str | None
    #: Attributes stored afterwards (besides ``a``); ``None``: no item.
    after: dict[str, Any] | None
    source: str


PUT_X = {"Item": {"x": N2}}

ROWS = [
    # = and <> across types and missing attributes
    Write("eq-other-type", {"v": S1}, "PutItem", {**PUT_X, "ConditionExpression": "v = :v",
          "ExpressionAttributeValues": {":v": N1}}, FAILED, {"v": S1}, "alternator: test_update_condition_eq_different"),
    Write("eq-same", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "v = :v",
          "ExpressionAttributeValues": {":v": {"N": "1.0"}}}, None, {"x": N2}, "dg-ops: a = b, numbers by value"),
    Write("eq-two-missing", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "q = z"}, FAILED, {"v": N1},
          "alternator: test_update_condition_eq_two_unset (issue 8511)"),
    Write("ne-two-missing", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "q <> z"}, None, {"x": N2},
          "alternator: test_update_condition_ne_two_unset (issue 8511)"),
    Write("ne-other-type", {"v": S1}, "PutItem", {**PUT_X, "ConditionExpression": "v <> :v",
          "ExpressionAttributeValues": {":v": N1}}, None, {"x": N2}, "alternator: test_update_condition_ne"),
    Write("lt-two-missing", None, "PutItem", {**PUT_X, "ConditionExpression": "q < z"}, FAILED, None,
          "alternator: test_update_condition_comparison_two_unset"),
    Write("lt-other-type", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "v < :v",
          "ExpressionAttributeValues": {":v": {"S": "17"}}}, FAILED, {"v": N1}, "alternator: test_update_condition_lt"),
    Write("eq-on-missing-item", None, "PutItem", {**PUT_X, "ConditionExpression": "v = :v",
          "ExpressionAttributeValues": {":v": N1}}, FAILED, None, "dg-ops: a missing item has no attributes"),
    Write("contains-binary", {"b": {"B": b"\x00\x01\x02"}}, "UpdateItem", {
          "UpdateExpression": "SET x = :x", "ConditionExpression": "contains(b, :part)",
          "ExpressionAttributeValues": {":x": N2, ":part": {"B": b"\x01\x02"}}}, None,
          {"b": {"B": b"\x00\x01\x02"}, "x": N2}, "dg-ops: contains(path, operand) on a binary"),
    Write("begins-with-binary", {"b": {"B": b"\x00\x01\x02"}}, "DeleteItem", {
          "ConditionExpression": "begins_with(b, :prefix)",
          "ExpressionAttributeValues": {":prefix": {"B": b"\x00\x01"}}}, None, None,
          "dg-ops: begins_with(path, substr) on a binary"),
    Write("size-of-value", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "size(:s) = :three",
          "ExpressionAttributeValues": {":s": {"S": "abc"}, ":three": {"N": "3"}}}, None, {"x": N2},
          "issue13: size(:value) is accepted by real DynamoDB"),
    Write("parenthesised-operand", {"s": {"S": "hello"}}, "PutItem", {**PUT_X, "ConditionExpression": "(size(s)) = :n",
          "ExpressionAttributeValues": {":n": {"N": "4"}}}, FAILED, {"s": {"S": "hello"}},
          "issue13: (size(b)) = :b is accepted by real DynamoDB (and here false: size 5)"),
    # legacy Expected
    Write("expected-null-present", {"v": N1}, "PutItem", {**PUT_X, "Expected": {"v": {"ComparisonOperator": "NULL"}}},
          FAILED, {"v": N1}, "api-expected: NULL - the attribute does not exist"),
    Write("expected-exists-false", {"v": N1}, "UpdateItem", {
          "AttributeUpdates": {"x": {"Action": "PUT", "Value": N2}}, "Expected": {"v": {"Exists": False}}},
          FAILED, {"v": N1}, "api-expected: Exists false - the attribute must not exist"),
    Write("expected-delete-exists-false", {"v": N1}, "DeleteItem", {"Expected": {"v": {"Exists": False}}},
          FAILED, {"v": N1}, "api-expected: DeleteItem honours Expected too"),
    Write("expected-delete-value", {"v": N1}, "DeleteItem", {"Expected": {"v": {"Value": N2}}},
          FAILED, {"v": N1}, "api-expected: Value - the attribute must equal it"),
    Write("expected-not-null-on-null", {"v": {"NULL": True}}, "PutItem", {
          **PUT_X, "Expected": {"v": {"ComparisonOperator": "NOT_NULL"}}}, None, {"x": N2},
          "api-expected: NOT_NULL - the attribute exists, for all data types (NULL included)"),
    Write("expected-or", {"v": N1}, "PutItem", {**PUT_X, "ConditionalOperator": "OR", "Expected": {
          "v": {"ComparisonOperator": "EQ", "AttributeValueList": [N2]},
          "w": {"ComparisonOperator": "NULL"}}}, None, {"x": N2}, "api: PutItem ConditionalOperator OR"),
    Write("expected-and", {"v": N1}, "PutItem", {**PUT_X, "Expected": {
          "v": {"ComparisonOperator": "EQ", "AttributeValueList": [N2]},
          "w": {"ComparisonOperator": "NULL"}}}, FAILED, {"v": N1}, "api: PutItem ConditionalOperator (AND by default)"),
    # a value's type decides between a false condition and a refused request
    # (scylladb test/alternator/test_condition_expression.py and test_expected.py, checked against DynamoDB)
    Write("lt-list-value-refused", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "v < :v",
          "ExpressionAttributeValues": {":v": {"L": [N1]}}}, INVALID, {"v": N1},
          "alternator: test_update_condition_lt - a list given as :v is a ValidationException"),
    Write("lt-list-attribute-false", {"v": {"L": [N1]}}, "PutItem", {**PUT_X, "ConditionExpression": "v < :v",
          "ExpressionAttributeValues": {":v": N1}}, FAILED, {"v": {"L": [N1]}},
          "alternator: test_update_condition_lt - a list held by the item only fails the condition"),
    Write("between-list-values-refused", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "v BETWEEN :l AND :h",
          "ExpressionAttributeValues": {":l": {"L": [N1]}, ":h": {"L": [N2]}}}, INVALID, {"v": N1},
          "alternator: test_update_condition_between"),
    Write("attribute-type-of-value", {"v": N1}, "PutItem", {**PUT_X, "ConditionExpression": "attribute_type(:v, :t)",
          "ExpressionAttributeValues": {":v": N1, ":t": {"S": "N"}}}, None, {"x": N2},
          "alternator: test_update_condition_attribute_type - the first operand may be a value"),
    Write("expected-eq-list", {"v": {"L": [N1]}}, "PutItem", {**PUT_X, "Expected": {
          "v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": [N1]}]}}}, None, {"x": N2},
          "alternator: test_query_filter_eq - EQ compares lists, maps and booleans by value"),
    Write("expected-lt-list-refused", {"v": N1}, "PutItem", {**PUT_X, "Expected": {
          "v": {"ComparisonOperator": "LT", "AttributeValueList": [{"L": [N1]}]}}}, INVALID, {"v": N1},
          "alternator: test_update_expected_1_lt"),
    Write("expected-contains-list-refused", {"v": {"S": "a"}}, "PutItem", {**PUT_X, "Expected": {
          "v": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"L": [N1]}]}}}, INVALID, {"v": {"S": "a"}},
          "alternator: test_update_expected_1_contains"),
    Write("expected-begins-with-number-refused", {"v": {"S": "a"}}, "PutItem", {**PUT_X, "Expected": {
          "v": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [N1]}}}, INVALID, {"v": {"S": "a"}},
          "alternator: test_update_expected_1_begins_with_false"),
    Write("expected-empty-with-operator-refused", {"v": N1}, "UpdateItem", {
          "AttributeUpdates": {"x": {"Action": "PUT", "Value": N2}}, "Expected": {}, "ConditionalOperator": "OR"},
          INVALID, {"v": N1}, "alternator: test_update_expected_empty"),
    Write("expected-empty", {"v": N1}, "UpdateItem", {
          "AttributeUpdates": {"x": {"Action": "PUT", "Value": N2}}, "Expected": {}}, None, {"v": N1, "x": N2},
          "alternator: test_update_expected_empty - an empty Expected is no condition"),
]


def _key() -> dict[str, Any]:
    return {"a": {"S": "cond-" + secrets.token_hex(6)}}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_conditional_write(endpoint: Endpoint, hash_table: str, row: Write) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    found = write_once(endpoint.client(), hash_table, _key(), before=row.before, operation=row.operation,
                       request=row.request, error=row.error, after=row.after)
    if row.error == FAILED:
        assert found["Message"] == "The conditional request failed"


def test_condition_failure_returns_the_item_when_asked(endpoint: Endpoint, hash_table: str) -> None:
    """API Reference, PutItem ``ReturnValuesOnConditionCheckFailure``: ``ALL_OLD`` returns the
    item as it was when the condition failed."""
    client = endpoint.client()
    key = _key()
    client.put_item(TableName=hash_table, Item={**key, "v": S1})
    with pytest.raises(ClientError) as caught:
        client.delete_item(TableName=hash_table, Key=key, ConditionExpression="v = :v",
                           ExpressionAttributeValues={":v": N1}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert caught.value.response["Error"]["Code"] == FAILED
    assert caught.value.response["Item"] == {**key, "v": S1}


def test_a_transaction_with_a_false_condition_writes_nothing(endpoint: Endpoint, hash_table: str) -> None:
    """API Reference, TransactWriteItems: a failed condition cancels the whole transaction with
    ``CancellationReasons`` in member order; ``v = :v`` across types is false (alternator)."""
    client = endpoint.client()
    checked, written = _key(), _key()
    client.put_item(TableName=hash_table, Item={**checked, "v": S1})
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": hash_table, "Key": checked, "ConditionExpression": "v = :v",
                                "ExpressionAttributeValues": {":v": N1}}},
            {"Put": {"TableName": hash_table, "Item": {**written, "x": N2}}},
        ])
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in caught.value.response["CancellationReasons"]]
    assert reasons == ["ConditionalCheckFailed", "None"]
    assert "Item" not in client.get_item(TableName=hash_table, Key=written, ConsistentRead=True)
