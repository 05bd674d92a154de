"""Errors keep everything the wire carried, and are the shared ``AwsError`` kinds."""

from __future__ import annotations

import json

import pytest

from iam_policies.errors import AwsError, ResourceNotFoundException, ValidationException
from webapp.backend.errors import DynamoDBError, message_member
from webapp.backend.local import LocalBackend

from .conftest import TABLE


@pytest.mark.parametrize(("status", "body", "code", "namespace", "kind"), [
    (400, {"__type": "com.amazon.coral.validate#ValidationException", "message": "bad"},
     "ValidationException", "com.amazon.coral.validate", ValidationException),
    (400, {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "gone"},
     "ResourceNotFoundException", "com.amazonaws.dynamodb.v20120810", ResourceNotFoundException),
    (400, {"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException", "Message": "x",
           "CancellationReasons": [{"Code": "None"}]},
     "TransactionCanceledException", "com.amazonaws.dynamodb.v20120810", DynamoDBError),
    (500, {}, "InternalServerError", "com.amazonaws.dynamodb.v20120810", DynamoDBError),
])
def test_wire_errors_round_trip(status: int, body: dict[str, object], code: str, namespace: str,
                                kind: type[AwsError]) -> None:
    error = DynamoDBError.from_wire(status, json.dumps(body))
    assert isinstance(error, kind) and isinstance(error, DynamoDBError)
    assert (error.code, error.namespace, error.status) == (code, namespace, status)
    if body:
        assert error.body() == body, "the body goes back out exactly as it came in"


def test_errors_from_the_backend_carry_their_extra_members(backend: LocalBackend) -> None:
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}})
    with pytest.raises(DynamoDBError) as caught:
        backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}},
                                 "ConditionExpression": "attribute_not_exists(pk)",
                                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert caught.value.code == "ConditionalCheckFailedException"
    assert caught.value.extra == {"Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}
    assert caught.value.body() == {  # DynamoDB's spelling ("message"), not moto's ("Message")
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
        "Item": {"pk": {"S": "a"}, "v": {"N": "1"}},
    }


@pytest.mark.parametrize(("code", "member"), [
    ("ConditionalCheckFailedException", "message"),
    ("TransactionCanceledException", "Message"),
    ("IdempotentParameterMismatchException", "Message"),
    ("ProvisionedThroughputExceededException", "message"),
    ("ValidationException", "message"),  # a common error, not in the service model
])
def test_the_message_member_is_spelled_as_the_service_model_spells_it(code: str, member: str) -> None:
    assert message_member(code) == member


@pytest.mark.parametrize(("operation", "params", "code", "text"), [
    ("GetItem", {"TableName": "Nope", "Key": {"pk": {"S": "a"}}}, "ResourceNotFoundException",
     "Requested resource not found"),
    ("MakeCoffee", {}, "UnknownOperationException", ""),
])
def test_bad_requests_get_dynamodb_errors_not_tracebacks(
    backend: LocalBackend, operation: str, params: dict[str, object], code: str, text: str,
) -> None:
    with pytest.raises(DynamoDBError) as caught:
        backend.call(operation, params)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.status) == (code, 400)
    assert caught.value.message.startswith(text)


def test_a_moto_crash_is_an_honest_internal_server_error(backend: LocalBackend,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """What slips past validation and crashes moto (here an ``Item`` that is not a map, which
    the gateway refuses with a SerializationException first) is DynamoDB's retryable
    ``InternalServerError`` (API Reference, "Common Errors"), logged with the cause; never a
    ValidationException blaming the client in Python's words (issue 13)."""
    with pytest.raises(DynamoDBError) as caught:
        backend.call("PutItem", {"TableName": TABLE, "Item": "not a map"})  # type: ignore[dict-item]
    assert (caught.value.code, caught.value.status) == ("InternalServerError", 500)
    assert caught.value.body() == {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                   "message": "Internal server error"}
    assert "INTERNAL ERROR in the DynamoDB engine on PutItem: AttributeError" in caplog.text
    assert backend.call("Scan", {"TableName": TABLE})["Count"] == 0  # nothing was written


def test_a_non_json_error_page_keeps_its_status_and_some_text() -> None:
    error = DynamoDBError.from_wire(502, b"<html><body>Bad Gateway</body></html>")
    assert (error.code, error.status) == ("InternalServerError", 502)
    assert "Bad Gateway" in error.message
