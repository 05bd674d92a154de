"""TransactWriteItems: the 4 MB payload, which DynamoDB checks before any member runs and moto not.

"The aggregate size of the items in the transaction cannot exceed 4 MB" (API Reference,
TransactWriteItems). What counts is the request - the items a ``Put`` carries, the keys and values
the other members carry - not the stored items a ``Delete`` removes: ScyllaDB's Alternator tests
(test/alternator/test_transact.py, ``test_transact_write_items_put_5MB`` / ``_delete_5MB`` / ``_put_3MB``, checked against DynamoDB)
see 50 puts of 100 KB refused with a ``ValidationException`` and 50 deletes of 100 KB items
accepted. The test pins only "size cannot exceed" in the text.

A member whose key has another type than the schema's cancels the transaction: DynamoDB answers
``TransactionCanceledException`` with the reason ``ValidationError`` (and its message) for the
first such member and ``None`` for every other one - it stops at the first and evaluates no
condition (same tests, ``test_transact_write_cancellation_reasons_validationerror``); moto answers
a bare ``ValidationException``. Validation leaves key *types* in a transaction to this check
(``iam_policies.dynamodb.items._key_schema``) and cancels empty or oversized keys itself
(``iam_policies.dynamodb.batches.transact_write_items``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from webapp.backend.capacity import item_size
from webapp.backend.errors import DynamoDBError, DynamoDBValidationException

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


class Schema(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...

    def attribute_type(self, table: str, name: str) -> str | None: ...


BAD_KEY = "The provided key element does not match the schema"


def _key_error(storage: Schema, kind: str, member: Mapping[str, Any]) -> str | None:
    table = member.get("TableName")
    names = storage.key_names(table) if isinstance(table, str) else None
    source = member.get("Item") if kind == "Put" else member.get("Key")
    if not names or not isinstance(source, Mapping):
        return None
    for name in names:
        value = source.get(name)
        if not isinstance(value, Mapping) or len(value) != 1:
            continue  # a missing key is validation's to report
        actual = str(next(iter(value)))
        expected = storage.attribute_type(str(table), name)
        if expected is not None and actual != expected:
            return ("One or more parameter values were invalid: Type mismatch for key "
                    f"{name} expected: {expected} actual: {actual}") if kind == "Put" else BAD_KEY
    return None


def check_member_keys(storage: Schema, entries: list[Any]) -> None:
    """Cancel the transaction at the first member whose key has another type than the schema's."""
    for position, entry in enumerate(entries):
        found = _member(entry)
        message = _key_error(storage, *found) if found is not None else None
        if message is None:
            continue
        raise cancelled(len(entries), position, message)


def cancelled(count: int, position: int, message: str) -> DynamoDBError:
    """The transaction of ``count`` members cancelled by a validation error of member ``position``:
    ``ValidationError`` and its message there, ``None`` for every other member."""
    reasons: list[dict[str, str]] = [{"Code": "None"} for _ in range(count)]
    reasons[position] = {"Code": "ValidationError", "Message": message}
    codes = ", ".join(reason["Code"] for reason in reasons)
    return DynamoDBError(
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        code="TransactionCanceledException", status=400, extra={"CancellationReasons": reasons})
