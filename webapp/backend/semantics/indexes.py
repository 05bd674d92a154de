"""UpdateTable's ``GlobalSecondaryIndexUpdates`` checked against the indexes the table has.

moto 5.2.1 (``DynamoDBBackend.update_table_global_indexes``) raises a bare Python ``ValueError``
for an index that already exists (``Create``) or does not (``Delete``, ``Update``), which reached
the client as an ``InternalServerError``. DynamoDB answers them as client errors (API Reference,
UpdateTable, "Errors": ``ResourceNotFoundException`` - "The operation tried to access a
nonexistent table or index"; a ``Create`` of an existing name is a ``ValidationException`` whose
text says it "already exists": ScyllaDB's Alternator tests, test/alternator/test_gsi.py
``test_gsi_backfill``, checked against DynamoDB).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from webapp.backend.errors import DynamoDBResourceNotFoundException, DynamoDBValidationException


class _Indexes(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...


def check_index_updates(storage: _Indexes, params: Mapping[str, Any]) -> None:
    table, updates = params.get("TableName"), params.get("GlobalSecondaryIndexUpdates")
    if not isinstance(table, str) or not isinstance(updates, list) or storage.key_names(table) is None:
        return
    for update in updates:
        if not isinstance(update, Mapping):
            continue
        for action, body in update.items():
            name = body.get("IndexName") if isinstance(body, Mapping) else None
            if not isinstance(name, str):
                continue
            exists = bool(storage.key_names(table, name))
            if action == "Create" and exists:
                raise DynamoDBValidationException(
                    "One or more parameter values were invalid: Attempting to create an index which already exists")
            if action in ("Delete", "Update") and not exists:
                raise DynamoDBResourceNotFoundException(f"Requested resource not found: Index: {name} not found")
