"""Capacity-unit arithmetic, token buckets on a manual clock, throttling and ConsumedCapacity.

Expected figures follow the Developer Guide ("Read/write capacity mode", "Item sizes and
formats"): 4 KB read units (halved when eventually consistent, doubled in transactions), 1 KB
write units (doubled in transactions), Query/Scan rounding the summed size once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend.capacity import (
    CapacityMeter,
    Provisioned,
    TokenBucket,
    item_size,
    parse_throttle,
    read_units,
    write_units,
)
from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend
from webapp.clock import ManualClock

from .conftest import TABLE, create_table, item

KB = 1024


@pytest.mark.parametrize(("item", "size"), [
    ({"pk": {"S": "abc"}}, 2 + 3),                                   # name + UTF-8 length
    ({"é": {"S": "ü"}}, 2 + 2),                                      # UTF-8, not characters
    ({"n": {"N": "12345"}}, 1 + 3 + 1),                              # ceil(5 digits / 2) + 1
    ({"n": {"N": "1200.00"}}, 1 + 1 + 1),                            # trailing zeroes trimmed
    ({"n": {"N": "0"}}, 1 + 1 + 1),
    ({"b": {"B": base64.b64encode(b"\x00" * 10).decode()}}, 1 + 10),  # raw bytes, not base64 text
    ({"f": {"BOOL": True}, "z": {"NULL": True}}, 1 + 1 + 1 + 1),
    ({"s": {"SS": ["ab", "cde"]}}, 1 + 5),
    ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (2 + 1) + (2 + 1)),  # 3 + element + 1 each
    ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),          # key name counts too
    ({"m": {"M": {}}}, 1 + 3),
])
def test_item_size(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


@pytest.mark.parametrize(("size", "consistent", "transactional", "units"), [
    (0, True, False, 1.0),            # a read consumes at least one unit (an absent item too)
    (4 * KB, True, False, 1.0),
    (4 * KB + 1, True, False, 2.0),
    (4 * KB + 1, False, False, 1.0),  # eventually consistent: half
    (1, False, False, 0.5),
    (9 * KB, False, True, 6.0),       # transactional: twice the strongly consistent units
])
def test_read_units(size: int, consistent: bool, transactional: bool, units: float) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(("size", "transactional", "units"), [
    (0, False, 1.0), (KB, False, 1.0), (KB + 1, False, 2.0), (3500, False, 4.0), (3500, True, 8.0),
])
def test_write_units(size: int, transactional: bool, units: float) -> None:
    assert write_units(size, transactional=transactional) == units


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


def put(backend: LocalBackend, pk: str, size: int = 0, **extra: Any) -> dict[str, Any]:
    return backend.call("PutItem", {
        "TableName": TABLE, "Item": {"pk": {"S": pk}, "d": {"S": "x" * size}}, **extra,
    })


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


@pytest.mark.parametrize(("call", "expected"), [
    (("PutItem", {"Item": {"pk": {"S": "new"}, "d": {"S": "x" * 1500}}}), 2.0),
    (("GetItem", {"Key": {"pk": {"S": "big"}}}), 1.0),                           # 5006 B: 2 units, halved
    (("GetItem", {"Key": {"pk": {"S": "big"}}, "ConsistentRead": True}), 2.0),
    (("GetItem", {"Key": {"pk": {"S": "absent"}}, "ConsistentRead": True}), 1.0),
    (("GetItem", {"Key": {"pk": {"S": "big"}}, "ProjectionExpression": "pk"}), 1.0),  # whole item read
    (("DeleteItem", {"Key": {"pk": {"S": "big"}}}), 5.0),                        # 5006 B: 5 KB
    (("UpdateItem", {"Key": {"pk": {"S": "small"}}, "UpdateExpression": "SET d = :d",
                     "ExpressionAttributeValues": {":d": {"S": "y" * 3000}}}), 3.0),
    (("Scan", {"ConsistentRead": True}), 2.0),                                   # 5.1 KB summed: 2
    (("Scan", {"FilterExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nothing"}}}), 1.0),
])
def test_consumed_capacity_is_reported_when_asked(backend: LocalBackend, call: tuple[str, dict[str, Any]], expected: float) -> None:
    put(backend, "big", size=5000)
    put(backend, "small", size=100)
    operation, params = call
    response = backend.call(operation, {"TableName": TABLE, "ReturnConsumedCapacity": "TOTAL", **params})
    assert response["ConsumedCapacity"] == {"TableName": TABLE, "CapacityUnits": expected}


def test_consumed_capacity_is_absent_unless_asked(backend: LocalBackend) -> None:
    assert "ConsumedCapacity" not in put(backend, "a")
    assert "ConsumedCapacity" not in backend.call("UpdateItem", {
        "TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": {"N": "1"}},
    })
    assert "ConsumedCapacity" not in backend.call("BatchWriteItem", {
        "RequestItems": {TABLE: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]},
    })


def test_multi_table_operations_report_a_list_and_transactions_count_double(backend: LocalBackend) -> None:
    response = backend.call("TransactWriteItems", {
        "ReturnConsumedCapacity": "INDEXES",
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t2"}, "d": {"S": "x" * 1500}}}},
        ],
    })
    assert response["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 6.0, "Table": {"CapacityUnits": 6.0}},
    ]


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


def test_consumed_capacity_of_batches_is_a_list_per_table(backend: LocalBackend) -> None:
    create_table(backend, "Second")
    written = backend.call("BatchWriteItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        TABLE: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "d": {"S": "x" * 1500}}}}],
        "Second": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}, {"PutRequest": {"Item": {"pk": {"S": "c"}}}}],
    }})
    assert written["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 2.0}, {"TableName": "Second", "CapacityUnits": 2.0},
    ]
    read = backend.call("BatchGetItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        TABLE: {"Keys": [{"pk": {"S": "a"}}], "ConsistentRead": True},
        "Second": {"Keys": [{"pk": {"S": "b"}}, {"pk": {"S": "c"}}]},
    }})
    assert read["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 1.0}, {"TableName": "Second", "CapacityUnits": 1.0},
    ]


def test_index_reads_are_reported_per_index_with_indexes(backend: LocalBackend) -> None:
    backend.call("CreateTable", {
        "TableName": "Indexed", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
    })
    backend.call("PutItem", {"TableName": "Indexed", "Item": {"pk": {"S": "a"}, "g": {"S": "G"}}})
    response = backend.call("Query", {
        "TableName": "Indexed", "IndexName": "byG", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "G"}}, "ReturnConsumedCapacity": "INDEXES",
    })
    assert response["ConsumedCapacity"] == {
        "TableName": "Indexed", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
        "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 0.5}},
    }


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
