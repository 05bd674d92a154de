"""Capacity units, ``ConsumedCapacity`` and provisioned-throughput throttling.

Arithmetic (DynamoDB Developer Guide, "Read/write capacity mode" and "Item sizes and formats"):

* item size: the UTF-8 length of each attribute name plus its value: strings their UTF-8
  length, binaries their raw length, numbers 1 byte per two significant digits plus 1, booleans
  and nulls 1, sets the sum of their elements, lists and maps 3 bytes plus, per element, its
  size (and key name) plus 1 byte;
* reads: one unit per 4 KB of item (rounded up, at least one), half for eventually consistent
  reads, twice for transactional reads; Query and Scan sum the sizes of every item they
  *evaluate* (before any filter) and round once;
* writes: one unit per 1 KB of the larger of the old and new item, twice in a transaction;
  a failed conditional write still consumes its units.

Throttling (off unless configured): each provisioned table has a read and a write token bucket
filled at its RCU/WCU per second and holding at most 300 seconds of unused capacity ("burst
capacity", Developer Guide, "Best practices for designing partition keys": "DynamoDB currently
retains up to 5 minutes (300 seconds) of unused read and write capacity"). A bucket starts with
one second of capacity. A request is refused with ``ProvisionedThroughputExceededException``
when the bucket it needs holds less than the smallest such request costs; an admitted request is charged what it actually consumed,
which may take the bucket below zero (later requests wait for the debt to be repaid), as DynamoDB
does for items whose size it learns only while reading.

moto returns fixed, and sometimes unrequested, ``ConsumedCapacity`` figures; they are replaced by
these, and only when ``ReturnConsumedCapacity`` asks (TOTAL, or INDEXES for the per-table and
per-index split). PartiQL and control-plane calls keep moto's answer. Secondary-index write
capacity is not modelled.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, cast

from webapp.backend.errors import DynamoDBError, ProvisionedThroughputExceededException

BURST_SECONDS = 300.0
READ_UNIT = 4096
WRITE_UNIT = 1024


# Sizes and units --------------------------------------------------------------------------------


def number_size(text: str) -> int:
    try:
        digits: tuple[int, ...] = Decimal(text).normalize().as_tuple().digits
    except InvalidOperation:
        digits = tuple(int(c) for c in text if c.isdigit())
    significant = len(digits) if any(digits) else 1
    return math.ceil(significant / 2) + 1


def _binary_size(text: Any) -> int:
    try:
        return len(base64.b64decode(text))
    except (ValueError, TypeError):
        return len(str(text))


def value_size(value: Mapping[str, Any]) -> int:
    if len(value) != 1:
        return 0
    kind, inner = next(iter(value.items()))
    inner = cast(Any, inner if inner is not None else "")
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return _binary_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(str(n)) for n in inner)
    if kind == "BS":
        return sum(_binary_size(b) for b in inner)
    if kind == "L":
        return 3 + sum([value_size(element) + 1 for element in inner])
    if kind == "M":
        return 3 + sum([len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items()])
    return 0


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(size / READ_UNIT)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(size / WRITE_UNIT)))
    return units * 2 if transactional else units


# Token buckets ----------------------------------------------------------------------------------


class TokenBucket:
    """Capacity units refilled at ``rate`` per second, holding at most ``burst`` seconds' worth."""

    def __init__(self, rate: float, now: float, burst: float = BURST_SECONDS) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = rate
        self.updated = now

    @property
    def limit(self) -> float:
        return self.rate * self.burst

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.limit, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def has_capacity(self, now: float, needed: float = 1.0) -> bool:
        """Enough for the smallest request of its kind (its actual cost is known only after)."""
        self.refill(now)
        return self.tokens >= needed

    def consume(self, units: float, now: float) -> None:
        self.refill(now)
        self.tokens -= units

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.tokens = min(self.tokens, self.limit)


@dataclass(frozen=True)
class Provisioned:
    read: float
    write: float


def parse_throttle(spec: str | Mapping[str, Any] | None) -> tuple[bool, dict[str, Provisioned]]:
    """``WEBAPP_THROTTLE``: ``on`` (honour tables' own provisioned throughput) and/or
    ``Table=RCU:WCU`` entries, comma-separated. Returns (enabled, per-table overrides)."""
    if not spec:
        return False, {}
    if isinstance(spec, Mapping):
        return True, {
            name: v if isinstance(v, Provisioned) else Provisioned(float(v[0]), float(v[1]))
            for name, v in spec.items()
        }
    tables: dict[str, Provisioned] = {}
    for entry in str(spec).split(","):
        entry = entry.strip()
        if not entry or entry.lower() in ("on", "1", "true", "provisioned"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]{1,255})=(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)", entry)
        if match is None:
            raise ValueError(f"WEBAPP_THROTTLE entry {entry!r} is not Table=RCU:WCU")
        tables[match[1]] = Provisioned(float(match[2]), float(match[3]))
    return True, tables


# Metering ---------------------------------------------------------------------------------------


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


WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"})
METERED = WRITES | READS
FAILURES_THAT_CONSUME = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class CapacityMeter:
    def __init__(self, *, throttling: bool = False, tables: Mapping[str, Provisioned] | None = None,
                 burst: float = BURST_SECONDS) -> None:
        self.throttling = throttling
        self.overrides = dict(tables or {})
        self.burst = burst
        self._buckets: dict[str, tuple[TokenBucket, TokenBucket]] = {}
        self._rates: dict[str, Provisioned | None] = {}

    @classmethod
    def from_spec(cls, spec: str | Mapping[str, Any] | None) -> CapacityMeter:
        enabled, tables = parse_throttle(spec)
        return cls(throttling=enabled, tables=tables)

    # Admission ----------------------------------------------------------------------------------

    def admit(self, engine: Engine, operation: str, params: Mapping[str, Any], now: float) -> Plan | None:
        if operation not in METERED:
            return None
        tables = _tables_of(operation, params)
        throttled = [t for t in tables if self._bucket(engine, t, now) is not None]
        wanted = params.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        if not throttled and not wanted:
            return None
        for table in throttled:
            reads, writes = self._bucket(engine, table, now)  # type: ignore[misc]
            if operation in WRITES:
                bucket, needed = writes, write_units(0, transactional=operation == "TransactWriteItems")
            else:
                bucket, needed = reads, read_units(0, consistent=bool(params.get("ConsistentRead")),
                                                   transactional=operation == "TransactGetItems")
            if not bucket.has_capacity(now, needed):
                raise ProvisionedThroughputExceededException()
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
        """BatchWriteItem / BatchGetItem on throttled tables: the part the buckets admit now, and
        the rest as ``UnprocessedItems`` / ``UnprocessedKeys`` (API Reference: "If DynamoDB
        returns any unprocessed items, you should retry the batch operation on those items";
        only when *none* can be processed is the whole call refused with
        ``ProvisionedThroughputExceededException``). A request is admitted while its table's
        bucket holds the smallest unit; its estimated cost is then set aside."""
        if operation not in ("BatchWriteItem", "BatchGetItem") or not self.throttling:
            return params, {}
        admitted: dict[str, Any] = {}
        unprocessed: dict[str, Any] = {}
        for table, requests in (params.get("RequestItems") or {}).items():
            buckets = self._bucket(engine, table, now)
            if operation == "BatchWriteItem":
                entries = list(requests)
                costs = [write_units(item_size((r.get("PutRequest") or {}).get("Item"))) for r in entries]
                needed = write_units(0)
            else:
                entries = list(requests.get("Keys") or ())
                consistent = bool(requests.get("ConsistentRead"))
                costs = [read_units(0, consistent=consistent)] * len(entries)
                needed = read_units(0, consistent=consistent)
            taken: list[Any] = entries
            left: list[Any] = []
            if buckets is not None:
                bucket = buckets[1] if operation == "BatchWriteItem" else buckets[0]
                bucket.refill(now)
                budget = bucket.tokens
                taken = []
                for entry, cost in zip(entries, costs, strict=True):
                    if not left and budget >= needed:
                        taken.append(entry)
                        budget -= cost
                    else:
                        left.append(entry)
            for target, part in ((admitted, taken), (unprocessed, left)):
                if not part:
                    continue
                if operation == "BatchWriteItem":
                    target[table] = part
                else:
                    target[table] = {**{k: v for k, v in requests.items() if k != "Keys"}, "Keys": part}
        if not admitted:
            raise ProvisionedThroughputExceededException()
        return {**params, "RequestItems": admitted}, unprocessed

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
        self._rates.clear()

    # Internals ----------------------------------------------------------------------------------

    def _bucket(self, engine: Engine, table: str, now: float) -> tuple[TokenBucket, TokenBucket] | None:
        if not self.throttling:
            return None
        if table not in self._rates:
            self._rates[table] = self.overrides.get(table) or _provisioned_of(engine, table)
        rates = self._rates[table]
        if rates is None:
            self._buckets.pop(table, None)
            return None
        buckets = self._buckets.get(table)
        if buckets is None:
            buckets = (TokenBucket(rates.read, now, self.burst), TokenBucket(rates.write, now, self.burst))
            self._buckets[table] = buckets
        else:
            buckets[0].set_rate(rates.read)
            buckets[1].set_rate(rates.write)
        return buckets

    def _consume(self, charges: list[Charge], now: float) -> None:
        for charge in charges:
            buckets = self._buckets.get(charge.table) if self.throttling else None
            if buckets is not None:
                buckets[0].consume(charge.read, now)
                buckets[1].consume(charge.write, now)

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


def _provisioned_of(engine: Engine, table: str) -> Provisioned | None:
    model = engine.models.tables.get(table)
    if model is None or model.billing_mode != "PROVISIONED":
        return None
    throughput = model.throughput or {}
    read, write = float(throughput.get("ReadCapacityUnits") or 0), float(throughput.get("WriteCapacityUnits") or 0)
    return Provisioned(read, write) if read > 0 and write > 0 else None


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
