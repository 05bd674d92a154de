"""``ConsumedCapacity``: what a call consumed, measured on the items it read and wrote.

A call's charges follow ``capacity.py``'s arithmetic: a write weighs the larger of the item
before and after it (so the items a write touches are sized before the call), a read the item
it found, a Query or Scan every item it evaluated (before filters and projections). The
charges are debited from the table's buckets when throttling is on (``throttling.py``) and
reported when the request asks.

moto returns fixed, and sometimes unrequested, ``ConsumedCapacity`` figures; they are replaced by
these, and only when ``ReturnConsumedCapacity`` asks (TOTAL, or INDEXES for the per-table and
per-index split). PartiQL and control-plane calls keep moto's answer.

Every charge names the partition key it fell on (``Charge.key``) and goes to the capacity watch
(``watch.py``), as does every refusal of the throttle, so ``python -m webapp top`` can show units,
throttles and hot keys per table, index and partition key. Charges are measured on every call
for that reason, not only when throttling is on or capacity is asked for; what the response
already holds (a GetItem's item, an unfiltered Query's items, a Put's new item) is reused so that
costs no extra engine call.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from iam_policies.dynamodb.expressions import parse
from webapp.backend.capacity import METERED, WRITES, item_size, read_units, write_units
from webapp.backend.errors import DynamoDBError, ProvisionedThroughputExceededException
from webapp.backend.semantics.values import normalize_item
from webapp.backend.throttling import Throttle
from webapp.backend.watch import Usage, Watch, partition_key


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
    #: The partition key charged (``watch.partition_key``), when the charge falls on one.
    key: str | None = None


@dataclass
class Plan:
    operation: str
    params: Mapping[str, Any]
    #: Item sizes before the call, by (table, canonical key), for writes.
    before: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Sizes of the items a Put (alone or in a transaction) tries to write.
    puts: dict[tuple[str, str], int] = field(default_factory=dict)
    #: The items a write touches with their (table, canonical key), found once before the call
    #: (``_size_before``) and charged after it (a 25-item batch walked them twice).
    written: list[tuple[Written, tuple[str, str]]] | None = None
    #: Throttling or the caller needs the figures; otherwise only the watch does.
    needed: bool = True


log = logging.getLogger(__name__)

FAILURES_THAT_CONSUME = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class CapacityMeter:
    """Measures each metered call and charges it to ``throttle`` (which may refuse it first)
    and to ``watch`` (which counts units and refusals for ``top``)."""

    def __init__(self, throttle: Throttle | None = None, watch: Watch | None = None) -> None:
        self.throttle = throttle or Throttle()
        self.watch = watch if watch is not None else Watch()

    @classmethod
    def from_spec(cls, spec: str | Mapping[str, Any] | None) -> CapacityMeter:
        return cls(Throttle.from_spec(spec))

    # Admission ----------------------------------------------------------------------------------

    def admit(self, engine: Engine, operation: str, params: Mapping[str, Any], now: float) -> Plan | None:
        if operation not in METERED:
            return None
        tables = _tables_of(operation, params)
        try:
            throttled = self.throttle.check(engine, operation, params, tables, now)
        except ProvisionedThroughputExceededException:
            self._refused(engine, operation, params, tables, now)
            raise
        plan = Plan(operation, params, needed=throttled or params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"))
        if plan.needed:
            self._size_before(engine, plan)
            return plan
        try:  # only for the watch: a request moto is about to refuse must still reach moto
            self._size_before(engine, plan)
        except Exception:  # noqa: BLE001 - the engine answers malformed requests with its own error
            return None
        return plan

    def _size_before(self, engine: Engine, plan: Plan) -> None:
        operation, params = plan.operation, plan.params
        if operation in WRITES:
            plan.written = [(written, (written[0], _canonical(written[1])))
                            for written in _written_keys(engine, operation, params)]
            for (table, key, new_item), slot in plan.written:
                plan.before[slot] = item_size(_lookup(engine, table, key))
                if new_item is not None:
                    plan.puts[slot] = item_size(new_item)

    def split_batch(self, engine: Engine, operation: str, params: dict[str, Any],
                    now: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """The part of a batch the throttle admits now, and the rest (``Throttle.split_batch``);
        each item or key left unprocessed is a throttle event (CloudWatch counts them so)."""
        try:
            admitted, rest = self.throttle.split_batch(engine, operation, params, now)
        except ProvisionedThroughputExceededException:
            self._refused_batch(engine, operation, params.get("RequestItems") or {}, now)
            raise
        if rest:
            self._refused_batch(engine, operation, rest, now)
        return admitted, rest

    def settle(self, engine: Engine, plan: Plan, response: dict[str, Any], now: float) -> dict[str, Any]:
        if plan.needed:
            charges = self._charges(engine, plan, response)
        else:
            try:
                charges = self._charges(engine, plan, response)
            except Exception:  # noqa: BLE001 - only the watch would miss this call's figures
                log.exception("could not measure %s for the capacity watch", plan.operation)
                return response
        self._consume(charges, now)
        return self._report(plan, charges, response)

    def settle_failure(self, engine: Engine, plan: Plan, error: DynamoDBError, now: float) -> None:
        if error.code not in FAILURES_THAT_CONSUME or plan.operation not in WRITES:
            return
        transactional = plan.operation == "TransactWriteItems"
        charges = [
            Charge(slot[0], write=write_units(max(size, plan.puts.get(slot, 0)), transactional=transactional),
                   key=_partition_of(engine, slot[0], json.loads(slot[1])))
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
            self.watch.record(now, charge.table, charge.index, charge.key, Usage(charge.read, charge.write))

    def _refused(self, engine: Engine, operation: str, params: Mapping[str, Any], tables: list[str],
                 now: float) -> None:
        """A whole call refused: one throttle event per table, on its partition key if it has one."""
        keys: dict[str, str | None] = {}
        if operation in WRITES:
            for table, key, _ in _written_keys(engine, operation, params):
                keys.setdefault(table, _partition_of(engine, table, key))
        elif operation == "GetItem":
            keys[params["TableName"]] = _partition_of(engine, params["TableName"], params.get("Key"))
        index = params.get("IndexName") if operation in ("Query", "Scan") else None
        for table in tables:
            self.watch.record(now, table, index if isinstance(index, str) else None, keys.get(table),
                              Usage(throttles=1))

    def _refused_batch(self, engine: Engine, operation: str, requests: Mapping[str, Any], now: float) -> None:
        for table, entries in requests.items():
            if operation == "BatchWriteItem":
                keys = [_partition_of(engine, table, (r.get("PutRequest") or {}).get("Item")
                                      or (r.get("DeleteRequest") or {}).get("Key")) for r in entries]
            else:
                keys = [_partition_of(engine, table, k) for k in (entries.get("Keys") or ())]
            for key in keys:
                self.watch.record(now, table, None, key, Usage(throttles=1))

    def _charges(self, engine: Engine, plan: Plan, response: Mapping[str, Any]) -> list[Charge]:
        op, params = plan.operation, plan.params
        if op in WRITES:
            transactional = op == "TransactWriteItems"
            charges = []
            written = plan.written
            if written is None:
                written = [(w, (w[0], _canonical(w[1]))) for w in _written_keys(engine, op, params)]
            for (table, key, new_item), slot in written:
                before = plan.before.get(slot, 0)
                if new_item is not None:  # a put, alone, in a batch or a transaction: the item now
                    # stored is the one put (or the call failed), sized before the call
                    after = plan.puts[slot] if slot in plan.puts else item_size(new_item)
                elif op == "DeleteItem":
                    after = 0
                else:
                    after = item_size(_lookup(engine, table, key))
                charges.append(Charge(table, write=write_units(max(before, after), transactional=transactional),
                                      key=_partition_of(engine, table, key)))
            return charges
        if op == "GetItem":
            table, key = params["TableName"], params["Key"]
            found = response.get("Item") if _unprojected(params) else _lookup(engine, table, key)
            return [Charge(table, read=read_units(item_size(found), consistent=bool(params.get("ConsistentRead"))),
                           key=_partition_of(engine, table, key))]
        if op == "BatchGetItem":
            charges = []
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                for key in request.get("Keys", ()):
                    charges.append(Charge(table, read=read_units(item_size(_lookup(engine, table, key)),
                                                                 consistent=consistent),
                                          key=_partition_of(engine, table, key)))
            return charges
        if op == "TransactGetItems":
            return [
                Charge(get["Get"]["TableName"], read=read_units(
                    item_size(_lookup(engine, get["Get"]["TableName"], get["Get"]["Key"])), transactional=True),
                    key=_partition_of(engine, get["Get"]["TableName"], get["Get"]["Key"]))
                for get in params["TransactItems"] if "Get" in get
            ]
        # Query / Scan: every evaluated item, before filters and projections (without either, the
        # items returned are the items evaluated; with them, the semantic layer's read carries
        # them, or they are read again).
        carried = getattr(response, "evaluated", None)
        if _unprojected(params) and "Items" in response:
            evaluated = response["Items"]
        elif isinstance(carried, list):
            evaluated = [normalize_item(item) for item in carried]
        else:
            evaluated = engine.call(op, _unfiltered(params)).get("Items", [])
        total = sum(item_size(i) for i in evaluated)
        table, index = params["TableName"], params.get("IndexName")
        partition = _partition_of(engine, table, evaluated[0], index) if op == "Query" and evaluated else None
        charges = [Charge(table, index=index, local=_is_local_index(engine, table, index),
                          read=read_units(total, consistent=bool(params.get("ConsistentRead"))), key=partition)]
        if _fetches_from_table(engine, table, index, params):
            # the base table's items behind the index entries, read too (Developer Guide, "Local
            # secondary indexes", Provisioned throughput: "additional read capacity" for
            # attributes not projected; dynalite query.js, ALL_ATTRIBUTES of an INCLUDE index:
            # Table 3 units beside the index's 1, recorded against DynamoDB). A Scan of the index
            # alike (API Reference, Scan, Select: "If you query or scan a local secondary index
            # and request only attributes that are projected into that index, the operation will
            # read only the index and not the table. If any of the requested attributes are not
            # projected ..., DynamoDB fetches each of these attributes from the parent table")
            fetched = sum(item_size(_lookup(engine, table, _key_of(engine, table, entry))) for entry in evaluated)
            charges.append(Charge(table, read=read_units(fetched, consistent=bool(params.get("ConsistentRead"))),
                                  key=partition))
        return charges

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


def _partition_of(engine: Engine, table: str, item: Mapping[str, Any] | None,
                  index: str | None = None) -> str | None:
    """The canonical partition key of ``item`` (a key or a whole item) in the table or index."""
    if not item:
        return None
    model = engine.models.tables.get(table)
    if model is None:
        return None
    name = model.hash_key_attr
    if index:
        for found in (*model.global_indexes, *model.indexes):
            if found.name == index:
                name = next((k["AttributeName"] for k in found.schema if k["KeyType"] == "HASH"), name)
                break
    return partition_key(item.get(name))


def _unprojected(params: Mapping[str, Any]) -> bool:
    """No filter, projection or count: the response holds every item the call evaluated, whole."""
    return not any(name in params for name in _UNFILTERED_DROP[:-1])


def _fetches_from_table(engine: Engine, table: str, index: Any, params: Mapping[str, Any]) -> bool:
    """A query or scan of a local index that does not project every attribute, asking for more than it
    holds: ``Select: ALL_ATTRIBUTES``, or a ``ProjectionExpression`` / ``AttributesToGet`` naming
    an attribute outside the index's projection (Developer Guide, "Local secondary indexes",
    Projected attributes: "DynamoDB fetches each of these attributes from the base table",
    Provisioned throughput considerations: "additional read capacity")."""
    model = engine.models.tables.get(table)
    if not index or model is None:
        return False
    local = next((i for i in model.indexes if i.name == index), None)
    projection = (local.projection or {}) if local is not None else {}
    if local is None or projection.get("ProjectionType", "ALL") == "ALL":
        return False
    if params.get("Select") == "ALL_ATTRIBUTES":
        return True
    held = {model.hash_key_attr, model.range_key_attr, *(k["AttributeName"] for k in local.schema),
            *(projection.get("NonKeyAttributes") or ())}
    return bool(_requested(params) - held)


def _requested(params: Mapping[str, Any]) -> set[str]:
    """The top-level attributes a read's projection names (none when it has none)."""
    if isinstance(params.get("AttributesToGet"), list):
        return {name for name in params["AttributesToGet"] if isinstance(name, str)}
    text = params.get("ProjectionExpression")
    if not isinstance(text, str):
        return set()
    names = params.get("ExpressionAttributeNames") or {}
    first = {path[0] for path in parse("ProjectionExpression", text).paths if isinstance(path[0], str)}
    return {str(names.get(name, name)) if name.startswith("#") else name for name in first}


def _is_local_index(engine: Engine, table: str, index: Any) -> bool:
    model = engine.models.tables.get(table)
    return bool(index) and model is not None and any(i.name == index for i in model.indexes)


def _canonical(key: Mapping[str, Any]) -> str:
    return json.dumps(key, sort_keys=True, separators=(",", ":"))


def _lookup(engine: Engine, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored item (the size a write or read is charged on). A key of the table's own
    attributes with string values is looked up in the table directly (a write sizes
    each item it touches before and after: the whole GetItem path for each was a third of an
    UpdateItem); anything else - numbers (the engine reads ``1.0`` as ``1``), binaries, wrong names, missing
    tables - asks the engine, whose errors mean no item."""
    if not key:
        return None
    direct = _stored(engine, table, key)
    if direct is not _ASK:
        return direct  # type: ignore[no-any-return]
    try:
        found = engine.call("GetItem", {"TableName": table, "Key": dict(key), "ConsistentRead": True})
    except DynamoDBError:
        return None
    item: dict[str, Any] | None = found.get("Item")
    return item


_ASK: Any = object()


def _stored(engine: Engine, table: str, key: Mapping[str, Any]) -> Any:
    """The item stored under a plain key, ``None`` if there is none, or ``_ASK``."""
    model = engine.models.tables.get(table)
    storage = getattr(getattr(engine, "semantics", None), "storage", None)
    if model is None or storage is None or not hasattr(storage, "current_item"):
        return _ASK
    names = (model.hash_key_attr, model.range_key_attr) if model.range_key_attr else (model.hash_key_attr,)
    if len(key) != len(names):
        return _ASK
    for name in names:
        value = key.get(name)
        if (not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) != "S"
                or not isinstance(next(iter(value.values())), str)):
            return _ASK
    return storage.current_item(table, key)


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
