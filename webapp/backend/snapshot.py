"""The state of a moto DynamoDB backend as plain JSON, and back.

Compaction needs the whole state in a form that survives a restart: for each table what
``CreateTable`` needs (key schema, attribute definitions, billing mode and throughput,
secondary indexes, stream and SSE specifications, tags, deletion protection), its TTL
specification, its creation time, and every item in DynamoDB JSON. Items are loaded straight
into moto's table model (they were valid when written), which keeps start-up fast.

Not kept across a compaction (moto keeps them only in memory, and the app does not use them):
on-demand backups, exports/imports, resource policies, point-in-time-recovery settings, stream
records.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Protocol

from moto.dynamodb.models import DynamoDBBackend


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
            "items": [_wire(item.to_json()["Attributes"]) for item in table.all_items()],
        })
    return tables


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
        items = spec["items"]
        for start in range(0, len(items), 25):
            engine.call("BatchWriteItem", {"RequestItems": {
                spec["name"]: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]],
            }})


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
