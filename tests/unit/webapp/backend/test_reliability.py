"""Reliability anchors R-1..R-6 (security-anchors §5.4) through ``Backend.call`` with threads.

moto alone fails R-3 (lost acknowledged writes, HTTP 500 from ``deepcopy``); these pass because
the local backend serialises every call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend

from .conftest import TABLE, abandon, create_table, item


def run_threads(count: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)

    def start(index: int) -> None:
        barrier.wait()
        target(index)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def test_r1_concurrent_conditional_creates_have_exactly_one_winner(backend: LocalBackend) -> None:
    outcomes: list[str] = []

    def create(index: int) -> None:
        try:
            backend.call("PutItem", {
                "TableName": TABLE, "Item": {"pk": {"S": "solo"}, "owner": {"N": str(index)}},
                "ConditionExpression": "attribute_not_exists(pk)",
            })
            outcomes.append(f"won:{index}")
        except DynamoDBError as error:
            outcomes.append(error.code)

    run_threads(32, create)
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1
    assert outcomes.count("ConditionalCheckFailedException") == 31
    stored = item(backend, "solo")
    assert stored is not None and f"won:{stored['owner']['N']}" == winners[0]


def test_r2_optimistic_lock_increments_give_the_exact_total(backend: LocalBackend) -> None:
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "0"}}})

    def increment(_: int) -> None:
        for _ in range(10):
            while True:
                current = item(backend, "n")
                assert current is not None
                old = int(current["v"]["N"])
                try:
                    backend.call("UpdateItem", {
                        "TableName": TABLE, "Key": {"pk": {"S": "n"}},
                        "UpdateExpression": "SET v = :new", "ConditionExpression": "v = :old",
                        "ExpressionAttributeValues": {":new": {"N": str(old + 1)}, ":old": {"N": str(old)}},
                    })
                    break
                except DynamoDBError as error:
                    assert error.code == "ConditionalCheckFailedException"

    run_threads(16, increment)
    final = item(backend, "n")
    assert final is not None and final["v"]["N"] == "160"


def test_r3_failing_transactions_beside_plain_writes_lose_nothing(backend: LocalBackend) -> None:
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "guard"}}})
    acknowledged: list[str] = []
    errors: list[DynamoDBError] = []
    done = threading.Event()

    def writer() -> None:
        for index in range(150):
            try:
                backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": f"w{index}"}}})
                acknowledged.append(f"w{index}")
            except DynamoDBError as error:
                errors.append(error)
        done.set()

    def failing_transactions(index: int) -> None:
        attempt = 0
        while not done.is_set():
            attempt += 1
            try:
                backend.call("TransactWriteItems", {"TransactItems": [
                    {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"t{index}-{attempt}"}}}},
                    {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "guard"}},
                                        "ConditionExpression": "attribute_not_exists(pk)"}},
                ]})
            except DynamoDBError as error:
                if error.code != "TransactionCanceledException":
                    errors.append(error)

    def role(index: int) -> None:
        writer() if index == 0 else failing_transactions(index)

    run_threads(5, role)
    assert errors == []
    assert len(acknowledged) == 150
    missing = [pk for pk in acknowledged if item(backend, pk) is None]
    assert missing == []
    scanned = backend.call("Scan", {"TableName": TABLE})["Items"]
    assert not any(i["pk"]["S"].startswith("t") for i in scanned), "a cancelled transaction wrote"


def test_r5_transaction_touching_one_key_twice_is_refused_and_applies_nothing(backend: LocalBackend) -> None:
    with pytest.raises(DynamoDBError) as caught:
        backend.call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "other"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "dup"}, "n": {"N": "1"}}}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "dup"}}, "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "2"}}}},
        ]})
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400
    assert "multiple operations on one item" in caught.value.message
    assert item(backend, "dup") is None and item(backend, "other") is None


def test_r6_second_of_three_conditions_false_cancels_with_ordered_reasons(backend: LocalBackend) -> None:
    for pk in ("a", "b", "c"):
        backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": pk}, "v": {"N": "1"}}})

    def update(pk: str, expected: str) -> dict[str, Any]:
        return {"Update": {
            "TableName": TABLE, "Key": {"pk": {"S": pk}}, "UpdateExpression": "SET v = :two",
            "ConditionExpression": "v = :expected",
            "ExpressionAttributeValues": {":two": {"N": "2"}, ":expected": {"N": expected}},
        }}

    with pytest.raises(DynamoDBError) as caught:
        backend.call("TransactWriteItems", {"TransactItems": [update("a", "1"), update("b", "9"), update("c", "1")]})
    error = caught.value
    assert (error.code, error.status) == ("TransactionCanceledException", 400)
    assert error.dynamodb_type == "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    codes = [reason.get("Code", "None") for reason in error.extra["CancellationReasons"]]
    assert codes == ["None", "ConditionalCheckFailed", "None"]
    assert [item(backend, pk)["v"]["N"] for pk in ("a", "b", "c")] == ["1", "1", "1"]  # type: ignore[index]


def test_ttl_expired_items_stay_until_deleted(open_local: Callable[..., LocalBackend], clock: Any) -> None:
    """DynamoDB deletes expired items in the background, "typically within a few days"; until then
    they are read like any other. Replay must not depend on when it runs."""
    first = open_local()
    create_table(first)
    first.call("UpdateTimeToLive", {
        "TableName": TABLE, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
    })
    first.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "old"}, "expires": {"N": str(int(clock()) - 60)}}})
    clock.advance(86_400)
    abandon(first)
    assert item(open_local(), "old") is not None


def test_r12_query_pages_return_each_item_once_under_concurrent_inserts(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    backend.call("CreateTable", {
        "TableName": "Pages", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    })
    for n in range(0, 200, 2):
        backend.call("PutItem", {"TableName": "Pages", "Item": {"pk": {"S": "p"}, "sk": {"N": str(n)}}})
    seen: list[int] = []

    def role(index: int) -> None:
        if index == 0:
            start: dict[str, Any] | None = None
            for _ in range(1000):
                page = backend.call("Query", {
                    "TableName": "Pages", "KeyConditionExpression": "pk = :p", "Limit": 7,
                    "ExpressionAttributeValues": {":p": {"S": "p"}},
                    **({"ExclusiveStartKey": start} if start else {}),
                })
                seen.extend(int(i["sk"]["N"]) for i in page["Items"])
                start = page.get("LastEvaluatedKey")
                if start is None:
                    return
            raise AssertionError("pagination did not terminate")
        for n in range(1, 200, 2):
            backend.call("PutItem", {"TableName": "Pages", "Item": {"pk": {"S": "p"}, "sk": {"N": str(n)}}})

    run_threads(2, role)
    assert len(seen) == len(set(seen)), "an item came back twice"
    assert set(range(0, 200, 2)) <= set(seen), "an item present throughout was skipped"
    assert seen == sorted(seen)


def test_transact_get_items_honours_each_projection(backend: LocalBackend) -> None:
    """moto returns whole items here; the backend must not (it would bypass dynamodb:Attributes)."""
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "p"}, "a": {"S": "A"}, "secret": {"S": "X"}}})
    response = backend.call("TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": TABLE, "Key": {"pk": {"S": "p"}}, "ProjectionExpression": "#a",
                 "ExpressionAttributeNames": {"#a": "a"}}},
        {"Get": {"TableName": TABLE, "Key": {"pk": {"S": "absent"}}}},
    ]})
    assert response == {"Responses": [{"Item": {"a": {"S": "A"}}}, {}]}


def test_transact_get_items_allows_100_and_refuses_one_item_twice(backend: LocalBackend) -> None:
    gets = [{"Get": {"TableName": TABLE, "Key": {"pk": {"S": str(n)}}}} for n in range(100)]
    assert len(backend.call("TransactGetItems", {"TransactItems": gets})["Responses"]) == 100
    with pytest.raises(DynamoDBError) as caught:
        backend.call("TransactGetItems", {"TransactItems": gets[:2] + gets[:1]})
    assert caught.value.code == "ValidationException"
    assert caught.value.message == "Transaction request cannot include multiple operations on one item"


LEGACY_KEY_CONDITION = {"pk": {"AttributeValueList": [{"S": "p"}], "ComparisonOperator": "EQ"}}


@pytest.mark.parametrize(("operation", "params"), [
    ("GetItem", {"Key": {"pk": {"S": "p"}}}),
    ("Query", {"KeyConditions": LEGACY_KEY_CONDITION}),
    ("Query", {"KeyConditions": LEGACY_KEY_CONDITION, "Select": "SPECIFIC_ATTRIBUTES"}),
    ("Scan", {}),
])
def test_legacy_attributes_to_get_is_honoured(backend: LocalBackend, operation: str, params: dict[str, Any]) -> None:
    """moto ignores AttributesToGet (whole items would bypass dynamodb:Attributes)."""
    backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "p"}, "name": {"S": "A"}, "secret": {"S": "X"}}})
    response = backend.call(operation, {"TableName": TABLE, "AttributesToGet": ["name"], **params})
    items = [response["Item"]] if "Item" in response else response["Items"]
    assert items == [{"name": {"S": "A"}}]


def test_legacy_and_expression_parameters_do_not_mix(backend: LocalBackend) -> None:
    with pytest.raises(DynamoDBError) as caught:
        backend.call("Query", {"TableName": TABLE, "AttributesToGet": ["name"], "KeyConditionExpression": "pk = :p",
                               "ExpressionAttributeValues": {":p": {"S": "p"}}})
    assert caught.value.code == "ValidationException"
    assert caught.value.message.startswith("Can not use both expression and non-expression parameters")
