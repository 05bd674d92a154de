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

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.capacity import item_size
from webapp.backend.errors import DynamoDBError, DynamoDBValidationException
from webapp.backend.semantics import updates

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

    def index_names(self, table: str) -> tuple[str, ...]: ...

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
    if kind == "Put":
        for index, name, defined in _index_keys(storage, str(table)):
            value = source.get(name)
            given = str(next(iter(value))) if isinstance(value, Mapping) and len(value) == 1 else None
            if given is not None and defined is not None and given != defined:
                return ("One or more parameter values were invalid: Type mismatch for Index Key "
                        f"{name} Expected: {defined} Actual: {given} IndexName: {index}")
    return None


#: A Put's index key written empty (paritysuite: error-messages/transactWriteItemsIndexes.test.ts).
EMPTY_INDEX_KEY = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
                   "supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, "
                   "IndexKey: {}")


def _index_keys(storage: Schema, table: str) -> list[tuple[str, str, str | None]]:
    """(index, attribute, defined type) for every index key of ``table``, the indexes by name: an
    error names the alphabetically first index the attribute keys."""
    return [(index, name, storage.attribute_type(table, name))
            for index in sorted(storage.index_names(table)) for name in storage.key_names(table, index) or ()]


def check_empty_index_keys(storage: Schema, entries: list[Any]) -> None:
    """An index key written empty by a Put or set empty by an Update refuses the whole request
    with a ValidationException, ahead of any cancellation (paritysuite/dynamodb-conformance
    tests/tier3/error-messages/transactWriteItemsIndexes.test.ts, captured in eu-west-2: "empty
    string: top-level ValidationException (up-front input validation)"; empty binaries alike)."""
    for entry in entries:
        found = _member(entry)
        table = found[1].get("TableName") if found is not None else None
        if found is None or not isinstance(table, str) or storage.key_names(table) is None:
            continue
        kind, member = found
        if kind == "Put" and isinstance(member.get("Item"), Mapping):
            for index, name, defined in _index_keys(storage, table):
                word = updates.empty_index_value(member["Item"].get(name), defined or "")
                if word is not None:
                    raise DynamoDBValidationException(EMPTY_INDEX_KEY.format(word, index, name))
        elif kind == "Update":
            for name, value in _set_values(member):
                for _index, key, defined in _index_keys(storage, table):
                    word = updates.empty_index_value(value, defined or "") if key == name else None
                    if word is not None:
                        raise DynamoDBValidationException(updates.EMPTY_INDEX_KEY.format(word))


def _set_values(member: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The top-level attributes an Update's ``SET a = :v`` actions write, with the values."""
    text = member.get("UpdateExpression")
    if not isinstance(text, str):
        return []
    try:
        parsed = ex.parse("UpdateExpression", text)
    except ValidationException:
        return []
    names = member.get("ExpressionAttributeNames") or {}
    values = member.get("ExpressionAttributeValues") or {}
    found: list[tuple[str, Any]] = []
    for action in parsed.actions:
        if action.section != "SET" or len(action.target) != 1 or not isinstance(action.value, ex.ValueOperand):
            continue
        target = action.target[0]
        name = str(names.get(target, target)) if isinstance(target, str) and target.startswith("#") else str(target)
        found.append((name, values.get(action.value.placeholder)))
    return found


def check_member_keys(storage: Schema, entries: list[Any]) -> None:
    """Cancel the transaction at the first member whose key has another type than the schema's,
    or whose Put writes an index key of another type ("Type mismatch for Index Key", as PutItem;
    paritysuite, transactWriteItemsIndexes.test.ts)."""
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
