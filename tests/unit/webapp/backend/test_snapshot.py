"""The snapshot's direct loader rebuilds exactly what the API built: same items, same answers."""

from __future__ import annotations

import base64
from typing import Any

from webapp.backend.moto_engine import MotoEngine
from webapp.backend.snapshot import export_tables, import_tables

TABLE = {"TableName": "Things", "BillingMode": "PAY_PER_REQUEST",
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "B"}],
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}
BLOB = base64.b64encode(b"\x00\xffbinary").decode()
#: One attribute of every type, nested ones included (DynamoDB DG, "Supported data types").
ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "a"}, "sk": {"B": BLOB}, "s": {"S": "text"}, "n": {"N": "-1.50"}, "b": {"B": BLOB},
     "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [BLOB, base64.b64encode(b"2").decode()]},
     "bool": {"BOOL": True}, "null": {"NULL": True},
     "m": {"M": {"inner": {"L": [{"B": BLOB}, {"M": {"deep": {"BS": [BLOB]}}}, {"N": "3"}]}}},
     "l": {"L": [{"S": "one"}, {"L": []}, {"M": {}}]}},
    {"pk": {"S": "a"}, "sk": {"B": base64.b64encode(b"other").decode()}},
    {"pk": {"S": "b"}, "sk": {"B": BLOB}, "s": {"S": ""}},
]


def _engine_with_items() -> MotoEngine:
    engine = MotoEngine("us-east-1", "000000000000")
    engine.call("CreateTable", TABLE)
    for item in ITEMS:
        engine.call("PutItem", {"TableName": "Things", "Item": item})
    return engine


def test_direct_load_equals_loading_through_the_api() -> None:
    original = _engine_with_items()
    exported = export_tables(original.models)
    restored = MotoEngine("us-east-1", "000000000000")
    import_tables(restored, exported)
    assert export_tables(restored.models) == exported
    for item in ITEMS:
        key = {"pk": item["pk"], "sk": item["sk"]}
        request = {"TableName": "Things", "Key": key}
        assert restored.call("GetItem", request) == original.call("GetItem", request)
    query = {"TableName": "Things", "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}},
             "FilterExpression": "contains(bs, :b) OR attribute_not_exists(s)", }
    query["ExpressionAttributeValues"][":b"] = {"B": BLOB}
    assert restored.call("Query", query) == original.call("Query", query)
    assert restored.call("Query", query)["Count"] == 2


def test_restored_items_take_updates_and_size_checks_as_before() -> None:
    restored = MotoEngine("us-east-1", "000000000000")
    import_tables(restored, export_tables(_engine_with_items().models))
    key = {"pk": {"S": "b"}, "sk": {"B": BLOB}}
    restored.call("UpdateItem", {"TableName": "Things", "Key": key, "UpdateExpression": "SET n = :n",
                                 "ExpressionAttributeValues": {":n": {"N": "7"}}})
    assert restored.call("GetItem", {"TableName": "Things", "Key": key})["Item"]["n"] == {"N": "7"}


def test_export_is_what_motos_own_serialisation_gives() -> None:
    """``export_items`` builds the wire JSON directly; moto's ``to_json`` (plus base64) is the reference."""
    from webapp.backend.snapshot import _wire, export_items

    table = _engine_with_items().models.tables["Things"]
    assert export_items(table) == [_wire(item.to_json()["Attributes"]) for item in table.all_items()]
