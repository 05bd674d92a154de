"""UpdateTable creating an index the table already has.

moto 5.2.1 (``DynamoDBBackend.update_table_global_indexes``) raises a bare Python ``ValueError``
for it, which reached the client as an ``InternalServerError``; DynamoDB answers a
``ValidationException`` whose text says the index "already exists" (ScyllaDB's Alternator tests,
test/alternator/test_gsi.py ``test_gsi_backfill``, checked against DynamoDB). ``Update`` and
``Delete`` of an index the table lacks are ``webapp.backend.table_updates``' to answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from webapp.backend.errors import DynamoDBValidationException


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
            if action == "Create" and storage.key_names(table, name):
                raise DynamoDBValidationException(
                    "One or more parameter values were invalid: Attempting to create an index which already exists")
