"""Reliability anchors R-1..R-6 over HTTP: boto3 against the running stack's DynamoDB endpoint
(SigV4, IAM, then the backend), many clients at once. moto's own server fails R-3 (lost
acknowledged writes and HTTP 500s, security-anchors §5.2); the stack must not."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningStack


def run_threads(count: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def start(index: int) -> None:
        barrier.wait()
        try:
            target(index)
        except BaseException as error:  # surfaced below, with the thread's cause
            failures.append(error)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures[:3]


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def status(error: ClientError) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture
def table(stack: RunningStack) -> Iterator[str]:
    name = f"Reliability-{uuid.uuid4().hex[:8]}"
    admin = stack.admin("dynamodb")
    admin.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    yield name
    admin.delete_table(TableName=name)


def clients(stack: RunningStack, count: int) -> list[Any]:
    return [stack.admin("dynamodb") for _ in range(count)]


def get(client: Any, table: str, pk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = client.get_item(
        TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    return found


def test_r1_32_concurrent_conditional_creates_have_one_winner(stack: RunningStack, table: str) -> None:
    pool = clients(stack, 32)
    outcomes: list[str] = []

    def create(index: int) -> None:
        try:
            pool[index].put_item(TableName=table, Item={"pk": {"S": "solo"}, "owner": {"N": str(index)}},
                                 ConditionExpression="attribute_not_exists(pk)")
            outcomes.append(f"won:{index}")
        except ClientError as error:
            outcomes.append(code(error))

    run_threads(32, create)
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1 and outcomes.count("ConditionalCheckFailedException") == 31
    stored = get(pool[0], table, "solo")
    assert stored is not None and winners == [f"won:{stored['owner']['N']}"]


def test_r2_optimistic_lock_increments_reach_exactly_160(stack: RunningStack, table: str) -> None:
    pool = clients(stack, 16)
    pool[0].put_item(TableName=table, Item={"pk": {"S": "n"}, "v": {"N": "0"}})

    def increment(index: int) -> None:
        client = pool[index]
        for _ in range(10):
            while True:
                current = get(client, table, "n")
                assert current is not None
                old = int(current["v"]["N"])
                try:
                    client.update_item(
                        TableName=table, Key={"pk": {"S": "n"}}, UpdateExpression="SET v = :new",
                        ConditionExpression="v = :old",
                        ExpressionAttributeValues={":new": {"N": str(old + 1)}, ":old": {"N": str(old)}},
                    )
                    break
                except ClientError as error:
                    assert code(error) == "ConditionalCheckFailedException"

    run_threads(16, increment)
    final = get(pool[0], table, "n")
    assert final is not None and final["v"]["N"] == "160"


def test_r3_failing_transactions_beside_plain_writes_lose_nothing_and_never_5xx(
    stack: RunningStack, table: str,
) -> None:
    pool = clients(stack, 5)
    pool[0].put_item(TableName=table, Item={"pk": {"S": "guard"}})
    acknowledged: list[str] = []
    unexpected: list[str] = []
    done = threading.Event()

    def writer(client: Any) -> None:
        try:
            for index in range(150):
                client.put_item(TableName=table, Item={"pk": {"S": f"w{index}"}})
                acknowledged.append(f"w{index}")
        finally:
            done.set()

    def failing_transactions(client: Any, index: int) -> None:
        attempt = 0
        while not done.is_set():
            attempt += 1
            try:
                client.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": {"pk": {"S": f"t{index}-{attempt}"}}}},
                    {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "guard"}},
                                        "ConditionExpression": "attribute_not_exists(pk)"}},
                ])
                unexpected.append("a transaction whose condition is false succeeded")
            except ClientError as error:
                if code(error) != "TransactionCanceledException" or status(error) >= 500:
                    unexpected.append(f"{status(error)} {code(error)}")

    run_threads(5, lambda i: writer(pool[0]) if i == 0 else failing_transactions(pool[i], i))
    assert unexpected == []
    assert len(acknowledged) == 150
    assert [pk for pk in acknowledged if get(pool[0], table, pk) is None] == []
    items = pool[0].scan(TableName=table, ConsistentRead=True)["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("t")], "a cancelled transaction wrote"


def add(table: str, amount: str) -> list[dict[str, Any]]:
    return [{"Update": {"TableName": table, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "ADD v :d",
                        "ExpressionAttributeValues": {":d": {"N": amount}}}}]


def test_r4_client_request_token(stack: RunningStack, table: str) -> None:
    client = stack.admin("dynamodb")
    token = str(uuid.uuid4())
    first = client.transact_write_items(TransactItems=add(table, "1"), ClientRequestToken=token)
    repeat = client.transact_write_items(TransactItems=add(table, "1"), ClientRequestToken=token)
    assert repeat["ResponseMetadata"]["HTTPStatusCode"] == 200 == first["ResponseMetadata"]["HTTPStatusCode"]
    assert get(client, table, "c") == {"pk": {"S": "c"}, "v": {"N": "1"}}, "the repeat did not re-apply"

    with pytest.raises(ClientError) as mismatch:
        client.transact_write_items(TransactItems=add(table, "7"), ClientRequestToken=token)
    assert (code(mismatch.value), status(mismatch.value)) == ("IdempotentParameterMismatchException", 400)

    with pytest.raises(ClientError) as too_long:
        client.transact_write_items(TransactItems=add(table, "1"), ClientRequestToken="x" * 37)
    assert (code(too_long.value), status(too_long.value)) == ("ValidationException", 400)
    assert get(client, table, "c") == {"pk": {"S": "c"}, "v": {"N": "1"}}


def test_r5_one_key_twice_in_a_transaction_is_refused_and_nothing_applies(stack: RunningStack, table: str) -> None:
    client = stack.admin("dynamodb")
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "other"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "dup"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "dup"}}}},
        ])
    assert (code(caught.value), status(caught.value)) == ("ValidationException", 400)
    assert get(client, table, "dup") is None and get(client, table, "other") is None


def test_r6_second_condition_false_gives_ordered_reasons_and_no_change(stack: RunningStack, table: str) -> None:
    client = stack.admin("dynamodb")
    for pk in ("a", "b", "c"):
        client.put_item(TableName=table, Item={"pk": {"S": pk}, "v": {"N": "1"}})

    def update(pk: str, expected: str) -> dict[str, Any]:
        return {"Update": {"TableName": table, "Key": {"pk": {"S": pk}}, "UpdateExpression": "SET v = :two",
                           "ConditionExpression": "v = :e",
                           "ExpressionAttributeValues": {":two": {"N": "2"}, ":e": {"N": expected}}}}

    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[update("a", "1"), update("b", "9"), update("c", "1")])
    assert (code(caught.value), status(caught.value)) == ("TransactionCanceledException", 400)
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None"]
    assert [get(client, table, pk)["v"]["N"] for pk in ("a", "b", "c")] == ["1", "1", "1"]  # type: ignore[index]
