"""The state of a moto DynamoDB backend as plain JSON, and back.

Compaction needs the whole state in a form that survives a restart: for each table what
``CreateTable`` needs (key schema, attribute definitions, billing mode and throughput,
secondary indexes, stream and SSE specifications, tags, deletion protection), its TTL
specification, its creation time, and every item in DynamoDB JSON.

**Loading without replaying.** Items are put straight into moto's table model (they were valid
when written) instead of through ``BatchWriteItem``: measured with 20,000 items (issue 11), the
API path spent its time in moto's request parsing, our request checks and, above all, moto's
``LimitedSizeDict``, which recomputes the size of the whole item for every attribute it sets
(quadratic per item). The direct path builds each ``Item`` as moto's own ``put_item`` leaves it
(attributes as ``DynamoType``, binaries as bytes) with the cyclic garbage collector paused, as
the objects built are acyclic and long-lived.

Not kept across a compaction (moto keeps them only in memory, and the app does not use them):
on-demand backups, exports/imports, resource policies, point-in-time-recovery settings, stream
records.
"""

from __future__ import annotations

import base64
import gc
from datetime import datetime
from typing import Any, Protocol

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict


class Engine(Protocol):
    models: DynamoDBBackend

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...


_INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


def export_tables(models: DynamoDBBackend) -> list[dict[str, Any]]:
    tables = []
    for table in models.tables.values():
        tables.append({
            "name": table.name,
            "schema": table.schema,
            "attr": table.attr,
            "billing_mode": table.billing_mode,
            "throughput": table.throughput,
            "global_indexes": [_index(index.describe()) for index in table.global_indexes],
            "indexes": [_index(index.describe()) for index in table.indexes],
            "streams": table.stream_specification,
            "sse_specification": table.sse_specification,
            "tags": table.tags,
            "deletion_protection_enabled": table.deletion_protection_enabled,
            "warm_throughput": table.warm_throughput,
            "ttl": table.ttl,
            "created_at": table.created_at.isoformat(),
            "items": export_items(table),
        })
    return tables


def export_items(table: Any) -> list[dict[str, Any]]:
    """Every item of a moto ``Table`` in DynamoDB JSON (binaries as base64), in key order.

    What ``_wire(item.to_json()["Attributes"])`` gives, built directly from the ``DynamoType``s:
    moto's ``to_json`` deep-copies every nested value first, which made compaction of a large
    table take seconds under the backend's lock."""
    return [{name: _wire_value(value) for name, value in item.attrs.items()} for item in table.all_items()]


def _wire_value(typed: DynamoType) -> dict[str, Any]:
    kind, value = typed.type, typed.value
    if kind == "M":
        return {"M": {name: _wire_value(v) for name, v in value.items()}}
    if kind == "L":
        return {"L": [_wire_value(v) if isinstance(v, DynamoType) else v for v in value]}
    if kind in ("B", "BS"):
        return {kind: _wire(value)}
    return {kind: value}


def import_tables(engine: Engine, tables: list[dict[str, Any]]) -> None:
    for spec in tables:
        table = engine.models.create_table(
            spec["name"],
            schema=spec["schema"],
            throughput=spec["throughput"],
            attr=spec["attr"],
            global_indexes=spec["global_indexes"],
            indexes=spec["indexes"],
            streams=spec["streams"],
            billing_mode=spec["billing_mode"],
            sse_specification=spec["sse_specification"],
            tags=spec["tags"],
            deletion_protection_enabled=spec["deletion_protection_enabled"],
            warm_throughput=spec["warm_throughput"],
        )
        table.ttl = dict(spec["ttl"])
        table.created_at = datetime.fromisoformat(spec["created_at"])
        load_items(table, spec["items"])


def load_items(table: Any, items: list[dict[str, Any]]) -> None:
    """Put snapshot items into a moto ``Table`` as its ``put_item`` would, without its checks."""
    hash_name, range_name = table.hash_key_attr, table.range_key_attr
    store = table.items
    collecting = gc.isenabled()
    gc.disable()
    try:
        for attributes in items:
            item: Item = _new(Item)  # moto's BaseModel.__new__ only tracks instances for its reset
            # dict.update does not call LimitedSizeDict.__setitem__ (the size check, quadratic)
            item.attrs = LimitedSizeDict({name: _dynamo(value) for name, value in attributes.items()})
            item.hash_key = item.attrs[hash_name]
            if range_name is None:
                item.range_key = None
                store[item.hash_key] = item
            else:
                item.range_key = item.attrs[range_name]
                store[item.hash_key][item.range_key] = item
    finally:
        if collecting:
            gc.enable()


def _dynamo(value: dict[str, Any]) -> DynamoType:
    """What ``DynamoType(value)`` builds (``type``, ``value``; maps and lists of DynamoTypes),
    without its per-call list copies, and with binaries decoded from the snapshot's base64 as
    moto's request parser hands them to ``put_item``."""
    for kind, inner in value.items():
        typed = _new(DynamoType)
        typed.type = kind
        if kind == "M":
            typed.value = {name: _dynamo(v) for name, v in inner.items()}
        elif kind == "L":
            typed.value = [_dynamo(v) for v in inner]
        elif kind == "B":
            typed.value = base64.b64decode(inner)
        elif kind == "BS":
            typed.value = [base64.b64decode(v) for v in inner]
        else:
            typed.value = inner
        return typed
    raise ValueError("an attribute value without a type in the snapshot")


_new = object.__new__


def _index(description: dict[str, Any]) -> dict[str, Any]:
    return {name: description[name] for name in _INDEX_FIELDS if name in description}


def _wire(value: Any) -> Any:
    """moto keeps binaries as bytes; on the wire (and in the snapshot) they are base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value
