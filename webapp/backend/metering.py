"""``ConsumedCapacity``: what a call consumed, measured on the items it read and wrote.

A call's charges follow ``capacity.py``'s arithmetic: a write weighs the larger of the item
before and after it (so the items a write touches are sized before the call), a read the item
it found, a Query or Scan every item it evaluated (before filters and projections). The
charges are debited from the table's buckets when throttling is on (``throttling.py``) and
reported when the request asks.

moto returns fixed, and sometimes unrequested, ``ConsumedCapacity`` figures; they are replaced by
these, and only when ``ReturnConsumedCapacity`` asks (TOTAL, or INDEXES for the per-table and
per-index split). PartiQL and control-plane calls keep moto's answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from webapp.backend.capacity import METERED, WRITES, item_size, read_units, write_units
from webapp.backend.errors import DynamoDBError
from webapp.backend.throttling import Throttle


class Engine(Protocol):
    models: Any

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass
class Charge:
    table: str
    read: float = 0.0
    write: float = 0.0
    index: str | None = None
    local: bool = False


@dataclass
class Plan:
    operation: str
    params: Mapping[str, Any]
    #: Item sizes before the call, by (table, canonical key), for writes.
    before: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Sizes of the items a Put (alone or in a transaction) tries to write.
    puts: dict[tuple[str, str], int] = field(default_factory=dict)


FAILURES_THAT_CONSUME = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class CapacityMeter:
    """Measures each metered call and charges it to ``throttle`` (which may refuse it first)."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        self.throttle = throttle or Throttle()

    @classmethod
    def from_spec(cls, spec: str | Mapping[str, Any] | None) -> CapacityMeter:
        return cls(Throttle.from_spec(spec))

    # Admission ----------------------------------------------------------------------------------

    def admit(self, engine: Engine, operation: str, params: Mapping[str, Any], now: float) -> Plan | None:
        if operation not in METERED:
            return None
        throttled = self.throttle.check(engine, operation, params, _tables_of(operation, params), now)
        wanted = params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        if not throttled and not wanted:
            return None
        plan = Plan(operation, params)
        if operation in WRITES:
            for table, key, new_item in _written_keys(engine, operation, params):
                slot = (table, _canonical(key))
                plan.before[slot] = item_size(_lookup(engine, table, key))
                if new_item is not None:
                    plan.puts[slot] = item_size(new_item)
        return plan

    def split_batch(self, engine: Engine, operation: str, params: dict[str, Any],
                    now: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """The part of a batch the throttle admits now, and the rest (``Throttle.split_batch``)."""
        return self.throttle.split_batch(engine, operation, params, now)

    def settle(self, engine: Engine, plan: Plan, response: dict[str, Any], now: float) -> dict[str, Any]:
        charges = self._charges(engine, plan, response)
        self._consume(charges, now)
        return self._report(plan, charges, response)

    def settle_failure(self, engine: Engine, plan: Plan, error: DynamoDBError, now: float) -> None:
        if error.code not in FAILURES_THAT_CONSUME or plan.operation not in WRITES:
            return
        transactional = plan.operation == "TransactWriteItems"
        charges = [
            Charge(slot[0], write=write_units(max(size, plan.puts.get(slot, 0)), transactional=transactional))
            for slot, size in plan.before.items()
        ]
        self._consume(charges, now)

    def forget_tables(self) -> None:
        """Table settings may have changed (UpdateTable, DeleteTable): look them up again."""
        self.throttle.forget_tables()

    # Internals ----------------------------------------------------------------------------------

    def _consume(self, charges: list[Charge], now: float) -> None:
        for charge in charges:
            self.throttle.consume(charge.table, charge.read, charge.write, now)

    def _charges(self, engine: Engine, plan: Plan, response: Mapping[str, Any]) -> list[Charge]:
        op, params = plan.operation, plan.params
        if op in WRITES:
            transactional = op == "TransactWriteItems"
            charges = []
            for table, key, _ in _written_keys(engine, op, params):
                before = plan.before.get((table, _canonical(key)), 0)
                after = item_size(_lookup(engine, table, key))
                charges.append(Charge(table, write=write_units(max(before, after), transactional=transactional)))
            return charges
        if op == "GetItem":
            size = item_size(_lookup(engine, params["TableName"], params["Key"]))
            return [Charge(params["TableName"], read=read_units(size, consistent=bool(params.get("ConsistentRead"))))]
        if op == "BatchGetItem":
            charges = []
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                for key in request.get("Keys", ()):
                    charges.append(Charge(table, read=read_units(item_size(_lookup(engine, table, key)), consistent=consistent)))
            return charges
        if op == "TransactGetItems":
            return [
                Charge(get["Get"]["TableName"], read=read_units(
                    item_size(_lookup(engine, get["Get"]["TableName"], get["Get"]["Key"])), transactional=True))
                for get in params["TransactItems"] if "Get" in get
            ]
        # Query / Scan: every evaluated item, before filters and projections.
        evaluated = engine.call(op, _unfiltered(params)).get("Items", [])
        total = sum(item_size(i) for i in evaluated)
        return [Charge(params["TableName"], index=params.get("IndexName"),
                       local=_is_local_index(engine, params["TableName"], params.get("IndexName")),
                       read=read_units(total, consistent=bool(params.get("ConsistentRead"))))]

    def _report(self, plan: Plan, charges: list[Charge], response: dict[str, Any]) -> dict[str, Any]:
        response.pop("ConsumedCapacity", None)
        response.pop("ConsumedCapacityUnits", None)
        mode = plan.params.get("ReturnConsumedCapacity")
        if mode not in ("TOTAL", "INDEXES"):
            return response
        per_table: dict[str, list[Charge]] = {}
        for charge in charges:
            per_table.setdefault(charge.table, []).append(charge)
        reports = [_consumed(table, found, mode) for table, found in per_table.items()]
        if plan.operation in ("BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"):
            response["ConsumedCapacity"] = reports
        elif reports:
            response["ConsumedCapacity"] = reports[0]
        return response


def tidy(operation: str, params: Mapping[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Drop the figures moto adds unasked (DynamoDB omits them unless requested): capacity,
    and the empty ``ItemCollectionMetrics`` of batch and transactional writes."""
    if operation in METERED and params.get("ReturnConsumedCapacity") not in ("TOTAL", "INDEXES"):
        response.pop("ConsumedCapacity", None)
        response.pop("ConsumedCapacityUnits", None)
    if params.get("ReturnItemCollectionMetrics") != "SIZE" and response.get("ItemCollectionMetrics") == {}:
        del response["ItemCollectionMetrics"]
    return response


def _consumed(table: str, charges: list[Charge], mode: str) -> dict[str, Any]:
    units = sum(c.read + c.write for c in charges)
    report: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
    if mode == "INDEXES":
        table_units = sum(c.read + c.write for c in charges if c.index is None)
        report["Table"] = {"CapacityUnits": table_units}
        for charge in charges:
            if charge.index is not None:
                kind = "LocalSecondaryIndexes" if charge.local else "GlobalSecondaryIndexes"
                report.setdefault(kind, {})[charge.index] = {"CapacityUnits": charge.read + charge.write}
    return report


def _tables_of(operation: str, params: Mapping[str, Any]) -> list[str]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return list((params.get("RequestItems") or {}).keys())
    if operation in ("TransactGetItems", "TransactWriteItems"):
        names = []
        for action in params.get("TransactItems") or ():
            for body in action.values():
                if isinstance(body, Mapping) and body.get("TableName") not in names:
                    names.append(body.get("TableName"))
        return [n for n in names if isinstance(n, str)]
    name = params.get("TableName")
    return [name] if isinstance(name, str) else []


def _key_of(engine: Engine, table: str, item: Mapping[str, Any]) -> dict[str, Any]:
    model = engine.models.tables.get(table)
    if model is None:
        return {}
    names = [model.hash_key_attr] + ([model.range_key_attr] if model.range_key_attr else [])
    return {n: item[n] for n in names if n in item}


Written = tuple[str, dict[str, Any], Mapping[str, Any] | None]


def _written_keys(engine: Engine, operation: str, params: Mapping[str, Any]) -> list[Written]:
    """(table, key, item a Put writes or ``None``) for each item a write touches."""

    def put(table: str, item: Mapping[str, Any]) -> Written:
        return table, _key_of(engine, table, item), item

    keys: list[Written] = []
    if operation == "PutItem":
        keys.append(put(params["TableName"], params.get("Item") or {}))
    elif operation in ("UpdateItem", "DeleteItem"):
        keys.append((params["TableName"], dict(params.get("Key") or {}), None))
    elif operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    keys.append(put(table, request["PutRequest"].get("Item") or {}))
                elif "DeleteRequest" in request:
                    keys.append((table, dict(request["DeleteRequest"].get("Key") or {}), None))
    elif operation == "TransactWriteItems":
        for action in params.get("TransactItems") or ():
            for kind, body in action.items():
                if kind == "Put":
                    keys.append(put(body["TableName"], body.get("Item") or {}))
                else:
                    keys.append((body["TableName"], dict(body.get("Key") or {}), None))
    return keys


def _is_local_index(engine: Engine, table: str, index: Any) -> bool:
    model = engine.models.tables.get(table)
    return bool(index) and model is not None and any(i.name == index for i in model.indexes)


def _canonical(key: Mapping[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


def _lookup(engine: Engine, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    if not key:
        return None
    try:
        found = engine.call("GetItem", {"TableName": table, "Key": dict(key), "ConsistentRead": True})
    except DynamoDBError:
        return None
    item: dict[str, Any] | None = found.get("Item")
    return item


_UNFILTERED_DROP = ("FilterExpression", "ProjectionExpression", "AttributesToGet", "Select", "QueryFilter",
                    "ScanFilter", "ConditionalOperator", "ReturnConsumedCapacity")


def _unfiltered(params: Mapping[str, Any]) -> dict[str, Any]:
    """The same Query/Scan without filter or projection: the items it evaluates."""
    query = {k: v for k, v in params.items() if k not in _UNFILTERED_DROP}
    condition = str(query.get("KeyConditionExpression") or "")

    def used(placeholder: str) -> bool:
        return re.search(re.escape(placeholder) + r"(?![A-Za-z0-9_])", condition) is not None

    names = {k: v for k, v in (query.get("ExpressionAttributeNames") or {}).items() if used(k)}
    values = {k: v for k, v in (query.get("ExpressionAttributeValues") or {}).items() if used(k)}
    for name, kept in (("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)):
        if kept:
            query[name] = kept
        else:
            query.pop(name, None)
    return query
