"""Checks of prove's completeness argument from outside it.

1. Random requests, drawn from a grammar wider than prove's classes (legacy and expression
   parameters, several tables per batch, mixed transaction members, PartiQL with RETURNING and IN,
   partition values and attribute names prove never picks), against the shipped web-user role:
   none that the engine allows may do anything the intent does not, since prove says the role
   holds. ``PROVE_FUZZ_REQUESTS`` sets how many (default 1500; a long run:
   ``PROVE_FUZZ_REQUESTS=200000 .venv/bin/python -m pytest tests/unit/iam_policies/test_prove_fuzz.py``).
2. Mutants of that role, each one weakening a single guard: prove must find every one, and each
   counterexample must be one simulate allows.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Callable
from typing import Any

import pytest

from iam_policies.deployment import DeploymentParams
from iam_policies.dynamodb import derive
from iam_policies.errors import AwsError
from iam_policies.evaluate import evaluate
from iam_policies.intent import Intent, load_intent
from iam_policies.policy import Policy
from iam_policies.prove import OTHER, OWN, _Checker, prove
from iam_policies.render import render
from iam_policies.simulation import decide_case

PARAMS = DeploymentParams(account="000000000000").template_params()
INTENT: Intent = load_intent("user-role", PARAMS)
POLICY: dict[str, Any] = render("user-role", PARAMS)
VARIABLES = {**INTENT.principal_vars, INTENT.identity_key: OWN}
COUNT = int(os.environ.get("PROVE_FUZZ_REQUESTS", "1500"))

PARTITIONS = [OWN, OTHER, f"{OWN}~{OTHER}~0a1b2c", f"{OTHER}~{OWN}~0a1b2c", f"{OTHER}~x~{OWN}~y", f"{OWN}x",
              f"{OWN}~{OWN}~0a1b2c", f"{OTHER}~{OTHER}~0a1b2c", "x", "sunset", "*", f"{OWN}*", f"~{OWN}~", "~"]
ATTRIBUTES = ["Title", "Tags", "Visibility", "Thumb", "Version", "PublicTag", "TakenOn", "Tag", "PhotoCount",
              "PhotoId", "OwnerName", "DisplayName", "Bio", "Plan", "Role", "UpdatedAt", "Host", "Opponent",
              "HostName", "OpponentName", "Board", "Turn", "MoveCount", "GameStatus", "Winner", "CreatedAt", "Secret",
              "RefreshToken", "UserId", "TagKey", "GameId", "SessionId"]


def _s(value: str) -> dict[str, str]:
    return {"S": value}


class Requests:
    """A random request generator over the app's tables (seeded: failures replay)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def pick(self, options: list[Any]) -> Any:
        return self.r.choice(options)

    def attrs(self, most: int = 3) -> list[str]:
        return self.r.sample(ATTRIBUTES, self.r.randint(0, most))

    def table(self) -> str:
        return self.pick(list(INTENT.schemas))

    def partition(self) -> str:
        return OWN if self.r.random() < 0.4 else self.pick(PARTITIONS)

    def key(self, table: str) -> dict[str, Any]:
        schema = INTENT.schemas[table]
        key = {schema.partition_key: _s(self.partition())}
        if schema.sort_key:
            key[schema.sort_key] = _s("s1")
        return key

    def maybe(self, params: dict[str, Any], name: str, values: list[Any]) -> None:
        if self.r.random() < 0.5:
            params[name] = self.pick(values)

    def projection(self, params: dict[str, Any]) -> None:
        names = self.attrs()
        if not names:
            return
        if self.r.random() < 0.3:
            params["AttributesToGet"] = names
        else:
            params["ProjectionExpression"] = ", ".join(f"#p{i}" for i in range(len(names)))
            params.setdefault("ExpressionAttributeNames", {}).update({f"#p{i}": n for i, n in enumerate(names)})

    def condition(self, params: dict[str, Any], name: str = "ConditionExpression") -> None:
        names = self.attrs(2)
        if not names:
            return
        if self.r.random() < 0.3 and name == "ConditionExpression":
            params["Expected"] = {n: {"Exists": False} for n in names}
        else:
            params[name] = " AND ".join(f"attribute_exists(#c{i})" for i in range(len(names)))
            params.setdefault("ExpressionAttributeNames", {}).update({f"#c{i}": n for i, n in enumerate(names)})

    def returns(self, params: dict[str, Any], update: bool) -> None:
        self.maybe(params, "ReturnValues", ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"] if update
                   else ["NONE", "ALL_OLD"])
        self.maybe(params, "ReturnValuesOnConditionCheckFailure", ["NONE", "ALL_OLD"])
        self.maybe(params, "ReturnConsumedCapacity", ["NONE", "TOTAL", "INDEXES"])

    def get(self, table: str) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": table, "Key": self.key(table)}
        self.projection(params)
        self.maybe(params, "ConsistentRead", [True, False])
        return params

    def put(self, table: str) -> dict[str, Any]:
        item = {**self.key(table), **{n: _s(OTHER) for n in self.attrs()}}
        params: dict[str, Any] = {"TableName": table, "Item": item}
        self.condition(params)
        self.returns(params, False)
        return params

    def update(self, table: str) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": table, "Key": self.key(table)}
        names = self.attrs()
        if names and self.r.random() < 0.3:
            params["AttributeUpdates"] = {n: {"Value": _s(OTHER), "Action": "PUT"} for n in names}
        elif names:
            params["UpdateExpression"] = "SET " + ", ".join(f"#u{i} = :u{i}" for i in range(len(names)))
            params["ExpressionAttributeNames"] = {f"#u{i}": n for i, n in enumerate(names)}
            params["ExpressionAttributeValues"] = {f":u{i}": _s(OTHER) for i in range(len(names))}
        if "AttributeUpdates" not in params:
            self.condition(params)
        self.returns(params, True)
        return params

    def delete(self, table: str) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": table, "Key": self.key(table)}
        self.condition(params)
        self.returns(params, False)
        return params

    def read(self, scan: bool) -> dict[str, Any]:
        table = self.table()
        schema = INTENT.schemas[table]
        params: dict[str, Any] = {"TableName": table}
        pk = schema.partition_key
        if schema.indexes and self.r.random() < 0.5:
            index = self.pick(list(schema.indexes))
            params["IndexName"] = index
            pk = schema.indexes[index].partition_key
        if not scan:
            params["KeyConditionExpression"] = "#k = :k"
            params["ExpressionAttributeNames"] = {"#k": pk}
            params["ExpressionAttributeValues"] = {":k": _s(self.partition())}
            if self.r.random() < 0.2:
                params["ExclusiveStartKey"] = {pk: _s(self.partition())}
        if self.r.random() < 0.5:
            self.projection(params)
        self.maybe(params, "Select", ["ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"])
        if self.r.random() < 0.3:
            self.condition(params, "FilterExpression")
        return params

    def partiql(self) -> dict[str, Any]:
        table = self.table()
        schema = INTENT.schemas[table]
        pk, sk = schema.partition_key, schema.sort_key
        where = f'"{pk}" = ?' + (f' AND "{sk}" = \'s1\'' if sk else "")
        names = self.attrs() or ["Title"]
        columns = "*" if self.r.random() < 0.4 else ", ".join(f'"{n}"' for n in names)
        returning = self.pick(["", " RETURNING ALL OLD *", " RETURNING ALL NEW *", " RETURNING MODIFIED OLD *"])
        statement, parameters = self.pick([
            (f'SELECT {columns} FROM "{table}" WHERE "{pk}" = ?', [_s(self.partition())]),
            (f'SELECT {columns} FROM "{table}" WHERE "{pk}" IN [?, ?]', [_s(self.partition()),
                                                                         _s(self.partition())]),
            (f'SELECT {columns} FROM "{table}"', []),
            (f'INSERT INTO "{table}" VALUE {{\'{pk}\': ?' + (f", '{sk}': 's1'" if sk else "")
             + "".join(f", '{n}': 'v'" for n in names if n not in (pk, sk)) + "}", [_s(self.partition())]),
            (f'UPDATE "{table}" SET ' + ", ".join(f'"{n}" = \'v\'' for n in names) + f" WHERE {where}{returning}",
             [_s(self.partition())]),
            (f'DELETE FROM "{table}" WHERE {where}{returning}', [_s(self.partition())]),
        ])
        return {"Statement": statement, "Parameters": parameters} if parameters else {"Statement": statement}

    def request(self) -> tuple[str, dict[str, Any]]:
        kind = self.pick(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                          "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement",
                          "ExecuteTransaction", "BatchExecuteStatement"])
        single: dict[str, Callable[[str], dict[str, Any]]] = {
            "GetItem": self.get, "PutItem": self.put, "UpdateItem": self.update, "DeleteItem": self.delete}
        if kind in single:
            return kind, single[kind](self.table())
        if kind in ("Query", "Scan"):
            return kind, self.read(kind == "Scan")
        if kind == "BatchGetItem":
            items: dict[str, Any] = {}
            for table in {self.table() for _ in range(self.r.randint(1, 2))}:
                entry: dict[str, Any] = {"Keys": [self.key(table) for _ in range(self.r.randint(1, 3))]}
                self.projection(entry)
                items[table] = entry
            return kind, {"RequestItems": items}
        if kind == "BatchWriteItem":
            writes = {}
            for table in {self.table() for _ in range(self.r.randint(1, 2))}:
                writes[table] = [{"PutRequest": {"Item": self.put(table)["Item"]}} if self.r.random() < 0.5
                                 else {"DeleteRequest": {"Key": self.key(table)}} for _ in range(self.r.randint(1, 3))]
            return kind, {"RequestItems": writes}
        if kind == "TransactGetItems":
            return kind, {"TransactItems": [{"Get": self.get(self.table())} for _ in range(self.r.randint(1, 2))]}
        if kind == "TransactWriteItems":
            members = []
            for _ in range(self.r.randint(1, 2)):
                table = self.table()
                member = self.pick(["Put", "Update", "Delete", "ConditionCheck"])
                body = {"Put": self.put, "Update": self.update, "Delete": self.delete,
                        "ConditionCheck": self.delete}[member](table)
                body.pop("ReturnValues", None)
                body.pop("ReturnConsumedCapacity", None)
                if member == "ConditionCheck" and "ConditionExpression" not in body:
                    body["ConditionExpression"] = "attribute_exists(#x)"
                    body["ExpressionAttributeNames"] = {"#x": "Title"}
                    body.pop("Expected", None)
                members.append({member: body})
            return kind, {"TransactItems": members}
        if kind == "ExecuteTransaction":
            return kind, {"TransactStatements": [self.partiql() for _ in range(self.r.randint(1, 2))]}
        if kind == "BatchExecuteStatement":
            return kind, {"Statements": [self.partiql() for _ in range(self.r.randint(1, 2))]}
        return kind, self.partiql()


def test_random_requests_never_beat_a_role_prove_says_holds() -> None:
    assert prove(INTENT, POLICY).holds
    policy = Policy.parse(POLICY)
    checker = _Checker(INTENT)
    requests = Requests(seed=9)
    decided = allowed = 0
    for _ in range(COUNT):
        operation, params = requests.request()
        try:
            authorizations = derive(operation, params, schemas=dict(INTENT.schemas), region="us-east-1",
                                    account="000000000000")
        except AwsError:
            continue
        decided += 1
        if not evaluate(authorizations, identity=[policy], variables=VARIABLES).allowed:
            continue
        allowed += 1
        violations = [v for a in authorizations for v in checker.violations(a)]
        assert not violations, (operation, params, violations)
    assert decided > COUNT // 3 and allowed > COUNT // 20  # the generator reaches both sides


def _mutant(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    policy = copy.deepcopy(POLICY)
    edit(policy)
    return policy


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def _drop(sid: str) -> Callable[[dict[str, Any]], None]:
    return lambda p: p["Statement"].remove(_statement(p, sid))


def _edit(sid: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda p: change(_statement(p, sid))


def _scan_without_null_guard(statement: dict[str, Any]) -> None:
    statement["Action"].append("dynamodb:Scan")
    statement["Condition"].pop("Null")


def _prefix(statement: dict[str, Any], operator: str) -> None:
    values = statement["Condition"].pop(operator)["dynamodb:LeadingKeys"]
    statement["Condition"]["ForAllValues:StringLike"] = {"dynamodb:LeadingKeys": [values[0].split("~")[0] + "*"]}


#: Each weakens one guard so that some request goes beyond the intent (docs/data-model.md).
MUTANTS = {
    "Scan beside LeadingKeys without the Null guard": _edit("OwnPhotosAndTags", _scan_without_null_guard),
    "ForAnyValue instead of ForAllValues": _edit("OwnPhotosAndTags", lambda s: s["Condition"].update(
        {"ForAnyValue:StringEquals": s["Condition"].pop("ForAllValues:StringEquals")})),
    "anyone's whole profile (no Select guard)": _edit("ReadAnyonesDisplayName",
                                                      lambda s: s["Condition"].pop("StringEquals")),
    "profile edits of any attribute": _edit("EditOwnProfileFields", lambda s: s["Condition"][
        "ForAllValues:StringEquals"].pop("dynamodb:Attributes")),
    "challenged player may name any attribute": _edit(
        "AcceptAndMoveInGamesYouAreChallengedTo", lambda s: s["Condition"].pop("ForAllValues:StringEquals")),
    "prefix pattern for the game lists": _edit("ListYourGames", lambda s: _prefix(s, "ForAllValues:StringEquals")),
    "games created without the separator": _edit("CreateGamesYouHost",
                                                 lambda s: _prefix(s, "ForAllValues:StringLike")),
    "the host's Sessions table reachable": _edit("ReadOwnProfile", lambda s: s.update(
        {"Resource": [s["Resource"], s["Resource"].replace("table/Profiles", "table/Sessions")]})),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_prove_finds_every_weakened_guard(name: str) -> None:
    proof = prove(INTENT, _mutant(MUTANTS[name]))
    assert not proof.holds
    for example in proof.counterexamples:
        assert decide_case(example.to_dict()).decision == "Allow", example.violates
