"""Durability and throttling through the running stack, as a client sees them.

* ``kill -9`` in the middle of a stream of writes: after a restart every write the client saw
  acknowledged is there (the journal is fsynced before the response is sent).
* R-7: with ``WEBAPP_THROTTLE`` a table's provisioned capacity is enforced; botocore retries
  ``ProvisionedThroughputExceededException`` with backoff and succeeds, or surfaces it when
  retries are off.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import RunningStack, free_port_block


def create_table(stack: RunningStack, name: str) -> None:
    stack.admin("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )


def test_kill_9_mid_stream_loses_no_acknowledged_write(fresh_stack: RunningStack) -> None:
    fresh_stack.start()
    table = "Durability"
    create_table(fresh_stack, table)
    acknowledged: list[str] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        client = fresh_stack.admin("dynamodb")
        index = 0
        while not stop.is_set():
            pk = f"{worker}-{index}"
            try:
                client.put_item(TableName=table, Item={"pk": {"S": pk}, "n": {"N": str(index)}})
            except (BotoCoreError, ClientError):
                return  # the server is gone: this write was never acknowledged
            acknowledged.append(pk)
            index += 1

    writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    fresh_stack.kill()  # SIGKILL while the writers are still writing
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    assert len(acknowledged) >= 200

    fresh_stack.start()
    client = fresh_stack.admin("dynamodb")
    missing = []
    for start in range(0, len(acknowledged), 100):
        keys = [{"pk": {"S": pk}} for pk in acknowledged[start : start + 100]]
        found = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
        assert not found.get("UnprocessedKeys")
        present = {i["pk"]["S"] for i in found["Responses"][table]}
        missing += [k["pk"]["S"] for k in keys if k["pk"]["S"] not in present]
    assert missing == []


def test_a_clean_stop_compacts_and_a_restart_serves_the_same_data(fresh_stack: RunningStack) -> None:
    fresh_stack.start()
    create_table(fresh_stack, "Graceful")
    admin = fresh_stack.admin("dynamodb")
    for index in range(20):
        admin.put_item(TableName="Graceful", Item={"pk": {"S": str(index)}, "b": {"B": bytes([index])}})
    fresh_stack.stop()  # SIGTERM: the stack closes the backend, which writes a snapshot
    store = fresh_stack.data_dir / "dynamodb"
    assert (store / "snapshot.db").exists()
    assert (store / "journal.jsonl").stat().st_size == 0

    fresh_stack.start()
    items = fresh_stack.admin("dynamodb").scan(TableName="Graceful", ConsistentRead=True)["Items"]
    assert sorted((i["pk"]["S"], i["b"]["B"]) for i in items) == sorted((str(n), bytes([n])) for n in range(20))


@pytest.fixture
def throttled_stack(tmp_path: Path) -> Iterator[RunningStack]:
    running = RunningStack(tmp_path / "data", free_port_block(), extra_env={"WEBAPP_THROTTLE": "Throttled=1:1"})
    running.start()
    yield running
    running.stop()


def test_r7_throttled_writes_are_retried_by_the_sdk_until_capacity_returns(throttled_stack: RunningStack) -> None:
    create_table(throttled_stack, "Throttled")
    no_retries = throttled_stack.admin("dynamodb")
    creds = throttled_stack.admin_credentials()
    import boto3

    # made before the bucket is drained: building a client can take seconds on a loaded machine,
    # enough for the bucket to refill before the retried write below
    retrying = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=throttled_stack.dynamodb_url,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        config=Config(retries={"mode": "legacy", "max_attempts": 10}),
    )
    # The bucket refills at 1 WCU a second from the table's creation, so on a loaded machine it may
    # hold a few units by now: write until it is empty (a handful of writes, each far under a second).
    written: list[str] = []
    with pytest.raises(ClientError) as caught:
        for attempt in range(30):
            no_retries.put_item(TableName="Throttled", Item={"pk": {"S": f"first-{attempt}"}})
            written.append(f"first-{attempt}")
    assert written, "the bucket starts with one second of capacity"
    error = caught.value.response
    assert error["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Consider increasing your provisioning level with the UpdateTable API." in error["Error"]["Message"]

    # A request is let in when the bucket holds one unit and charged its real cost afterwards, so an
    # 8 KB write (8 WCU), retried until a unit is back, leaves the bucket about 7 units in debt: the
    # next write is refused for about 7 s however slow this machine is, and the SDK's legacy
    # backoff (10 attempts, about 25 s in all) outlasts that.
    retrying.put_item(TableName="Throttled", Item={"pk": {"S": "large"}, "pad": {"S": "x" * 7900}})
    response = retrying.put_item(TableName="Throttled", Item={"pk": {"S": "retried"}})
    assert response["ResponseMetadata"]["RetryAttempts"] >= 1
    found = no_retries.scan(TableName="Throttled", ConsistentRead=True)
    assert sorted(i["pk"]["S"] for i in found["Items"]) == sorted([*written, "large", "retried"])
    # other tables are not throttled
    other = f"Free-{uuid.uuid4().hex[:6]}"
    create_table(throttled_stack, other)
    for index in range(10):
        no_retries.put_item(TableName=other, Item={"pk": {"S": str(index)}})
