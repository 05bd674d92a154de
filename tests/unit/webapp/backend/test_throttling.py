"""Provisioned-throughput throttling: token buckets on a manual clock, and through the backend.

Rates and burst follow the Developer Guide ("Read/write capacity mode"; "Best practices for
designing partition keys": up to 300 seconds of unused capacity is retained); batch splitting
follows the BatchWriteItem / BatchGetItem API Reference (``UnprocessedItems`` /
``UnprocessedKeys``, refused only when nothing can be processed).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend
from webapp.backend.metering import CapacityMeter
from webapp.backend.throttling import Provisioned, TokenBucket, parse_throttle
from webapp.clock import ManualClock

from .conftest import TABLE, create_table, item, put


def test_a_bucket_refills_at_its_rate_and_keeps_at_most_300_seconds() -> None:
    bucket = TokenBucket(rate=5, now=0)
    assert bucket.tokens == 5  # one second to start with
    bucket.consume(5, now=0)
    assert not bucket.has_capacity(now=0, needed=0.5)
    assert not bucket.has_capacity(now=0.05, needed=0.5), "a sliver of refill is not a unit"
    assert bucket.has_capacity(now=0.5) and bucket.tokens == pytest.approx(2.5)
    bucket.refill(now=10_000)
    assert bucket.tokens == 1500  # 300 s of unused capacity, no more
    bucket.consume(1510, now=10_000)
    assert not bucket.has_capacity(now=10_001, needed=0.5), "debt from a large read is repaid first"
    assert bucket.has_capacity(now=10_002.1, needed=0.5)


@pytest.mark.parametrize(("spec", "enabled", "tables"), [
    (None, False, {}),
    ("", False, {}),
    ("on", True, {}),
    ("Photos=5:5", True, {"Photos": Provisioned(5, 5)}),
    ("Photos=5:1, Sessions=10.5:2", True, {"Photos": Provisioned(5, 1), "Sessions": Provisioned(10.5, 2)}),
])
def test_throttle_configuration(spec: str | None, enabled: bool, tables: dict[str, Provisioned]) -> None:
    assert parse_throttle(spec) == (enabled, tables)


def test_a_malformed_throttle_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="Table=RCU:WCU"):
        parse_throttle("Photos=lots")


# Through the backend ----------------------------------------------------------------------------


def test_throttled_table_refuses_when_its_bucket_is_empty_and_recovers(
    open_local: Callable[..., LocalBackend], clock: ManualClock,
) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=2:2"))
    create_table(backend)
    put(backend, "a")
    put(backend, "b")
    with pytest.raises(DynamoDBError) as caught:
        put(backend, "c")
    error = caught.value
    assert (error.code, error.status) == ("ProvisionedThroughputExceededException", 400)
    assert error.message == (
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API."
    )
    assert item(backend, "c") is None, "a throttled write changes nothing"
    clock.advance(0.5)
    put(backend, "c")
    assert item(backend, "c") is not None


def test_a_large_write_consumes_per_kilobyte(open_local: Callable[..., LocalBackend], clock: ManualClock) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=100:3"))
    create_table(backend)
    put(backend, "big", size=2500)  # ~2.5 KB: 3 WCU, the whole first second
    with pytest.raises(DynamoDBError):
        put(backend, "small")
    clock.advance(1)
    put(backend, "small")


def test_tables_created_with_provisioned_throughput_are_throttled_when_enabled(
    open_local: Callable[..., LocalBackend],
) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec("on"))
    create_table(backend, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    create_table(backend, "OnDemand")
    put(backend, "a")
    with pytest.raises(DynamoDBError) as caught:
        put(backend, "b")
    assert caught.value.code == "ProvisionedThroughputExceededException"
    for index in range(5):  # on-demand tables are never throttled
        backend.call("PutItem", {"TableName": "OnDemand", "Item": {"pk": {"S": str(index)}}})


def test_throttling_is_off_by_default(backend: LocalBackend) -> None:
    for index in range(50):
        put(backend, str(index), size=2000)
    assert item(backend, "49") is not None


def test_r11_a_throttled_batch_write_returns_what_it_could_not_process(
    open_local: Callable[..., LocalBackend], clock: ManualClock,
) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=10:3"))
    create_table(backend)
    requests = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(5)]
    first = backend.call("BatchWriteItem", {"RequestItems": {TABLE: requests}})
    assert first["UnprocessedItems"] == {TABLE: requests[3:]}
    assert [item(backend, f"k{i}") is not None for i in range(5)] == [True, True, True, False, False]
    with pytest.raises(DynamoDBError) as caught:  # nothing at all can be processed
        backend.call("BatchWriteItem", {"RequestItems": first["UnprocessedItems"]})
    assert caught.value.code == "ProvisionedThroughputExceededException"
    clock.advance(1)
    second = backend.call("BatchWriteItem", {"RequestItems": first["UnprocessedItems"]})
    assert second["UnprocessedItems"] == {}
    assert all(item(backend, f"k{i}") is not None for i in range(5))


def test_r11_a_throttled_batch_get_returns_unprocessed_keys_with_their_options(
    open_local: Callable[..., LocalBackend],
) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=1:100"))
    create_table(backend)
    keys = [{"pk": {"S": f"k{i}"}} for i in range(4)]
    for key in keys:
        backend.call("PutItem", {"TableName": TABLE, "Item": {**key, "v": {"S": "x"}}})
    response = backend.call("BatchGetItem", {"RequestItems": {TABLE: {"Keys": keys, "ProjectionExpression": "pk"}}})
    assert response["Responses"][TABLE] == [{"pk": {"S": "k0"}}, {"pk": {"S": "k1"}}]  # 2 x 0.5 RCU
    assert response["UnprocessedKeys"] == {TABLE: {"Keys": keys[2:], "ProjectionExpression": "pk"}}


def test_update_table_changes_the_enforced_throughput(open_local: Callable[..., LocalBackend], clock: ManualClock) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec("on"))
    create_table(backend, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    put(backend, "a")
    with pytest.raises(DynamoDBError):
        put(backend, "b")
    backend.call("UpdateTable", {"TableName": TABLE, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 10}})
    clock.advance(0.2)  # 0.2 s at 10 WCU/s: two writes' worth
    put(backend, "b")
    put(backend, "c")
    with pytest.raises(DynamoDBError):
        put(backend, "d")
    backend.call("UpdateTable", {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST"})
    for pk in "defgh":
        put(backend, pk)
