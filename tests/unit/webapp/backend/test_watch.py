"""The capacity watch: the units it counts are the ``ConsumedCapacity`` DynamoDB reports, on the
partition key the call touched; throttle refusals are counted; memory stays bounded.

Expected unit figures are the ones ``test_metering.py`` derives from the Developer Guide; here the
watch is checked against the backend's own report of the same call, with and without
``ReturnConsumedCapacity`` (the watch measures calls that do not ask, by a cheaper path).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend.errors import ProvisionedThroughputExceededException
from webapp.backend.local import LocalBackend
from webapp.backend.metering import CapacityMeter
from webapp.backend.watch import HotKeys, Usage, Watch, partition_key
from webapp.clock import ManualClock

from .conftest import TABLE, create_table, put


def key_units(backend: LocalBackend, table: str = TABLE, index: str | None = None) -> dict[str, float]:
    snapshot = backend.watch.snapshot(backend.clock(), show_keys=True, top=100)
    for group in snapshot["hot_keys"]:
        if (group["table"], group["index"]) == (table, index):
            return {k["clear"]: k["read_units"] + k["write_units"] for k in group["keys"]}
    return {}


#: (operation, parameters, the partition key charged, units): the units are test_metering.py's
#: figures (Developer Guide, "Read/write capacity mode"), for items "big" (5006 B), "small" (104 B).
CASES: list[tuple[str, dict[str, Any], str | None, float]] = [
    ("PutItem", {"Item": {"pk": {"S": "new"}, "d": {"S": "x" * 1500}}}, "new", 2.0),
    ("GetItem", {"Key": {"pk": {"S": "big"}}}, "big", 1.0),
    ("GetItem", {"Key": {"pk": {"S": "big"}}, "ConsistentRead": True}, "big", 2.0),
    ("GetItem", {"Key": {"pk": {"S": "absent"}}}, "absent", 0.5),
    ("GetItem", {"Key": {"pk": {"S": "big"}}, "ProjectionExpression": "pk"}, "big", 1.0),
    ("DeleteItem", {"Key": {"pk": {"S": "big"}}}, "big", 5.0),
    ("UpdateItem", {"Key": {"pk": {"S": "small"}}, "UpdateExpression": "SET d = :d",
                    "ExpressionAttributeValues": {":d": {"S": "y" * 3000}}}, "small", 3.0),
    ("Query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "big"}}}, "big", 1.0),
    ("Query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "big"}},
               "ProjectionExpression": "pk"}, "big", 1.0),
    ("Scan", {"ConsistentRead": True}, None, 2.0),
]
CALLS = [case[:3] for case in CASES]
EXPECTED = {(op, repr(params)): units for op, params, _, units in CASES}


@pytest.mark.parametrize("asked", [True, False], ids=["capacity asked", "not asked"])
@pytest.mark.parametrize(("operation", "params", "key"), CALLS)
def test_the_watch_counts_what_consumed_capacity_reports(
        open_local: Callable[..., LocalBackend], operation: str, params: dict[str, Any], key: str | None,
        asked: bool) -> None:
    backend = open_local()
    create_table(backend)
    put(backend, "big", size=5000)
    put(backend, "small", size=100)
    with_report = {"ReturnConsumedCapacity": "TOTAL"} if asked else {}
    before, table_before = key_units(backend), _table_units(backend)
    response = backend.call(operation, {"TableName": TABLE, **with_report, **params})
    expected = EXPECTED[(operation, repr(params))]
    if asked:  # the watch and the report are one measurement
        assert response["ConsumedCapacity"]["CapacityUnits"] == expected
    else:
        assert "ConsumedCapacity" not in response
    after = key_units(backend)
    if key is not None:
        assert after.get(key, 0) - before.get(key, 0) == expected
    else:  # a Scan has no one partition key: the table is charged, no key is
        assert after == before
    assert _table_units(backend) - table_before == expected


def _table_units(backend: LocalBackend) -> float:
    rows = [r for r in backend.watch.snapshot(backend.clock())["tables"] if (r["table"], r["index"]) == (TABLE, None)]
    return sum(r["total"]["read_units"] + r["total"]["write_units"] for r in rows)


def test_a_query_on_an_index_is_charged_to_the_index_partition_key(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    create_table(backend, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "owner", "AttributeType": "S"}],
                 GlobalSecondaryIndexes=[{"IndexName": "ByOwner",
                                          "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}])
    for n in range(3):
        backend.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": f"item-{n}"}, "owner": {"S": "carol"}}})
    backend.call("Query", {"TableName": TABLE, "IndexName": "ByOwner", "KeyConditionExpression": "#o = :o",
                           "ExpressionAttributeNames": {"#o": "owner"},
                           "ExpressionAttributeValues": {":o": {"S": "carol"}}})
    assert key_units(backend, index="ByOwner") == {"carol": 0.5}  # 3 small items: one 4 KB unit, halved
    assert "carol" not in key_units(backend)


def test_throttled_calls_are_counted_on_their_key(open_local: Callable[..., LocalBackend],
                                                  clock: ManualClock) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=1:1"))
    create_table(backend)
    put(backend, "hot")  # the one WCU of the first second
    refused = 0
    for _ in range(3):
        with pytest.raises(ProvisionedThroughputExceededException):
            put(backend, "hot")
        refused += 1
    snapshot = backend.watch.snapshot(clock(), show_keys=True)
    table = next(r for r in snapshot["tables"] if r["table"] == TABLE)
    assert (table["write_units"], table["throttles"]) == (1.0, refused)
    hot = next(g for g in snapshot["hot_keys"] if g["table"] == TABLE)["keys"][0]
    assert (hot["clear"], hot["write_units"], hot["throttles"]) == ("hot", 1.0, refused)


def test_unprocessed_batch_items_are_throttle_events(open_local: Callable[..., LocalBackend],
                                                     clock: ManualClock) -> None:
    backend = open_local(capacity=CapacityMeter.from_spec(f"{TABLE}=1:2"))
    create_table(backend)
    response = backend.call("BatchWriteItem", {"RequestItems": {TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": f"b{n}"}}}} for n in range(5)]}})
    left = len(response["UnprocessedItems"][TABLE])
    assert 0 < left < 5
    table = next(r for r in backend.watch.snapshot(clock())["tables"] if r["table"] == TABLE)
    assert (table["write_units"], table["throttles"]) == (5 - left, left)


def test_buckets_cover_the_window_and_old_seconds_drop_out() -> None:
    watch = Watch(window=10)
    watch.record(100.2, "T", None, None, Usage(read=1))
    watch.record(100.9, "T", None, None, Usage(read=2))
    watch.record(103.0, "T", None, None, Usage(write=4, throttles=1))
    per = watch.snapshot(104.5, seconds=5)["tables"][0]["per_second"]
    assert per == {"read": [3.0, 0.0, 0.0, 0.0, 0.0], "write": [0.0, 0.0, 0.0, 4.0, 0.0],
                   "throttles": [0.0, 0.0, 0.0, 1.0, 0.0]}
    later = watch.snapshot(111.0, seconds=10)["tables"][0]  # second 100 left the 10 s window
    assert (later["read_units"], later["write_units"], later["throttles"]) == (0.0, 4.0, 1)
    watch.record(110.0, "T", None, None, Usage(read=5))  # reuses second 100's slot
    assert watch.snapshot(110.0, seconds=10)["tables"][0]["read_units"] == 5.0
    assert watch.snapshot(110.0)["tables"][0]["total"] == {"read_units": 8.0, "write_units": 4.0, "throttles": 1}


def test_space_saving_keeps_the_heavy_key_among_many_light_ones() -> None:
    hot = HotKeys(capacity=4)
    for n in range(1000):
        hot.add(f"light-{n}", Usage(write=1))
        if n % 2 == 0:
            hot.add("heavy", Usage(write=1))
    assert len(hot.entries) == 4
    (key, (units, error, *_)), *_ = hot.top(1)
    # Metwally et al.: a key weighing more than total/capacity (500 of 1500 > 375) is kept, and
    # its true weight lies in [units - error, units].
    assert key == "heavy" and units - error <= 500 <= units


def test_labels_are_stable_per_table_and_not_a_plain_hash() -> None:
    watch = Watch(secret=b"k" * 32)
    key = partition_key({"S": "alice"})
    assert key is not None
    assert watch.label("T", key) == watch.label("T", key) != watch.label("U", key)
    assert watch.label("T", key) not in hashlib.sha256(key.encode()).hexdigest()
    assert Watch().label("T", key) != watch.label("T", key)  # a new stack, a new secret
