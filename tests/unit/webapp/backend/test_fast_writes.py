"""The direct write path (``fast_reads.WRITE_OPERATIONS``, ``MotoEngine._write``) answers and
stores exactly what moto's handler over HTTP does.

Differential: two engines over two backends with the same tables, one writing by the direct path,
the other (``_fast = None``) by moto's dispatch. The same seeded sequence of generated writes -
puts, updates (SET, REMOVE, ADD, DELETE, list appends, arithmetic on missing or wrong-typed
attributes), deletes, batch writes and transactions, with ``ReturnValues``, conditions that hold
and fail, bad keys, missing tables, and updates moto refuses after it began changing the item -
goes to both: every answer must be equal as JSON (or both fail with the same code, status and
message), and after each step both tables hold the same items.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from webapp.backend.errors import DynamoDBError
from webapp.backend.moto_engine import MotoEngine

REGION, ACCOUNT = "us-east-1", "000000000000"
TABLES: dict[str, dict[str, Any]] = {
    "Range": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "sk", "AttributeType": "N"}]},
    "Hash": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
}


def _engines() -> tuple[MotoEngine, MotoEngine]:
    fast, slow = MotoEngine(REGION, ACCOUNT), MotoEngine(REGION, ACCOUNT)
    slow._fast = None
    for engine in (fast, slow):
        for name, spec in TABLES.items():
            engine.call("CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST", **spec})
    return fast, slow


def _key(rng: random.Random, table: str) -> dict[str, Any]:
    key: dict[str, Any] = {"pk": {"S": rng.choice(["a", "b", "c"])}}
    if table == "Range":
        key["sk"] = {"N": str(rng.randint(1, 4))}
    if rng.random() < 0.04:
        key["pk"] = rng.choice([{"N": "1"}, {"S": ""}])  # wrong type, empty: the engines' errors
    if rng.random() < 0.03:
        key.pop("pk")
    return key


def _value(rng: random.Random) -> dict[str, Any]:
    return rng.choice([{"S": "x"}, {"N": str(rng.randint(-5, 5))}, {"SS": ["p", "q"]}, {"NS": ["1", "2"]},
                       {"L": [{"S": "e"}]}, {"M": {"m": {"N": "1"}}}, {"BOOL": True}, {"NULL": True},
                       {"B": "AAE="}])


def _table(rng: random.Random) -> str:
    return rng.choice(["Range", "Hash", "Range", "Hash", "Missing"] if rng.random() < 0.05 else ["Range", "Hash"])


def _returns(rng: random.Random, request: dict[str, Any], choices: list[str]) -> None:
    if rng.random() < 0.4:
        request["ReturnValues"] = rng.choice(choices)


def put(rng: random.Random) -> dict[str, Any]:
    table = _table(rng)
    request: dict[str, Any] = {"TableName": table, "Item": {**_key(rng, table), "v": _value(rng), "n": {"N": "1"}}}
    if rng.random() < 0.3:
        request["ConditionExpression"] = rng.choice(["attribute_not_exists(pk)", "attribute_exists(pk)"])
    _returns(rng, request, ["ALL_OLD", "NONE"])
    return request


def update(rng: random.Random) -> dict[str, Any]:
    table = _table(rng)
    expression, values = rng.choice([
        ("SET v = :v", {":v": _value(rng)}),
        ("SET n = n + :one", {":one": {"N": "1"}}),
        ("SET n = if_not_exists(n, :one) + :one", {":one": {"N": "1"}}),
        ("ADD n :one", {":one": {"N": "1"}}),
        ("ADD v :one", {":one": {"N": "1"}}),  # v may be a string: moto refuses after it began
        ("ADD tags :t", {":t": {"SS": ["x", "y"]}}),
        ("DELETE tags :t", {":t": {"SS": ["x"]}}),
        ("SET l = list_append(if_not_exists(l, :empty), :more)", {":empty": {"L": []}, ":more": {"L": [{"S": "i"}]}}),
        ("REMOVE v", {}),
        ("SET v.deep = :v", {":v": {"S": "d"}}),
    ])
    request: dict[str, Any] = {"TableName": table, "Key": _key(rng, table), "UpdateExpression": expression}
    if values:
        request["ExpressionAttributeValues"] = values
    if rng.random() < 0.3:
        request["ConditionExpression"] = "attribute_exists(pk)"
    _returns(rng, request, ["ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD", "NONE"])
    return request


def delete(rng: random.Random) -> dict[str, Any]:
    table = _table(rng)
    request: dict[str, Any] = {"TableName": table, "Key": _key(rng, table)}
    _returns(rng, request, ["ALL_OLD", "NONE"])
    return request


def batch_write(rng: random.Random) -> dict[str, Any]:
    requests: dict[str, list[Any]] = {}
    for _ in range(rng.randint(1, 4)):
        table = rng.choice(["Range", "Hash"])
        if rng.random() < 0.6:
            requests.setdefault(table, []).append({"PutRequest": {"Item": {**_key(rng, table), "v": _value(rng)}}})
        else:
            requests.setdefault(table, []).append({"DeleteRequest": {"Key": _key(rng, table)}})
    return {"RequestItems": requests}


def transact(rng: random.Random) -> dict[str, Any]:
    items = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["Put", "Update", "Delete", "ConditionCheck"])
        table = rng.choice(["Range", "Hash"])
        if kind == "Put":
            body: dict[str, Any] = {"TableName": table, "Item": {**_key(rng, table), "v": _value(rng)}}
        else:
            body = {"TableName": table, "Key": _key(rng, table)}
        if kind == "Update":
            body.update(UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})
        if kind == "ConditionCheck" or rng.random() < 0.2:
            body["ConditionExpression"] = rng.choice(["attribute_exists(pk)", "attribute_not_exists(pk)"])
        items.append({kind: body})
    return {"TransactItems": items}


GENERATORS = [("PutItem", put), ("UpdateItem", update), ("UpdateItem", update), ("DeleteItem", delete),
              ("BatchWriteItem", batch_write), ("TransactWriteItems", transact)]


def answer(engine: MotoEngine, operation: str, request: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", engine.call(operation, json.loads(json.dumps(request)))
    except DynamoDBError as error:
        return "error", (error.code, error.status, error.message)


def contents(engine: MotoEngine) -> dict[str, list[str]]:
    return {name: sorted(json.dumps(item, sort_keys=True) for item in engine.call("Scan", {"TableName": name})["Items"])
            for name in TABLES}


@pytest.mark.parametrize("seed", range(4))
def test_generated_writes_answer_and_store_as_moto_server_does(seed: int) -> None:
    fast, slow = _engines()
    assert fast._fast is not None
    rng = random.Random(seed)
    outcomes = set()
    for _ in range(150):
        operation, generate = rng.choice(GENERATORS)
        request = generate(rng)
        got, expected = answer(fast, operation, request), answer(slow, operation, request)
        assert got == expected, (operation, request)
        assert contents(fast) == contents(slow), (operation, request)
        outcomes.add(got[0])
    assert outcomes == {"ok", "error"}  # both kinds of answer were compared
