"""Per-item transaction rollback gives exactly the state moto's whole-table rollback gives.

(That a failed *non*-transactional call leaves no trace, where moto keeps half of it, is
tested in ``test_journal.py``.)

Differential: the same calls go to moto's stock ``DynamoDBBackend`` and to
``SerialDynamoDBBackend``; after every call both hold the same items and answered the same.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend

from webapp.backend.errors import DynamoDBError
from webapp.backend.moto_engine import MotoEngine

TABLES = {
    "Hash": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
    "Range": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "sk", "AttributeType": "N"}]},
}


def engines() -> tuple[MotoEngine, MotoEngine]:
    stock = MotoEngine("us-east-1", "000000000000", models=DynamoDBBackend("us-east-1", "000000000000"))
    serial = MotoEngine("us-east-1", "000000000000")
    for engine in (stock, serial):
        for name, spec in TABLES.items():
            engine.call("CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST", **spec})
    return stock, serial


def outcome(engine: MotoEngine, operation: str, params: dict[str, Any]) -> Any:
    try:
        return engine.call(operation, json.loads(json.dumps(params)))
    except DynamoDBError as error:
        return error.body()


def contents(engine: MotoEngine) -> dict[str, Any]:
    return {name: sorted(json.dumps(i, sort_keys=True) for i in engine.call("Scan", {"TableName": name})["Items"])
            for name in TABLES}


def key(table: str, pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}} if table == "Hash" else {"pk": {"S": pk}, "sk": {"N": str(sk)}}


tables = st.sampled_from(sorted(TABLES))
pks = st.sampled_from(["a", "b", "c"])
sks = st.integers(0, 2)


@st.composite
def action(draw: st.DrawFn) -> dict[str, Any]:
    table, pk, sk = draw(tables), draw(pks), draw(sks)
    kind = draw(st.sampled_from(["Put", "Update", "UpdateBad", "Delete", "CheckExists", "CheckAbsent"]))
    k = key(table, pk, sk)
    if kind == "Put":
        return {"Put": {"TableName": table, "Item": {**k, "v": {"N": str(draw(st.integers(0, 9)))}}}}
    if kind == "Update":
        return {"Update": {"TableName": table, "Key": k, "UpdateExpression": "ADD v :one",
                           "ExpressionAttributeValues": {":one": {"N": "1"}}}}
    if kind == "UpdateBad":  # fails inside moto after the item may have been created
        return {"Update": {"TableName": table, "Key": k, "UpdateExpression": "SET w = :s ADD w :one",
                           "ExpressionAttributeValues": {":s": {"S": "x"}, ":one": {"N": "1"}}}}
    if kind == "Delete":
        return {"Delete": {"TableName": table, "Key": k}}
    condition = "attribute_exists(pk)" if kind == "CheckExists" else "attribute_not_exists(pk)"
    return {"ConditionCheck": {"TableName": table, "Key": k, "ConditionExpression": condition}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(action(), min_size=1, max_size=4), min_size=1, max_size=6))
def test_per_item_rollback_matches_moto(transactions: list[list[dict[str, Any]]]) -> None:
    stock, serial = engines()
    for items in transactions:
        params = {"TransactItems": items}
        assert outcome(serial, "TransactWriteItems", params) == outcome(stock, "TransactWriteItems", params)
        assert contents(serial) == contents(stock)


def test_a_failed_transaction_restores_new_updated_and_deleted_items() -> None:
    _, serial = engines()
    serial.call("PutItem", {"TableName": "Range", "Item": {**key("Range", "a", 1), "v": {"N": "1"}}})
    serial.call("PutItem", {"TableName": "Hash", "Item": {**key("Hash", "a", 0), "v": {"N": "1"}}})
    before = contents(serial)
    try:
        serial.call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": "Range", "Item": {**key("Range", "new", 0)}}},   # a new hash bucket
            {"Update": {"TableName": "Range", "Key": key("Range", "a", 1), "UpdateExpression": "ADD v :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},       # changed in place
            {"Delete": {"TableName": "Hash", "Key": key("Hash", "a", 0)}},
            {"ConditionCheck": {"TableName": "Hash", "Key": key("Hash", "zzz", 0),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ]})
    except DynamoDBError as error:
        assert error.code == "TransactionCanceledException"
    else:
        raise AssertionError("the transaction should have been cancelled")
    assert contents(serial) == before


def test_backups_still_deep_copy_tables() -> None:
    _, serial = engines()
    serial.call("PutItem", {"TableName": "Hash", "Item": key("Hash", "a", 0)})
    table = serial.models.tables["Hash"]
    clone = copy.deepcopy(table)
    assert clone is not table and clone.items is not table.items
    assert [i.to_json() for i in clone.all_items()] == [i.to_json() for i in table.all_items()]
