"""TransactWriteItems: the 4 MB payload, which DynamoDB checks before any member runs and moto not.

"The aggregate size of the items in the transaction cannot exceed 4 MB" (API Reference,
TransactWriteItems). What counts is the request - the items a ``Put`` carries, the keys and values
the other members carry - not the stored items a ``Delete`` removes: ScyllaDB's Alternator tests
(test/alternator/test_transact.py, ``test_transact_write_items_put_5MB`` / ``_delete_5MB`` / ``_put_3MB``, checked against DynamoDB)
see 50 puts of 100 KB refused with a ``ValidationException`` and 50 deletes of 100 KB items
accepted. The test pins only "size cannot exceed" in the text.

(A member whose key the table refuses cancels the transaction with a ``ValidationError`` reason:
that is decided with the other key checks, ``iam_policies.dynamodb.batches``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.backend.capacity import item_size
from webapp.backend.errors import DynamoDBValidationException

#: 4 MB (API Reference, TransactWriteItems).
PAYLOAD_LIMIT = 4 * 1024 * 1024


def _member(entry: Any) -> tuple[str, Mapping[str, Any]] | None:
    if not isinstance(entry, Mapping) or len(entry) != 1:
        return None
    kind, member = next(iter(entry.items()))
    return (str(kind), member) if isinstance(member, Mapping) else None


def _sized(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def payload_size(entries: list[Any]) -> int:
    """The bytes of item data the request carries: each ``Put``'s item, each other member's key,
    and every member's expression values."""
    total = 0
    for entry in entries:
        found = _member(entry)
        if found is None:
            continue
        kind, member = found
        total += item_size(_sized(member.get("Item") if kind == "Put" else member.get("Key")))
        total += item_size(_sized(member.get("ExpressionAttributeValues")))
    return total


def check_payload(entries: list[Any]) -> None:
    if payload_size(entries) > PAYLOAD_LIMIT:
        raise DynamoDBValidationException("Transaction request size cannot exceed 4 MB")
