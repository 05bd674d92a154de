"""Query pages read from the partition (``query_pages.py``) are moto's loop's pages.

Differential, on one backend: every request is answered with ``key_order_reads`` on and off
(off: moto's ``Table.query`` over the whole table, with ``moto_models.py``'s DynamoDB order),
following ``LastEvaluatedKey`` page by page, with writes between pages that add, delete and
move items in and out of an index (an update of an index key changes the item in place). The
bodies must be equal as JSON (items, order, Count, ScannedCount, LastEvaluatedKey, capacity),
or both calls must fail alike. Sort keys of every type, every key-condition operator, both
directions, local and global indexes of every projection, equal index sort keys across pages.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from webapp.backend import query_pages
from webapp.backend.errors import DynamoDBError
from webapp.backend.metering import CapacityMeter
from webapp.backend.moto_engine import MotoEngine
from webapp.backend.moto_models import _UndoableTable
from webapp.backend.watch import Watch

REGION, ACCOUNT = "us-east-1", "000000000000"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _spec(range_type: str) -> dict[str, Any]:
    return {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": range_type},
                                 {"AttributeName": "g", "AttributeType": "S"},
                                 {"AttributeName": "gn", "AttributeType": "N"},
                                 {"AttributeName": "l", "AttributeType": "S"}],
        "LocalSecondaryIndexes": [
            {"IndexName": "LsiAll", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                  {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "LsiKeys", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "GsiNum", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                  {"AttributeName": "gn", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}},
            {"IndexName": "GsiHash", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}],
    }


def _range_value(range_type: str, n: int) -> dict[str, Any]:
    """Item ``n``'s sort key: the same for every write of ``n``, so that writes hit stored items."""
    if range_type == "N":
        return {"N": str(n if n % 3 else n + (0.5 if n % 2 else -0.25))}
    if range_type == "B":
        return {"B": _b64(bytes([n % 7, (n * 37) % 256]))}
    return {"S": ["a", "b", "é", "z", "ab"][n % 5] + f"{n:03d}"}


def _item(rng: random.Random, range_type: str, n: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"p{n % 3 + 1}"}, "sk": _range_value(range_type, n),
                            "title": {"S": "t" * rng.randint(0, 4)}, "other": {"N": str(n)}}
    if rng.random() < 0.8:
        item["g"] = {"S": rng.choice(["g1", "g2"])}
    if rng.random() < 0.8:
        item["gn"] = {"N": str(rng.randint(0, 3))}  # many equal index sort keys
    if rng.random() < 0.7:
        item["l"] = {"S": rng.choice(["x", "y", "yy", "z"])}
    return item


def _answer(engine: MotoEngine, operation: str, request: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", json.loads(json.dumps(engine.call(operation, json.loads(json.dumps(request)))))
    except DynamoDBError as error:
        return "error", (error.code, error.status, error.message)


def _both(engine: MotoEngine, monkeypatch: pytest.MonkeyPatch, request: dict[str, Any],
          operation: str = "Query") -> tuple[str, Any]:
    with monkeypatch.context() as patched:
        patched.setattr(_UndoableTable, "key_order_reads", False)
        expected = _answer(engine, operation, request)
    got = _answer(engine, operation, request)
    assert got == expected, request
    return got


_CONDITIONS = [" AND #r = :a", " AND #r < :b", " AND #r <= :b", " AND #r > :a", " AND #r >= :a",
               " AND #r BETWEEN :a AND :b", " AND begins_with(#r, :p)"]


def _request(rng: random.Random, range_type: str) -> dict[str, Any]:
    index = rng.choice([None, None, "LsiAll", "LsiKeys", "GsiNum", "GsiHash", "Missing"])
    hash_name, hash_value = ("g", {"S": rng.choice(["g1", "g2", "g3"])}) if index in ("GsiNum", "GsiHash") else \
        ("pk", {"S": rng.choice(["p1", "p2", "p3", "p4"])})
    range_name, kind = {None: ("sk", range_type), "LsiAll": ("l", "S"), "LsiKeys": ("l", "S"),
                        "GsiNum": ("gn", "N"), "GsiHash": (None, None), "Missing": ("sk", range_type)}[index]
    condition, names, values = "#h = :h", {"#h": hash_name}, {":h": hash_value}
    if range_name and kind and rng.random() < 0.7:
        extra = rng.choice(_CONDITIONS if kind != "N" else _CONDITIONS[:-1])
        names["#r"] = range_name
        low, high = {"N": ({"N": "1"}, {"N": "2.5"}), "S": ({"S": "b"}, {"S": "y"}),
                     "B": ({"B": _b64(b"\x05")}, {"B": _b64(b"\x20")})}[kind]
        for placeholder, value in ((":a", low), (":b", high), (":p", {kind: low[kind][:1] if kind == "S" else low[kind]})):
            if placeholder in extra:
                values[placeholder] = value
        condition += extra
    request: dict[str, Any] = {"TableName": "T", "KeyConditionExpression": condition,
                               "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
    if index:
        request["IndexName"] = index
    if rng.random() < 0.4:
        request["ScanIndexForward"] = False
    if rng.random() < 0.8:
        request["Limit"] = rng.randint(1, 4)
    if rng.random() < 0.3:
        request["ReturnConsumedCapacity"] = rng.choice(["TOTAL", "INDEXES"])
    if rng.random() < 0.1:
        request["ConsistentRead"] = True
    return request


def _scan_request(rng: random.Random) -> dict[str, Any]:
    request: dict[str, Any] = {"TableName": "T"}
    if rng.random() < 0.7:
        request["IndexName"] = rng.choice(["LsiAll", "LsiKeys", "GsiNum", "GsiHash", "Missing"])
    if rng.random() < 0.8:
        request["Limit"] = rng.randint(1, 7)
    if rng.random() < 0.3:
        total = rng.randint(1, 4)
        request.update(Segment=rng.randrange(total), TotalSegments=total)
    if rng.random() < 0.3:
        request["ReturnConsumedCapacity"] = rng.choice(["TOTAL", "INDEXES"])
    if rng.random() < 0.1:
        request["ConsistentRead"] = True
    return request


def _write(rng: random.Random, range_type: str) -> tuple[str, dict[str, Any]]:
    item = _item(rng, range_type, rng.randrange(36))
    key = {"pk": item["pk"], "sk": item["sk"]}
    choice = rng.random()
    if choice < 0.4:
        return "PutItem", {"TableName": "T", "Item": item}
    if choice < 0.6:
        return "DeleteItem", {"TableName": "T", "Key": key}
    return "UpdateItem", {"TableName": "T", "Key": key, "UpdateExpression": "SET g = :g, gn = :n, l = :l",
                          "ConditionExpression": "attribute_exists(pk)",
                          "ExpressionAttributeValues": {":g": {"S": rng.choice(["g1", "g2"])},
                                                        ":n": {"N": str(rng.randint(0, 3))}, ":l": {"S": "y"}}}


@pytest.mark.parametrize("range_type", ["S", "N", "B"])
@pytest.mark.parametrize("seed", range(3))
def test_every_page_of_every_query_and_index_scan_is_moto_loops_page(monkeypatch: pytest.MonkeyPatch, range_type: str,
                                                      seed: int) -> None:
    rng = random.Random(seed)
    engine = MotoEngine(REGION, ACCOUNT)
    engine.call("CreateTable", {"TableName": "T", "BillingMode": "PAY_PER_REQUEST", **_spec(range_type)})
    for n in range(30):
        engine.call("PutItem", {"TableName": "T", "Item": _item(rng, range_type, n)})
    outcomes: set[str] = set()
    pages = 0
    taken: list[bool] = []
    candidates = query_pages.candidates

    def counted(*args: Any) -> Any:
        found = candidates(*args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(query_pages, "candidates", counted)
    index_scan = query_pages.index_scan
    monkeypatch.setattr(query_pages, "index_scan", lambda *args: counted_scan(index_scan(*args)))

    def counted_scan(found: Any) -> Any:
        taken.append(found is not None)
        return found

    builds: list[str] = []
    groups = query_pages.IndexGroups.__init__
    monkeypatch.setattr(query_pages.IndexGroups, "__init__",
                        lambda self, table, index: (builds.append(index.name), groups(self, table, index))[1])
    for _ in range(50):
        operation = rng.choice(["Query", "Query", "Query", "Scan"])
        request = _request(rng, range_type) if operation == "Query" else _scan_request(rng)
        while True:
            outcome, body = _both(engine, monkeypatch, request, operation)
            outcomes.add(outcome)
            pages += 1
            if rng.random() < 0.5:  # the next page is read after a write
                _answer(engine, *_write(rng, range_type))
            if outcome != "ok" or "LastEvaluatedKey" not in body:
                break
            request = {**request, "ExclusiveStartKey": body["LastEvaluatedKey"]}
    assert outcomes == {"ok", "error"} and pages >= 60
    # the partition or the index groups answered, or moto's loop (a missing index, a bad start key)
    assert sum(taken) >= 0.75 * len(taken) and len(taken) >= 0.6 * pages
    # with key_order_reads on, writes move items within the groups instead of dropping them:
    # each index's groups are built once (and again after a failed, rolled-back write)
    assert len(builds) <= 2 * len(set(builds)) + 2, builds


@pytest.mark.parametrize("seed", range(2))
def test_capacity_of_a_filtered_read_is_measured_on_the_items_it_carries(seed: int) -> None:
    """``ConsumedCapacity`` of Queries and Scans with filters, projections and ``Select: COUNT``
    from the items the semantic layer's read carries (``reads.Read``) is the figure of reading
    them again unfiltered, and no second read is made."""
    rng = random.Random(seed)
    engine = MotoEngine(REGION, ACCOUNT)
    engine.call("CreateTable", {"TableName": "T", "BillingMode": "PAY_PER_REQUEST", **_spec("S")})
    for n in range(40):  # items of 0.3-3 KB: a read of a few of them is more than one 4 KB unit
        engine.call("PutItem", {"TableName": "T", "Item": {**_item(rng, "S", n), "pad": {"S": "x" * rng.randint(300, 3000)}}})
    meters = [CapacityMeter(watch=Watch(secret=b"same")) for _ in range(2)]
    calls: list[str] = []
    call = engine.call
    compared = 0
    for _ in range(50):
        operation = rng.choice(["Query", "Scan"])
        request = _request(rng, "S") if operation == "Query" else {"TableName": "T", "Limit": rng.randint(1, 30)}
        if operation == "Scan" and rng.random() < 0.3:
            request["IndexName"] = rng.choice(["LsiAll", "LsiKeys", "GsiNum"])
        request["ReturnConsumedCapacity"] = rng.choice(["TOTAL", "INDEXES"])
        extra = rng.choice([{"Select": "COUNT"}, {"ProjectionExpression": "title"},
                            {"FilterExpression": "other > :o", "ExpressionAttributeValues": {":o": {"N": "20"}}},
                            {"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "other"}])
        request = {**request, **extra, "ExpressionAttributeValues": {
            **request.get("ExpressionAttributeValues", {}), **extra.get("ExpressionAttributeValues", {})}}
        if not request["ExpressionAttributeValues"]:
            del request["ExpressionAttributeValues"]
        figures = []
        for number, meter in enumerate(meters):
            plan = meter.admit(engine, operation, request, 1_800_000_000.0)
            assert plan is not None
            try:
                response = call(operation, json.loads(json.dumps(request)))
            except DynamoDBError as error:
                figures.append(("error", error.code))
                continue
            if number == 1:
                response = dict(response)  # a plain answer: measured by reading again
            calls.clear()
            engine.call = lambda op, params: (calls.append(op), call(op, params))[1]  # type: ignore[method-assign]
            try:
                settled = meter.settle(engine, plan, response, 1_800_000_000.0)
            finally:
                engine.call = call  # type: ignore[method-assign]
            assert (operation in calls) == (number == 1), (number, calls)
            figures.append(("ok", json.loads(json.dumps(settled.get("ConsumedCapacity")))))
        assert figures[0] == figures[1], request
        compared += figures[0][0] == "ok"
    assert compared >= 20
    snapshots = [meter.watch.snapshot(1_800_000_000.0, show_keys=True) for meter in meters]
    assert snapshots[0] == snapshots[1]


def test_an_index_created_again_under_its_name_is_read_by_its_new_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """UpdateTable deletes a global index and creates another of the same name on other keys:
    its groups are built again for the new index, not read from the old one's."""
    engine = MotoEngine(REGION, ACCOUNT)
    engine.call("CreateTable", {"TableName": "T", "BillingMode": "PAY_PER_REQUEST",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                         {"AttributeName": "x", "AttributeType": "S"}],
                                "GlobalSecondaryIndexes": [{"IndexName": "G", "Projection": {"ProjectionType": "ALL"},
                                                            "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]}]})
    for n in range(6):
        engine.call("PutItem", {"TableName": "T", "Item": {"pk": {"S": f"p{n}"}, "x": {"S": "same"},
                                                           "y": {"S": f"y{n % 2}"}}})
    by_x = {"TableName": "T", "IndexName": "G", "KeyConditionExpression": "x = :v",
            "ExpressionAttributeValues": {":v": {"S": "same"}}}
    assert _both(engine, monkeypatch, by_x)[1]["Count"] == 6
    engine.call("UpdateTable", {"TableName": "T", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "G"}}]})
    engine.call("UpdateTable", {"TableName": "T", "AttributeDefinitions": [{"AttributeName": "y", "AttributeType": "S"}],
                                "GlobalSecondaryIndexUpdates": [{"Create": {
                                    "IndexName": "G", "Projection": {"ProjectionType": "ALL"},
                                    "KeySchema": [{"AttributeName": "y", "KeyType": "HASH"}]}}]})
    by_y = {**by_x, "KeyConditionExpression": "y = :v", "ExpressionAttributeValues": {":v": {"S": "y1"}}}
    assert _both(engine, monkeypatch, by_y)[1]["Count"] == 3
    assert _both(engine, monkeypatch, by_x)[0] == "error"  # x is no key of G any more
