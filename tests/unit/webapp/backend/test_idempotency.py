"""R-4: ``ClientRequestToken`` on TransactWriteItems (API Reference, TransactWriteItems)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend
from webapp.clock import ManualClock

from .conftest import TABLE, abandon, create_table, item

TOKEN = "5b1e0f8a-2c4d-4e6f-8a9b-0c1d2e3f4a5b"


def increment(token: str | None, amount: str = "1") -> dict[str, Any]:
    params: dict[str, Any] = {"TransactItems": [{"Update": {
        "TableName": TABLE, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "ADD v :d",
        "ExpressionAttributeValues": {":d": {"N": amount}},
    }}]}
    if token is not None:
        params["ClientRequestToken"] = token
    return params


def counter(backend: LocalBackend) -> str:
    stored = item(backend, "n")
    assert stored is not None
    return str(stored["v"]["N"])


@pytest.fixture
def counting(backend: LocalBackend) -> LocalBackend:
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "0"}}})
    return backend


def test_a_repeat_within_ten_minutes_succeeds_without_reapplying(counting: LocalBackend, clock: ManualClock) -> None:
    first = counting.call("TransactWriteItems", increment(TOKEN))
    clock.advance(599)
    assert counting.call("TransactWriteItems", increment(TOKEN)) == first
    assert counter(counting) == "1"


def test_the_same_token_with_other_parameters_is_a_mismatch(counting: LocalBackend) -> None:
    counting.call("TransactWriteItems", increment(TOKEN))
    with pytest.raises(DynamoDBError) as caught:
        counting.call("TransactWriteItems", increment(TOKEN, amount="5"))
    assert (caught.value.code, caught.value.status) == ("IdempotentParameterMismatchException", 400)
    assert caught.value.dynamodb_type == "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
    assert counter(counting) == "1"


def test_after_ten_minutes_the_token_starts_a_new_request(counting: LocalBackend, clock: ManualClock) -> None:
    counting.call("TransactWriteItems", increment(TOKEN))
    clock.advance(600)
    counting.call("TransactWriteItems", increment(TOKEN, amount="5"))
    assert counter(counting) == "6"


@pytest.mark.parametrize(("token", "constraint"), [
    ("x" * 37, "Member must have length less than or equal to 36"),
    ("", "Member must have length greater than or equal to 1"),
])
def test_a_token_outside_1_to_36_characters_is_a_validation_error(
    counting: LocalBackend, token: str, constraint: str,
) -> None:
    """The gateway validates every request before the backend sees it (webapp.dynamodb.validation)."""
    from webapp.dynamodb.validation import validate

    with pytest.raises(DynamoDBError) as caught:
        request = increment(token)
        validate("TransactWriteItems", request)
        counting.call("TransactWriteItems", request)
    assert (caught.value.code, caught.value.status) == ("ValidationException", 400)
    assert f"at 'clientRequestToken' failed to satisfy constraint: {constraint}" in caught.value.message
    assert counter(counting) == "0"


def test_without_a_token_every_call_applies(counting: LocalBackend) -> None:
    counting.call("TransactWriteItems", increment(None))
    counting.call("TransactWriteItems", increment(None))
    assert counter(counting) == "2"


def test_a_cancelled_transaction_does_not_claim_its_token(counting: LocalBackend) -> None:
    params = increment(TOKEN)
    params["TransactItems"][0]["Update"]["ConditionExpression"] = "attribute_exists(pk) AND v = :zero"
    params["TransactItems"][0]["Update"]["ExpressionAttributeValues"][":zero"] = {"N": "0"}
    counting.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "9"}}})
    with pytest.raises(DynamoDBError):
        counting.call("TransactWriteItems", params)
    counting.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "0"}}})
    counting.call("TransactWriteItems", params)
    assert counter(counting) == "1"


@pytest.mark.parametrize("compact_every", [1, 10_000], ids=["from-snapshot", "from-journal"])
def test_the_token_cache_survives_a_restart(
    open_local: Callable[..., LocalBackend], clock: ManualClock, compact_every: int,
) -> None:
    first = open_local(compact_every=compact_every)
    create_table(first)
    first.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "0"}}})
    original = first.call("TransactWriteItems", increment(TOKEN))
    abandon(first)
    clock.advance(60)
    second = open_local()
    assert second.call("TransactWriteItems", increment(TOKEN)) == original
    assert counter(second) == "1"
    with pytest.raises(DynamoDBError) as caught:
        second.call("TransactWriteItems", increment(TOKEN, amount="2"))
    assert caught.value.code == "IdempotentParameterMismatchException"
