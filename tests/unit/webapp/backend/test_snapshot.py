"""The snapshot's direct, lazy loader rebuilds exactly what the API built: same items, same answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.backend import snapshot
from webapp.backend.moto_engine import MotoEngine

TABLE = {"TableName": "Things", "BillingMode": "PAY_PER_REQUEST",
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "B"}],
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}
HASH_ONLY = {"TableName": "Flat", "BillingMode": "PAY_PER_REQUEST",
             "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
             "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}
BLOB = base64.b64encode(b"\x00\xffbinary").decode()
#: One attribute of every type, nested ones included (DynamoDB DG, "Supported data types"), and
#: text that must not break a line (tab, newline, non-ASCII).
ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "a"}, "sk": {"B": BLOB}, "s": {"S": "text\twith\ntabs é"}, "n": {"N": "-1.50"}, "b": {"B": BLOB},
     "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [BLOB, base64.b64encode(b"2").decode()]},
     "bool": {"BOOL": True}, "null": {"NULL": True},
     "m": {"M": {"inner": {"L": [{"B": BLOB}, {"M": {"deep": {"BS": [BLOB]}}}, {"N": "3"}]}}},
     "l": {"L": [{"S": "one"}, {"L": []}, {"M": {}}]}},
    {"pk": {"S": "a"}, "sk": {"B": base64.b64encode(b"other").decode()}},
    {"pk": {"S": "b\n#c"}, "sk": {"B": BLOB}, "s": {"S": ""}},
]


def _engine_with_items() -> MotoEngine:
    engine = MotoEngine("us-east-1", "000000000000")
    engine.call("CreateTable", TABLE)
    engine.call("CreateTable", HASH_ONLY)
    for item in ITEMS:
        engine.call("PutItem", {"TableName": "Things", "Item": item})
    for n in range(3):
        engine.call("PutItem", {"TableName": "Flat", "Item": {"id": {"N": str(n)}, "v": {"S": "#" * n}}})
    return engine


def _dump(engine: MotoEngine, seq: int = 7) -> bytes:
    return b"".join(snapshot.dump(engine.models, seq, [{"token": "t"}]))


def _restored(data: bytes) -> tuple[MotoEngine, snapshot.Loaded]:
    restored = MotoEngine("us-east-1", "000000000000")
    return restored, snapshot.load(restored.models, data)


def test_direct_load_equals_loading_through_the_api() -> None:
    original = _engine_with_items()
    data = _dump(original)
    restored, loaded = _restored(data)
    assert (loaded.seq, loaded.tokens, loaded.items) == (7, [{"token": "t"}], 6)
    assert _dump(restored) == data, "undecoded items are written back as the same bytes"
    for item in ITEMS:
        request = {"TableName": "Things", "Key": {"pk": item["pk"], "sk": item["sk"]}}
        assert restored.call("GetItem", request) == original.call("GetItem", request)
    query = {"TableName": "Things", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}},
             "FilterExpression": "contains(bs, :b) OR attribute_not_exists(s)", }
    query["ExpressionAttributeValues"][":b"] = {"B": BLOB}
    assert restored.call("Query", query) == original.call("Query", query)
    assert restored.call("Query", query)["Count"] == 2
    for table in ("Things", "Flat"):
        assert restored.call("Scan", {"TableName": table}) == original.call("Scan", {"TableName": table})
        described = [e.call("DescribeTable", {"TableName": table})["Table"] for e in (restored, original)]
        assert described[0] == described[1]
    assert _dump(restored) == data, "decoding on read changes nothing written"


def test_items_are_decoded_on_first_read_only() -> None:
    restored, _ = _restored(_dump(_engine_with_items()))
    stored = restored.models.tables["Flat"].items
    assert all("_raw" in item.__dict__ and "attrs" not in item.__dict__ for item in stored.values())
    restored.call("GetItem", {"TableName": "Flat", "Key": {"id": {"N": "1"}}})
    decoded = sorted(key.value for key, item in stored.items() if "attrs" in item.__dict__)
    assert decoded == ["1"]


def test_restored_items_take_updates_and_size_checks_as_before() -> None:
    restored, _ = _restored(_dump(_engine_with_items()))
    key = {"pk": {"S": "b\n#c"}, "sk": {"B": BLOB}}
    restored.call("UpdateItem", {"TableName": "Things", "Key": key, "UpdateExpression": "SET n = :n",
                                 "ExpressionAttributeValues": {":n": {"N": "7"}}})
    assert restored.call("GetItem", {"TableName": "Things", "Key": key})["Item"]["n"] == {"N": "7"}
    with pytest.raises(Exception, match="Item size"):  # the 400 KB cap, on a loaded item
        restored.call("UpdateItem", {"TableName": "Things", "Key": key, "UpdateExpression": "SET big = :b",
                                     "ExpressionAttributeValues": {":b": {"S": "x" * 420_000}}})


def test_an_image_is_what_motos_own_serialisation_gives() -> None:
    """``item_image`` builds the wire JSON directly; moto's ``to_json`` (plus base64) is the reference."""
    table = _engine_with_items().models.tables["Things"]
    assert [snapshot.item_image(i) for i in table.all_items()] == [
        snapshot._wire(i.to_json()["Attributes"]) for i in table.all_items()]


def test_applying_an_image_twice_changes_nothing_and_none_deletes() -> None:
    engine = _engine_with_items()
    table = engine.models.tables["Things"]
    key = [{"S": "new"}, {"B": BLOB}]
    image = {"pk": {"S": "new"}, "sk": {"B": BLOB}, "v": {"N": "1"}}
    for _ in range(2):
        snapshot.apply_image(table, key, image)
    request = {"TableName": "Things", "Key": {"pk": {"S": "new"}, "sk": {"B": BLOB}}}
    assert engine.call("GetItem", request)["Item"] == image
    assert engine.call("Scan", {"TableName": "Things"})["Count"] == 4
    for _ in range(2):
        snapshot.apply_image(table, key, None)
    assert "Item" not in engine.call("GetItem", request)
    assert engine.call("Scan", {"TableName": "Things"})["Count"] == 3


@pytest.mark.parametrize("damage", [
    pytest.param(lambda d: d.replace(b'"x","y"', b'"x","z"'), id="a changed byte"),
    pytest.param(lambda d: d[: len(d) // 2], id="cut short"),
    pytest.param(lambda d: d[: d.rindex(b"end ")], id="no trailer"),
])
def test_a_damaged_snapshot_is_refused(damage: Any) -> None:
    with pytest.raises(snapshot.SnapshotDamaged):
        _restored(damage(_dump(_engine_with_items())))


def test_a_format_1_snapshot_still_loads() -> None:
    """What the previous version wrote: one JSON document, the items inside each table."""
    original = _engine_with_items()
    document = {"seq": 3, "format": 1, "tokens": [], "tables": [
        {**snapshot.table_spec(t), "items": snapshot.export_items(t)} for t in original.models.tables.values()]}
    restored = MotoEngine("us-east-1", "000000000000")
    loaded = snapshot.load_legacy(restored.models, document)
    assert (loaded.seq, loaded.items) == (3, 6)
    for table in ("Things", "Flat"):
        assert restored.call("Scan", {"TableName": table}) == original.call("Scan", {"TableName": table})


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["S", "N", "B"]), text=st.text(min_size=1))
def test_a_key_cut_from_its_line_is_the_key_json_gives(kind: str, text: str) -> None:
    """``_key``'s shortcut (plain ``S`` and ``N`` text cut out of the line) against the JSON path."""
    value = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() if kind == "B" else text
    line = snapshot._dumps({kind: value})
    cut, parsed = snapshot._key(line), snapshot._dynamo(json.loads(line))
    assert (cut.type, cut.value) == (parsed.type, parsed.value)
    if kind != "N":  # (numbers: the next test)
        assert cut == parsed and hash(cut) == hash(parsed), "a request's key finds the loaded one in a dict"


@settings(max_examples=200, deadline=None)
@given(number=st.decimals(allow_nan=False, allow_infinity=False))
def test_a_loaded_number_key_is_found_by_a_requests_key(number: Any) -> None:
    """A number key is found whatever its spelling in the request (``1E2`` for ``100``)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    loaded = snapshot._key(snapshot._dumps({"N": str(number)}))
    for spelling in (str(number), f"{number:E}", f"{number:f}"):
        request = DynamoType({"N": spelling})
        assert loaded == request and hash(loaded) == hash(request) and {loaded: 1}[request] == 1
