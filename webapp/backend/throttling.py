"""Provisioned-throughput throttling: a read and a write token bucket per provisioned table.

Off unless configured (``WEBAPP_THROTTLE``). Each provisioned table has a read and a write token
bucket filled at its RCU/WCU per second and holding at most 300 seconds of unused capacity
("burst capacity", Developer Guide, "Best practices for designing partition keys": "DynamoDB
currently retains up to 5 minutes (300 seconds) of unused read and write capacity"). A bucket
starts with one second of capacity. A request is refused with
``ProvisionedThroughputExceededException`` when the bucket it needs holds less than the smallest
such request costs; an admitted request is charged what it actually consumed (``metering.py``
measures it), which may take the bucket below zero (later requests wait for the debt to be
repaid), as DynamoDB does for items whose size it learns only while reading. Secondary-index
write capacity is not modelled.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from webapp.backend.capacity import WRITES, item_size, read_units, write_units
from webapp.backend.errors import ProvisionedThroughputExceededException

BURST_SECONDS = 300.0


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


class Tables(Protocol):
    """What throttling needs of the engine: moto's table models (billing mode, throughput)."""

    models: Any


class Throttle:
    """Per-table buckets, at the rates of ``tables`` (overrides) or of each table's own
    provisioned throughput when ``enabled``; nothing is throttled when disabled."""

    def __init__(self, *, enabled: bool = False, tables: Mapping[str, Provisioned] | None = None,
                 burst: float = BURST_SECONDS) -> None:
        self.enabled = enabled
        self.overrides = dict(tables or {})
        self.burst = burst
        self._buckets: dict[str, tuple[TokenBucket, TokenBucket]] = {}
        self._rates: dict[str, Provisioned | None] = {}
        #: Calls on different tables, and reads of one table, run together (``locking.py``):
        #: the buckets are read, refilled and debited under this.
        self._mutex = threading.RLock()

    @classmethod
    def from_spec(cls, spec: str | Mapping[str, Any] | None) -> Throttle:
        enabled, tables = parse_throttle(spec)
        return cls(enabled=enabled, tables=tables)

    def check(self, engine: Tables, operation: str, params: Mapping[str, Any], tables: list[str],
              now: float) -> bool:
        """Refuse the call if a bucket it needs is empty; whether any of ``tables`` is throttled."""
        if not self.enabled:
            return False
        with self._mutex:
            return self._check(engine, operation, params, tables, now)

    def _check(self, engine: Tables, operation: str, params: Mapping[str, Any], tables: list[str],
               now: float) -> bool:
        found = [self.buckets(engine, table, now) for table in tables]
        throttled = [buckets for buckets in found if buckets is not None]
        for reads, writes in throttled:
            if operation in WRITES:
                bucket, needed = writes, write_units(0, transactional=operation == "TransactWriteItems")
            else:
                bucket, needed = reads, read_units(0, consistent=bool(params.get("ConsistentRead")),
                                                   transactional=operation == "TransactGetItems")
            if not bucket.has_capacity(now, needed):
                raise ProvisionedThroughputExceededException()
        return bool(throttled)

    def split_batch(self, engine: Tables, operation: str, params: dict[str, Any],
                    now: float) -> tuple[dict[str, Any], dict[str, Any]]:
        """BatchWriteItem / BatchGetItem on throttled tables: the part the buckets admit now, and
        the rest as ``UnprocessedItems`` / ``UnprocessedKeys`` (API Reference: "If DynamoDB
        returns any unprocessed items, you should retry the batch operation on those items";
        only when *none* can be processed is the whole call refused with
        ``ProvisionedThroughputExceededException``). A request is admitted while its table's
        bucket holds the smallest unit; its estimated cost is then set aside."""
        if operation not in ("BatchWriteItem", "BatchGetItem") or not self.enabled:
            return params, {}
        with self._mutex:
            return self._split_batch(engine, operation, params, now)

    def _split_batch(self, engine: Tables, operation: str, params: dict[str, Any],
                     now: float) -> tuple[dict[str, Any], dict[str, Any]]:
        admitted: dict[str, Any] = {}
        unprocessed: dict[str, Any] = {}
        for table, requests in (params.get("RequestItems") or {}).items():
            buckets = self.buckets(engine, table, now)
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

    def consume(self, table: str, read: float, write: float, now: float) -> None:
        buckets = self._buckets.get(table) if self.enabled else None
        if buckets is not None:
            with self._mutex:
                buckets[0].consume(read, now)
                buckets[1].consume(write, now)

    def forget_tables(self) -> None:
        """Table settings may have changed (UpdateTable, DeleteTable): look them up again."""
        with self._mutex:
            self._rates.clear()

    def buckets(self, engine: Tables, table: str, now: float) -> tuple[TokenBucket, TokenBucket] | None:
        if not self.enabled:
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


def _provisioned_of(engine: Tables, table: str) -> Provisioned | None:
    model = engine.models.tables.get(table)
    if model is None or model.billing_mode != "PROVISIONED":
        return None
    throughput = model.throughput or {}
    read, write = float(throughput.get("ReadCapacityUnits") or 0), float(throughput.get("WriteCapacityUnits") or 0)
    return Provisioned(read, write) if read > 0 and write > 0 else None
