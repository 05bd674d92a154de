"""The direct read path (``fast_reads.py``) answers exactly as moto's handler over HTTP does.

Differential: two engines share one moto backend; one answers GetItem, Query, Scan,
BatchGetItem and TransactGetItems by the direct path, the other (``_fast = None``) always by
moto's ``DynamoHandler`` and generic serialiser. A third engine over moto's stock
``DynamoDBBackend`` (no ``moto_models.py`` subclass, so moto's own ``Table.query``) holds the
same items and must answer the same too, except where this engine reads in DynamoDB's order
(Scan, an index's equal keys: ``semantics/order.py``). Seeded generated requests (projections,
filters, key conditions, limits, pagination, LSI/GSI, Select COUNT, consistent reads, capacity,
legacy parameters, missing tables, bad keys) go to both; the bodies must be equal as JSON, or
both must fail with the same code, status and message.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from webapp.backend.errors import DynamoDBError
from webapp.backend.fast_reads import FastReads, serializer
from webapp.backend.metering import CapacityMeter
from webapp.backend.moto_engine import MotoEngine, service_model
from webapp.backend.semantics import order
from webapp.backend.semantics.segments import segment_of
from webapp.backend.watch import Watch

REGION, ACCOUNT = "us-east-1", "000000000000"
ATTRS = ["title", "n", "tags", "nums", "blob", "blobs", "doc", "list", "flag", "none", "gsi_pk", "lsi_sk"]
TABLES: dict[str, dict[str, Any]] = {
    "Range": {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"},
                                 {"AttributeName": "lsi_sk", "AttributeType": "S"},
                                 {"AttributeName": "gsi_pk", "AttributeType": "S"}],
        "LocalSecondaryIndexes": [{"IndexName": "ByLsi", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsi_sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "ByGsi", "KeySchema": [{"AttributeName": "gsi_pk", "KeyType": "HASH"},
                                                 {"AttributeName": "sk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}},
            {"IndexName": "KeysOnly", "KeySchema": [{"AttributeName": "gsi_pk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    },
    "Hash": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
    "Binary": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "bk", "KeyType": "RANGE"}],
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "bk", "AttributeType": "B"}]},
}
PKS = ["a", "b", "c"]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _item(rng: random.Random, table: str, pk: str, index: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}}
    if table == "Range":
        item["sk"] = {"N": str(index if rng.random() < 0.8 else index + rng.choice([0.5, -0.25]))}
    elif table == "Binary":
        item["bk"] = {"B": _b64(bytes([index, 255 - index]))}
    values: dict[str, Any] = {
        "title": {"S": rng.choice(["sun", "moon", "star", "Sunset", "é ü ✓", ""])},
        "n": {"N": rng.choice(["1", "-2.5", "10", "0", "3.14159", "1E+3"])},
        "tags": {"SS": rng.sample(["x", "y", "z", "w"], rng.randint(1, 3))},
        "nums": {"NS": rng.sample(["1", "2", "3.5", "-4"], rng.randint(1, 3))},
        "blob": {"B": _b64(bytes(rng.randrange(256) for _ in range(rng.randint(0, 6))))},
        "blobs": {"BS": [_b64(b"\x00\x01"), _b64(bytes([rng.randrange(1, 256)]))]},
        "doc": {"M": {"a": {"S": "x"}, "b": {"M": {"c": {"N": str(index)}, "d": {"BOOL": True}}},
                      "e": {"L": [{"S": "p"}, {"NULL": True}]}}},
        "list": {"L": [{"N": str(index)}, {"M": {"k": {"S": "v"}}}, {"L": [{"BOOL": False}]}]},
        "flag": {"BOOL": rng.random() < 0.5},
        "none": {"NULL": True},
        "gsi_pk": {"S": rng.choice(["g1", "g2"])},
        "lsi_sk": {"S": f"l{rng.randint(0, 5)}"},
    }
    for name in rng.sample(ATTRS, rng.randint(3, len(ATTRS))):
        item[name] = values[name]
    return item


@pytest.fixture(scope="module")
def engines() -> tuple[MotoEngine, MotoEngine]:
    fast = MotoEngine(REGION, ACCOUNT)
    slow = MotoEngine(REGION, ACCOUNT, models=fast.models)
    slow._fast = None
    rng = random.Random(7)
    for name, spec in TABLES.items():
        fast.call("CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST", **spec})
        for pk in PKS:
            for index in range(rng.randint(3, 9)):
                fast.call("PutItem", {"TableName": name, "Item": _item(rng, name, pk, index)})
    return fast, slow


@pytest.fixture(scope="module")
def stock(engines: tuple[MotoEngine, MotoEngine]) -> MotoEngine:
    """moto's own backend with the same tables and items, always on the handler path."""
    engine = MotoEngine(REGION, ACCOUNT, models=DynamoDBBackend(REGION, ACCOUNT))
    engine._fast = None
    source = engines[0]
    for name, spec in TABLES.items():
        engine.call("CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST", **spec})
        for item in source.call("Scan", {"TableName": name})["Items"]:
            engine.call("PutItem", {"TableName": name, "Item": item})
    return engine


# Request generator ---------------------------------------------------------------------------------


def _projection(rng: random.Random, request: dict[str, Any]) -> None:
    choice = rng.random()
    names = request.setdefault("ExpressionAttributeNames", {})
    if choice < 0.35:
        paths = rng.sample(["pk", "sk", "title", "#n", "doc.b.c", "list[1].k", "list[0]", "tags",
                            "missing", "#d.a", "blob", "none", "doc.e[1]"], rng.randint(1, 4))
        if "#n" in paths:
            names["#n"] = "n"
        if "#d.a" in paths:
            names["#d"] = "doc"
        request["ProjectionExpression"] = ", ".join(paths)
    elif choice < 0.45:
        request["AttributesToGet"] = rng.sample(["pk", "title", "n", "doc", "missing"], rng.randint(1, 3))
    elif choice < 0.5:
        request["ProjectionExpression"] = rng.choice(["", "title,, n", "#undefined", "title, title"])
    if not names:
        del request["ExpressionAttributeNames"]


def _filter(rng: random.Random, request: dict[str, Any]) -> None:
    if rng.random() < 0.5 or "AttributesToGet" in request:
        return
    names = request.setdefault("ExpressionAttributeNames", {})
    values = request.setdefault("ExpressionAttributeValues", {})
    expression, extra_values = rng.choice([
        ("attribute_exists(title)", {}),
        ("attribute_not_exists(#fn)", {}),
        ("#fn > :f1", {":f1": {"N": "0"}}),
        ("begins_with(title, :f2)", {":f2": {"S": "s"}}),
        ("contains(tags, :f3)", {":f3": {"S": "x"}}),
        ("size(title) < :f4 OR flag = :f5", {":f4": {"N": "4"}, ":f5": {"BOOL": True}}),
        ("doc.b.c BETWEEN :f6 AND :f7", {":f6": {"N": "1"}, ":f7": {"N": "4"}}),
        ("#fn IN (:f1, :f8)", {":f1": {"N": "0"}, ":f8": {"N": "10"}}),
        ("title = :missing", {}),
        ("title === x", {}),
    ])
    if "#fn" in expression:
        names["#fn"] = "n"
    values.update(extra_values)
    request["FilterExpression"] = expression
    for key in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if not request[key]:
            del request[key]


def _common(rng: random.Random, request: dict[str, Any]) -> None:
    if rng.random() < 0.3:
        request["ConsistentRead"] = rng.random() < 0.7
    if rng.random() < 0.4:
        request["ReturnConsumedCapacity"] = rng.choice(["TOTAL", "INDEXES", "NONE", "SOME"])


def _key(rng: random.Random, table: str) -> dict[str, Any]:
    pk = {"S": rng.choice(PKS + ["zz"])}
    bad = rng.random()
    if bad < 0.05:
        return {"pk": pk, "other": {"S": "x"}}
    if bad < 0.1:
        return {"pk": {"N": "1"}, **({"sk": {"N": "1"}} if table == "Range" else {})}
    if bad < 0.13:
        return {"pk": {"S": ""}}
    if table == "Range":
        return {"pk": pk, "sk": {"N": str(rng.randint(0, 9))}}
    if table == "Binary":
        index = rng.randint(0, 9)
        return {"pk": pk, "bk": {"B": _b64(bytes([index, 255 - index]))}}
    return {"pk": pk}


def _table(rng: random.Random) -> str:
    return rng.choice(["Range", "Range", "Hash", "Binary", "Missing"])


def get_item(rng: random.Random) -> tuple[str, dict[str, Any]]:
    table = _table(rng)
    request: dict[str, Any] = {"TableName": table, "Key": _key(rng, table)}
    _projection(rng, request)
    _common(rng, request)
    return "GetItem", request


def query(rng: random.Random) -> tuple[str, dict[str, Any]]:
    table = _table(rng)
    request: dict[str, Any] = {"TableName": table}
    index = rng.choice([None, None, "ByLsi", "ByGsi", "KeysOnly", "NoSuchIndex"]) if table == "Range" else None
    hash_name, hash_value = ("gsi_pk", {"S": rng.choice(["g1", "g2"])}) if index in ("ByGsi", "KeysOnly") \
        else ("pk", {"S": rng.choice(PKS + ["zz"])})
    if rng.random() < 0.1:
        request["KeyConditions"] = {hash_name: {"ComparisonOperator": "EQ", "AttributeValueList": [hash_value]}}
    else:
        condition = "#h = :h"
        values: dict[str, Any] = {":h": hash_value}
        names = {"#h": hash_name}
        range_name = {"ByLsi": "lsi_sk", None: "sk", "ByGsi": "sk"}.get(index) if table == "Range" else None
        if range_name and rng.random() < 0.6:
            names["#r"] = range_name
            low, high = ({"S": "l1"}, {"S": "l4"}) if range_name == "lsi_sk" else ({"N": "2"}, {"N": "6"})
            condition += rng.choice([" AND #r = :lo", " AND #r < :hi", " AND #r >= :lo", " AND #r > :lo",
                                     " AND #r <= :hi", " AND #r BETWEEN :lo AND :hi"])
            values.update({k: v for k, v in ((":lo", low), (":hi", high)) if k in condition})
            if range_name == "lsi_sk" and rng.random() < 0.3:
                condition = "#h = :h AND begins_with(#r, :lo)"
                values = {":h": hash_value, ":lo": {"S": "l"}}
        if rng.random() < 0.05:
            condition = "title = :h"
            names = {}
        request["KeyConditionExpression"] = condition
        request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
    if index:
        request["IndexName"] = index
    _projection(rng, request)
    if "AttributesToGet" in request and "KeyConditionExpression" in request:
        request.pop("AttributesToGet")
    _filter(rng, request)
    _common(rng, request)
    if rng.random() < 0.4:
        request["Limit"] = rng.randint(1, 4)
    if rng.random() < 0.2:
        request["ScanIndexForward"] = False
    if rng.random() < 0.15:
        request["Select"] = "COUNT"
        request.pop("ProjectionExpression", None)
        request.pop("AttributesToGet", None)
    return "Query", request


def scan(rng: random.Random) -> tuple[str, dict[str, Any]]:
    table = _table(rng)
    request: dict[str, Any] = {"TableName": table}
    if table == "Range" and rng.random() < 0.3:
        request["IndexName"] = rng.choice(["ByLsi", "ByGsi", "KeysOnly"])
    _projection(rng, request)
    _filter(rng, request)
    _common(rng, request)
    if rng.random() < 0.4:
        request["Limit"] = rng.randint(1, 5)
    if rng.random() < 0.1:
        request.update(Segment=rng.randint(0, 2), TotalSegments=2)
    if rng.random() < 0.1:
        request["Select"] = "COUNT"
        request.pop("ProjectionExpression", None)
        request.pop("AttributesToGet", None)
    return "Scan", request


def batch_get_item(rng: random.Random) -> tuple[str, dict[str, Any]]:
    items: dict[str, Any] = {}
    for table in rng.sample(["Range", "Hash", "Binary", "Missing"], rng.randint(1, 3)):
        entry: dict[str, Any] = {"Keys": [_key(rng, table) for _ in range(rng.randint(1, 4))]}
        _projection(rng, entry)
        if rng.random() < 0.2:
            entry["ConsistentRead"] = True
        items[table] = entry
    request: dict[str, Any] = {"RequestItems": items}
    if rng.random() < 0.3:
        request["ReturnConsumedCapacity"] = rng.choice(["TOTAL", "INDEXES"])
    return "BatchGetItem", request


def transact_get_items(rng: random.Random) -> tuple[str, dict[str, Any]]:
    gets = []
    for _ in range(rng.randint(1, 3)):
        table = _table(rng)
        get: dict[str, Any] = {"TableName": table, "Key": _key(rng, table)}
        _projection(rng, get)
        get.pop("AttributesToGet", None)
        gets.append({"Get": get})
    return "TransactGetItems", {"TransactItems": gets}


GENERATORS = [get_item, query, query, query, scan, scan, batch_get_item, transact_get_items]


def answer(engine: MotoEngine, operation: str, request: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", json.loads(json.dumps(engine.call(operation, json.loads(json.dumps(request)))))
    except DynamoDBError as error:
        return "error", (error.code, error.status, error.message)


# Tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_generated_reads_answer_as_moto_server_does(engines: tuple[MotoEngine, MotoEngine], stock: MotoEngine,
                                                    seed: int) -> None:
    fast, slow = engines
    assert fast._fast is not None
    rng = random.Random(seed)
    direct = reads = 0
    outcomes = set()
    # what the semantic layer hands moto (it applies filters and projections itself)
    forwarded: list[tuple[str, Any]] = []
    to_moto = fast.semantics.forward
    fast.semantics.forward = lambda op, params: (forwarded.append((op, params)), to_moto(op, params))[1]
    for _ in range(120):
        operation, request = rng.choice(GENERATORS)(rng)
        expected = answer(slow, operation, request)
        forwarded.clear()
        got = answer(fast, operation, request)
        assert got == expected, (operation, request)
        # stock moto places items in segments by Python's hash, and scans and orders equal index
        # keys in its own sort order, where this engine reads in DynamoDB's (semantics/order.py)
        if operation != "Scan" and not (operation == "Query" and "IndexName" in request):
            assert answer(stock, operation, request) == expected, (operation, request)
        outcomes.add(expected[0])
        if operation in ("GetItem", "Query", "Scan", "BatchGetItem") and expected[0] == "ok":
            reads += 1
            direct += bool(forwarded) and all(fast._fast.call(op, params) is not None for op, params in forwarded)
    assert outcomes == {"ok", "error"}
    assert reads >= 30 and direct == reads  # every successful read took the direct path


@pytest.mark.parametrize("table, index", [("Range", None), ("Range", "ByLsi"), ("Range", "ByGsi"),
                                          ("Hash", None), ("Binary", None)])
@pytest.mark.parametrize("operation", ["Query", "Scan"])
def test_every_page_of_a_paginated_read_is_the_same(engines: tuple[MotoEngine, MotoEngine], stock: MotoEngine,
                                                     table: str, index: str | None, operation: str) -> None:
    """Following ``LastEvaluatedKey`` page by page (binary and numeric keys included)."""
    fast, slow = engines
    request: dict[str, Any] = {"TableName": table, "Limit": 2}
    if operation == "Query":
        key = "gsi_pk" if index == "ByGsi" else "pk"
        request.update(KeyConditionExpression=f"{key} = :h",
                       ExpressionAttributeValues={":h": {"S": "g1" if index == "ByGsi" else "a"}})
    if index:
        request["IndexName"] = index
    # stock moto agrees page by page where it reads in DynamoDB's order (a table's partition);
    # a Scan and an index's equal keys are in DynamoDB's order here (semantics/order.py), so there
    # the pages together must hold what stock moto returns in one read
    same_order = operation == "Query" and index is None
    whole = answer(stock, operation, {k: v for k, v in request.items() if k != "Limit"})
    pages, items = 0, []
    while True:
        expected, got = answer(slow, operation, request), answer(fast, operation, request)
        assert got == expected
        if same_order:
            assert expected == answer(stock, operation, request)
        items += expected[1]["Items"]
        pages += 1
        last = expected[1].get("LastEvaluatedKey")
        if last is None:
            break
        request["ExclusiveStartKey"] = last
    assert sorted(json.dumps(i, sort_keys=True) for i in items) == sorted(
        json.dumps(i, sort_keys=True) for i in whole[1]["Items"])
    assert pages >= (1 if (operation, table) == ("Query", "Hash") else 2)  # one item per hash key


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 3, 100])
@pytest.mark.parametrize("table, pk", [("Range", "a"), ("Range", "zz"), ("Binary", "b"), ("Hash", "c")])
def test_a_plain_key_query_matches_moto_own_table_query(engines: tuple[MotoEngine, MotoEngine], stock: MotoEngine,
                                                        table: str, pk: str, limit: int | None,
                                                        forward: bool) -> None:
    """The copy-free ``Table.query`` of ``moto_models.py``: order, Count, ScannedCount, the key
    of the last item of a full page, and capacity when asked."""
    request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "pk = :h",
                               "ExpressionAttributeValues": {":h": {"S": pk}}, "ScanIndexForward": forward,
                               "ReturnConsumedCapacity": "TOTAL"}
    if limit is not None:
        request["Limit"] = limit
    expected = answer(stock, "Query", request)
    assert expected[0] == "ok"
    assert answer(engines[0], "Query", request) == expected


@pytest.mark.parametrize("value, expected", [
    ({"Count": 2, "ScannedCount": 3, "Items": [{"b": {"B": b"\x00\xff"}}]},
     {"Count": 2, "ScannedCount": 3, "Items": [{"b": {"B": "AP8="}}]}),
    ({"Count": 1, "ScannedCount": 1, "ConsumedCapacity": {"TableName": "T", "CapacityUnits": 1}},
     {"Count": 1, "ScannedCount": 1, "ConsumedCapacity": {"TableName": "T", "CapacityUnits": 1.0}}),
    ({"Count": 0, "ScannedCount": 0, "LastEvaluatedKey": None}, {"Count": 0, "ScannedCount": 0}),
    ({"Count": 1, "ScannedCount": 1, "Items": [{"m": {"M": {"x": {"NULL": True}, "y": None}}}]},
     {"Count": 1, "ScannedCount": 1, "Items": [{"m": {"M": {"x": {"NULL": True}}}}]}),
])
def test_serializer_follows_moto_json_rules(value: dict[str, Any], expected: dict[str, Any]) -> None:
    """Blobs base64, doubles as floats, ``None`` members left out (moto's ``JSONSerializer``)."""
    output = service_model().operation_model("Query").output_shape
    assert serializer(output)(value) == expected


def test_a_value_it_cannot_render_goes_to_the_ordinary_path(engines: tuple[MotoEngine, MotoEngine]) -> None:
    """An unknown member (moto could find it by an alias) is not guessed at."""
    output = service_model().operation_model("Query").output_shape
    with pytest.raises(Exception, match="items"):
        serializer(output)({"items": []})
    fast, _ = engines
    reads = FastReads(type(fast._handler()), service_model())
    assert reads.call("DescribeTable", {"TableName": "Hash"}) is None  # not one of its operations
    assert reads.call("GetItem", {"TableName": "Missing", "Key": {"pk": {"S": "a"}}}) is None


def test_segmented_scan_pages_follow_the_writes_made_between_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Table.scan``'s cached order of a segment: inserts, deletes, in-place updates and a failed
    transaction between pages leave every page as moto's own loop over the live table gives it,
    once moto's loop is given DynamoDB's segments and order; and every item is in its DynamoDB
    segment."""
    monkeypatch.setattr(Item, "is_within_segment", lambda item, segments: segments == (None, None) or segment_of(
        {item.hash_key.type: item.hash_key.value}, segments[1]) == segments[0])

    # ... and DynamoDB's scan order (semantics/order.py), walked afresh on every page
    def scan_key(hash_key: DynamoType, range_key: DynamoType | None) -> Any:
        return order.scan_key((hash_key.type, hash_key.value),
                              (range_key.type, range_key.value) if range_key is not None else None)

    def all_items(table: Table) -> list[Item]:
        found = [item for partition in table.items.values() for item in partition.values()]
        return sorted(found, key=lambda item: scan_key(item.hash_key, item.range_key))

    def comes_before(table: Table, item: Item, start: dict[str, Any], *_: Any) -> bool:
        mine = scan_key(item.hash_key, item.range_key)
        theirs = scan_key(DynamoType(start[table.hash_key_attr]), DynamoType(start[table.range_key_attr]))
        return bool(mine <= theirs)

    monkeypatch.setattr(Table, "all_items", all_items)
    monkeypatch.setattr(Table, "_item_comes_before_dct", comes_before)
    ours = MotoEngine(REGION, ACCOUNT)
    theirs = MotoEngine(REGION, ACCOUNT, models=DynamoDBBackend(REGION, ACCOUNT))
    theirs._fast = None
    spec = {"KeySchema": TABLES["Range"]["KeySchema"],
            "AttributeDefinitions": TABLES["Range"]["AttributeDefinitions"][:2]}
    rng = random.Random(3)

    def both(operation: str, request: dict[str, Any]) -> Any:
        expected, got = answer(theirs, operation, request), answer(ours, operation, request)
        if operation == "Scan":
            assert got == expected, request
        else:  # the same write succeeded, or failed with the same error, on both
            assert got[0] == expected[0] and (got[0] == "ok" or got[1][0] == expected[1][0]), (got, expected)
        return expected

    both("CreateTable", {"TableName": "Seg", "BillingMode": "PAY_PER_REQUEST", **spec})
    for n in range(60):
        both("PutItem", {"TableName": "Seg", "Item": {"pk": {"S": f"p{n % 13}"}, "sk": {"N": str(n)}}})
    writes = [
        lambda n: ("PutItem", {"TableName": "Seg", "Item": {"pk": {"S": f"p{n % 17}"}, "sk": {"N": str(100 + n)}}}),
        lambda n: ("DeleteItem", {"TableName": "Seg", "Key": {"pk": {"S": f"p{n % 13}"}, "sk": {"N": str(n)}}}),
        lambda n: ("UpdateItem", {"TableName": "Seg", "Key": {"pk": {"S": f"p{n % 13}"}, "sk": {"N": str(n)}},
                                  "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}),
        lambda n: ("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": "Seg", "Item": {"pk": {"S": "new"}, "sk": {"N": str(n)}}}},
            {"ConditionCheck": {"TableName": "Seg", "Key": {"pk": {"S": "none"}, "sk": {"N": "0"}},
                                "ConditionExpression": "attribute_exists(pk)"}}]}),
    ]
    pages = 0
    for segment in range(3):
        request: dict[str, Any] = {"TableName": "Seg", "Limit": 4, "Segment": segment, "TotalSegments": 3}
        while True:
            outcome, page = both("Scan", request)
            assert outcome == "ok"
            assert {segment_of(item["pk"], 3) for item in page["Items"]} <= {segment}
            pages += 1
            both(*rng.choice(writes)(rng.randrange(60)))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert pages >= 15


# Served pages (``served.py``): generated tables and requests, fast against ordinary ---------------

KEY_TYPES = {"S": st.text(st.characters(codec="utf-8", blacklist_categories=("Cs",)), min_size=1, max_size=4),
             "N": st.integers(-50, 50).map(str),
             "B": st.binary(min_size=1, max_size=3).map(_b64)}
_served_values = st.recursive(st.one_of(
    st.text(max_size=8).map(lambda s: {"S": s}),
    st.sampled_from(["1", "-2.5", "1E+3", "0.0100", "12345678901234567890"]).map(lambda n: {"N": n}),
    st.binary(max_size=4).map(lambda b: {"B": _b64(b)}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.sampled_from([{"SS": ["a", "b"]}, {"NS": ["1", "2.50"]}, {"BS": [_b64(b"\x00"), _b64(b"\xff")]}]),
), lambda inner: st.one_of(st.lists(inner, max_size=2).map(lambda v: {"L": v}),
                           st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2).map(lambda v: {"M": v})),
    max_leaves=5)


@st.composite
def served_tables(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    hash_type = draw(st.sampled_from(sorted(KEY_TYPES)))
    range_type = draw(st.sampled_from([None, "S", "N"]))
    spec: dict[str, Any] = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": hash_type}]}
    if range_type:
        spec["KeySchema"].append({"AttributeName": "sk", "KeyType": "RANGE"})
        spec["AttributeDefinitions"].append({"AttributeName": "sk", "AttributeType": range_type})
    hashes = draw(st.lists(KEY_TYPES[hash_type], min_size=1, max_size=6, unique=True))
    items: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 25))):
        item: dict[str, Any] = {"pk": {hash_type: draw(st.sampled_from(hashes))}}
        if range_type:
            item["sk"] = {range_type: draw(KEY_TYPES[range_type])}
        item.update(draw(st.dictionaries(st.sampled_from(["a", "b", "é"]), _served_values, max_size=3)))
        items[json.dumps([item["pk"], item.get("sk")])] = item
    return spec, list(items.values())


served_requests = st.fixed_dictionaries({
    "Limit": st.one_of(st.none(), st.integers(1, 6)),
    "TotalSegments": st.one_of(st.none(), st.integers(1, 4)),
    "ConsistentRead": st.booleans(),
    "ReturnConsumedCapacity": st.sampled_from(["NONE", "TOTAL", "INDEXES"]),
    "ScanIndexForward": st.booleans(),
})


def _metered(engine: MotoEngine, meter: CapacityMeter, operation: str, request: dict[str, Any]) -> Any:
    plan = meter.admit(engine, operation, request, 1_800_000_000.0)
    assert plan is not None
    return json.loads(json.dumps(meter.settle(engine, plan, engine.call(operation, json.loads(json.dumps(request))),
                                              1_800_000_000.0)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(served_tables(), st.lists(served_requests, min_size=1, max_size=3), st.data())
def test_generated_tables_are_served_page_by_page_as_the_ordinary_path_serves_them(
        table: tuple[dict[str, Any], list[dict[str, Any]]], requests: list[dict[str, Any]], data: st.DataObject) -> None:
    """Every page of Scans (whole or by segment) and plain Queries of generated tables: the
    same items, order, keys and counts as the ordinary path, the same ``ConsumedCapacity`` and the
    same capacity watch per partition key (``metering.py`` sizes served items without walking them)."""
    spec, items = table
    fast = MotoEngine(REGION, ACCOUNT)
    slow = MotoEngine(REGION, ACCOUNT, models=fast.models)
    slow._fast = None
    fast.call("CreateTable", {"TableName": "G", "BillingMode": "PAY_PER_REQUEST", **spec})
    for item in items:
        fast.call("PutItem", {"TableName": "G", "Item": item})
    meters = {"fast": CapacityMeter(watch=Watch(secret=b"same")), "slow": CapacityMeter(watch=Watch(secret=b"same"))}
    pages = 0
    for options in requests:
        operation = data.draw(st.sampled_from(["Scan", "Query"]))
        base: dict[str, Any] = {"TableName": "G", "ConsistentRead": options["ConsistentRead"],
                                "ReturnConsumedCapacity": options["ReturnConsumedCapacity"]}
        if options["Limit"] is not None:
            base["Limit"] = options["Limit"]
        if operation == "Query":
            base.update(KeyConditionExpression="pk = :h", ScanIndexForward=options["ScanIndexForward"],
                        ExpressionAttributeValues={":h": data.draw(st.sampled_from(items))["pk"]})
            requests_ = [base]
        elif options["TotalSegments"] is None:
            requests_ = [base]
        else:
            total = options["TotalSegments"]
            requests_ = [{**base, "Segment": s, "TotalSegments": total} for s in range(total)]
        found = []
        for request in requests_:
            while True:
                forwarded = fast._fast.call(operation, {k: v for k, v in request.items()  # type: ignore[union-attr]
                                                        if k != "ReturnConsumedCapacity"})
                assert forwarded is not None  # the served path answers these
                expected = _metered(slow, meters["slow"], operation, request)
                got = _metered(fast, meters["fast"], operation, request)
                assert got == expected, request
                pages += 1
                found += got["Items"]
                if "LastEvaluatedKey" not in got:
                    break
                request = {**request, "ExclusiveStartKey": got["LastEvaluatedKey"]}
        if operation == "Scan":  # every item once, whatever the segments
            assert sorted(json.dumps(i, sort_keys=True) for i in found) == sorted(
                json.dumps(i, sort_keys=True) for i in fast.call("Scan", {"TableName": "G"})["Items"])
    snapshots = [meter.watch.snapshot(1_800_000_000.0, show_keys=True) for meter in meters.values()]
    assert snapshots[0] == snapshots[1]
    assert pages >= len(requests)


@pytest.mark.parametrize("operation", ["Query", "Scan"])
def test_the_one_megabyte_page_limit_cuts_served_pages_where_moto_cuts_them(operation: str) -> None:
    """Items of about 100 KB: moto's loop stops before the item that would pass 1,000,000 bytes
    of its sizes; the served page stops at the same item (stock moto agrees for the Query)."""
    fast = MotoEngine(REGION, ACCOUNT)
    slow = MotoEngine(REGION, ACCOUNT, models=fast.models)
    slow._fast = None
    stock = MotoEngine(REGION, ACCOUNT, models=DynamoDBBackend(REGION, ACCOUNT))
    stock._fast = None
    spec = {"KeySchema": TABLES["Range"]["KeySchema"], "AttributeDefinitions": TABLES["Range"]["AttributeDefinitions"][:2]}
    for engine in (fast, stock):
        engine.call("CreateTable", {"TableName": "Big", "BillingMode": "PAY_PER_REQUEST", **spec})
        for n in range(24):
            engine.call("PutItem", {"TableName": "Big", "Item": {
                "pk": {"S": "p"}, "sk": {"N": str(n)}, "text": {"S": "é" * 30_000 + "x" * (n * 1000)},
                "blob": {"B": _b64(bytes(range(256)) * 100)}, "n": {"N": "1E+3"}}})
    request: dict[str, Any] = {"TableName": "Big", "ReturnConsumedCapacity": "TOTAL"}
    if operation == "Query":
        request.update(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    sizes = []
    while True:
        expected, got = answer(slow, operation, request), answer(fast, operation, request)
        assert got == expected and got[0] == "ok"
        if operation == "Query":
            assert answer(stock, operation, request) == expected
        sizes.append(got[1]["Count"])
        if "LastEvaluatedKey" not in got[1]:
            break
        request["ExclusiveStartKey"] = got[1]["LastEvaluatedKey"]
    assert sum(sizes) == 24 and len(sizes) >= 3 and max(sizes) < 24


def test_a_binary_partition_key_is_in_its_dynamodb_segment() -> None:
    """moto holds a binary key as bytes; its segment is that of its bytes (``segment_of`` of the
    wire value, dynalite's ``hashPrefix``), not that of Python's text for the bytes."""
    fast = MotoEngine(REGION, ACCOUNT)
    slow = MotoEngine(REGION, ACCOUNT, models=fast.models)
    slow._fast = None
    fast.call("CreateTable", {"TableName": "BinaryHash", "BillingMode": "PAY_PER_REQUEST",
                              "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "B"}]})
    keys = {_b64(bytes([n, n * 7 % 256])) for n in range(40)}
    for key in keys:
        fast.call("PutItem", {"TableName": "BinaryHash", "Item": {"pk": {"B": key}}})
    for total in (2, 3, 5):
        seen = []
        for segment in range(total):
            request = {"TableName": "BinaryHash", "Segment": segment, "TotalSegments": total}
            for engine in (fast, slow):
                got = answer(engine, "Scan", request)
                assert {segment_of(item["pk"], total) for item in got[1]["Items"]} <= {segment}
            seen += [item["pk"]["B"] for item in got[1]["Items"]]
        assert sorted(seen) == sorted(keys)
