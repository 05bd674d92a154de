"""PartiQL runs on moto only inside the scope IAM authorized.

IAM decides a PartiQL statement from our own parse of it (``iam_policies.dynamodb.partiql``):
its table or index, the partition values its WHERE clause pins (``dynamodb:LeadingKeys``,
``dynamodb:FullTableScan``), the attributes it names (``dynamodb:Attributes``). moto then runs the
*text* through its own parser (py-partiql-parser 0.6), which reads another statement than
DynamoDB would in many cases. Seen with the ``Notes`` table of the attack tests
(``tests/functional/dynamodb/test_attacks_partiql.py``):

- ``WHERE<TAB>"owner" = 'alice'``: moto splits clauses on the exact text `` WHERE `` and finds
  none, so it returns every partition;
- ``WHERE ("title" IS NOT MISSING OR "title" = ' WHERE ') AND "owner" = 'alice'``: moto splits
  inside the string literal and keeps only the always-true first half;
- ``UPDATE ... SET "owner" = 'bob' WHERE "owner" = 'alice' AND ...``: moto writes the item back
  under bob's key (DynamoDB refuses to update a key attribute);
- attribute names matched case-insensitively (``SELECT ADMINFLAG`` returned ``adminFlag``).

So moto gets the statement single-spaced (``partiql.single_spaced``: tabs, line breaks and comments
as one space), and on AWS a statement pinned to partitions can only read or write items of those partitions, and
only the attributes it names. So moto is given only that scope: the items of the pinned
partitions (one item for UPDATE and DELETE, which pin every key attribute), the statement's own
table or index and nothing else (an index's items with its projected attributes only), attribute names that differ from a named one only in case
hidden; and what it answers is checked against the parse: a projection keeps exactly the named
attributes, a write may change only the addressed item's named attributes and never its key, an
INSERT must insert exactly the parsed item. Anything else is refused with a ValidationException
before any write, rather than executed as a statement nobody authorized. A full-table SELECT
(``FullTableScan`` = true, which IAM decided as such) still reads the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    ConditionalCheckFailed,
    DynamodbException,
    MockValidationException,
    TransactionCanceledException,
)
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import partiql as moto_partiql

from iam_policies.dynamodb import partiql

#: What the refusal says: the statement is not one this stack can run as it was authorized.
NOT_IN_SCOPE = ("Statement wasn't well formed, can't be processed: the local stack's PartiQL engine read it "
                "differently from its authorization")
EXISTS_OUTSIDE_TRANSACTION = ("Statement wasn't well formed, can't be processed: EXISTS is a condition check of "
                              "ExecuteTransaction")
DUPLICATE_ITEM = "Duplicate primary key exists in table"
KEY_UPDATE = "One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key"


class DuplicateItem(DynamodbException):
    """An INSERT of a key the table holds (DynamoDB DG, "PartiQL insert statements": "If the
    DynamoDB table already has an item with the same primary key ..., DuplicateItemException is
    returned"; moto replaced the item)."""

    def __init__(self) -> None:
        super().__init__(ERROR_TYPE_PREFIX + "DuplicateItemException", DUPLICATE_ITEM)


def execute(backend: Any, statement: str, parameters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """moto's ``execute_statement``, confined to the statement's authorized scope."""
    if _condition_check(statement) is not None:
        raise MockValidationException(EXISTS_OUTSIDE_TRANSACTION)
    return _execute(backend, statement, parameters)


def execute_transaction(backend: Any, statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """moto's ``execute_transaction`` with ``EXISTS(SELECT ...)`` condition checks, which moto's
    parser does not know (it crashed): a check whose SELECT finds no item cancels the transaction
    with ``ConditionalCheckFailed`` at its place (DynamoDB DG, "PartiQL transactions"; the failed
    call's writes are undone by the caller's undo section, ``moto_models``)."""
    responses: list[dict[str, Any]] = []
    reasons: list[tuple[str | None, str | None, None]] = []
    for entry in statements:
        text, parameters = entry["Statement"], entry.get("Parameters", [])
        check = _condition_check(text)
        if check is not None:
            found = _execute(backend, check, parameters)
            reasons.append((None, None, None) if found else ("ConditionalCheckFailed", "The conditional request failed",
                                                              None))
            continue
        try:
            responses.extend({"Item": item} for item in _execute(backend, text, parameters))
        except ConditionalCheckFailed:
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", None))
        except DuplicateItem:
            reasons.append(("DuplicateItem", DUPLICATE_ITEM, None))
        else:
            reasons.append((None, None, None))
    if any(code for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    return responses


#: DynamoDB's BatchStatementError codes (botocore model, ``BatchStatementErrorCodeEnum``) by the
#: exception a statement failed with.
_BATCH_CODES = {"ValidationException": "ValidationError", "ConditionalCheckFailedException": "ConditionalCheckFailed",
                "DuplicateItemException": "DuplicateItem", "ResourceNotFoundException": "ResourceNotFound"}
BATCH_SELECT_KEYS = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."


def batch_execute_statement(backend: Any, statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """moto's ``batch_execute_statement``, each statement run in its scope like ``execute``.
    moto checked them with its own parser, which took ``"Profiles"`` for a table named with its
    quotes (every SELECT answered ResourceNotFound); a statement that fails gets its error in its
    place (DynamoDB DG, "Running batch operations with PartiQL"), the others still run."""
    responses: list[dict[str, Any]] = []
    for entry in statements:
        text, parameters = entry["Statement"], entry.get("Parameters", [])
        try:
            parsed = partiql.parse(text)
            table: Table = backend.get_table(parsed.table)
            keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
            if parsed.verb == "SELECT" and any(
                    len(partiql.pinned(parsed.where, key) or ()) != 1 for key in keys):
                raise MockValidationException(BATCH_SELECT_KEYS)
            items = execute(backend, text, parameters)
        except DynamodbException as error:
            code = error.error_type.rsplit("#", 1)[-1]
            responses.append({"Error": {"Code": _BATCH_CODES.get(code, code), "Message": error.message}})
            continue
        response: dict[str, Any] = {"TableName": table.name}
        if items:
            response["Item"] = items[0]
        responses.append(response)
    return responses


def _condition_check(statement: str) -> str | None:
    """The SELECT inside ``EXISTS( ... )``, or None for any other statement."""
    spaced = partiql.single_spaced(statement)
    if not spaced[:6].upper() == "EXISTS":
        return None
    inner = spaced[6:].strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise MockValidationException(NOT_IN_SCOPE)
    return inner[1:-1].strip()


def _execute(backend: Any, statement: str, parameters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    parsed = partiql.parse(statement)
    table: Table = backend.get_table(parsed.table)  # ResourceNotFoundException when there is none
    params = list(parameters)
    source = _source(table, parsed, params)
    return_data, updates_per_table = moto_partiql.query(_moto_text(statement, parsed), source, list(params))
    writes = _checked_writes(table, parsed, params, updates_per_table)
    if parsed.verb == "UPDATE" and not writes:
        # no item with that key, or the WHERE clause's other conditions are false: PartiQL's UPDATE
        # is no upsert (nubo-db/dynoxide#150, checked against DynamoDB)
        raise ConditionalCheckFailed()
    for _, after in writes:
        if parsed.verb == "INSERT" and after is not None and table.get_item(
                DynamoType(after[table.hash_key_attr]),
                DynamoType(after[table.range_key_attr]) if table.range_key_attr else None) is not None:
            raise DuplicateItem()
    for before, after in writes:
        if after is None and before is not None:
            table.delete_item(DynamoType(before[table.hash_key_attr]),
                              DynamoType(before[table.range_key_attr]) if table.range_key_attr else None)
        elif after is not None:
            table.put_item(after)
    if parsed.returning is not None:
        return _returned(parsed.returning, writes)
    if parsed.projection is not None:
        return [{name: item[name] for name in parsed.projection if name in item} for item in return_data]
    if parsed.verb == "SELECT" and not parsed.star:
        return [{name: value for name, value in item.items() if name in parsed.names} for item in return_data]
    return return_data


def _moto_text(statement: str, parsed: partiql.Statement) -> str:
    """The statement single-spaced, an index named as moto names it (``"T.I"``, where DynamoDB
    writes ``"T"."I"``), a projection of plain names read as ``*`` and applied here."""
    spaced = partiql.single_spaced(statement)
    if parsed.returning is not None:  # moto's parser crashed on it; answered here (_returned)
        spaced = partiql.without_returning(spaced)
    if parsed.projection is not None:  # moto read a quoted name ("title") as no attribute at all
        spaced = partiql.select_all(spaced)
    if parsed.index is None:
        return spaced
    target = f'"{parsed.table}.{parsed.index}"'
    return partiql.replace_target(spaced, target)


def _returned(returning: str, writes: Sequence[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """What ``RETURNING ALL|MODIFIED OLD|NEW *`` gives for the statement's one written item
    (DynamoDB DG, "PartiQL update statements": the item's attributes before or after, all of them
    or those the statement changed)."""
    answers: list[dict[str, Any]] = []
    for before, after in writes:
        old, new = before or {}, after or {}
        changed = {n for n in set(old) | set(new) if old.get(n) != new.get(n)}
        chosen = old if returning.endswith("OLD") else new
        answers.append(dict(chosen) if returning.startswith("ALL") else
                       {n: v for n, v in chosen.items() if n in changed})
    return answers


# The scope moto may see ---------------------------------------------------------------------------


def _source(table: Table, parsed: partiql.Statement, params: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """The only documents moto gets: the statement's table (or index) within its pinned keys."""
    items: Iterable[Item] = table.all_items()
    name = table.name
    project: Any = None
    if parsed.verb == "SELECT":
        partition = table.hash_key_attr
        if parsed.index is not None:
            index = next((i for i in table.all_indexes() if i.name == parsed.index), None)
            if index is None:
                raise MockValidationException("The table does not have the specified index")
            schema = [k["AttributeName"] for k in index.schema]
            partition = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            items = [item for item in items if all(attr in item.attrs for attr in schema)]
            name = f"{table.name}.{index.name}"
            project = index.project  # an index holds only its projected attributes
        pins = {partition: partiql.pinned(parsed.where, partition)}
    elif parsed.verb in ("UPDATE", "DELETE"):
        keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        pins = {key: partiql.pinned(parsed.where, key) for key in keys}
    else:  # INSERT reads nothing
        return {table.name: []}
    wanted = {key: None if found is None else [_resolve(lit, params) for lit in found] for key, found in pins.items()}
    values = wanted.get(table.hash_key_attr)
    if parsed.index is None and values is not None:
        items = _partitions(table, values)  # the pinned partitions, not a sort of the whole table
    chosen = [item for item in items if all(
        values is None or any(item.attrs.get(key) == value for value in values) for key, values in wanted.items())]
    if project is not None:
        chosen = [project(item) for item in chosen]
    return {name: [_case_exact(item.to_json()["Attributes"], parsed.names) for item in chosen]}


def _partitions(table: Table, values: Sequence[DynamoType | None]) -> list[Item]:
    """The items of the partitions ``values`` name (moto's layout: hash -> item, or hash -> range -> item)."""
    found: list[Item] = []
    for value in dict.fromkeys(v for v in values if v is not None):
        partition: Any = table.items.get(value)
        if partition is None:
            continue
        found.extend(partition.values() if table.range_key_attr else [partition])
    return found


def _resolve(literal: partiql.Lit, params: list[Any]) -> DynamoType | None:
    value = literal.value
    if isinstance(value, tuple):
        value = params[value[1]] if value[1] < len(params) else None
    return DynamoType(dict(value)) if isinstance(value, Mapping) else None


def _case_exact(document: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The document without attributes that moto's case-insensitive lookups would take for a
    named one (DynamoDB's attribute names are case-sensitive)."""
    lowered = {name.lower(): name for name in names}
    return {k: v for k, v in document.items() if lowered.get(k.lower(), k) == k}


# What moto may write ------------------------------------------------------------------------------


def _checked_writes(table: Table, parsed: partiql.Statement, params: list[Any],
                    updates_per_table: Mapping[str, list[tuple[Any, Any]]]) -> list[tuple[Any, Any]]:
    writes: list[tuple[Any, Any]] = []
    for name, updates in updates_per_table.items():
        if updates and (name != table.name or parsed.verb == "SELECT"):
            raise MockValidationException(NOT_IN_SCOPE)
        writes.extend(updates)
    keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    for before, after in writes:
        if parsed.verb == "INSERT":
            if before is not None or after is None or not _is_parsed_item(after, parsed, params):
                raise MockValidationException(NOT_IN_SCOPE)
        elif parsed.verb == "DELETE":
            if after is not None:
                raise MockValidationException(NOT_IN_SCOPE)
        elif parsed.verb == "UPDATE":
            if before is None or after is None:
                raise MockValidationException(NOT_IN_SCOPE)
            for key in keys:
                if after.get(key) != before.get(key):
                    raise MockValidationException(KEY_UPDATE.format(name=key))
            changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
            if not changed <= parsed.names:
                raise MockValidationException(NOT_IN_SCOPE)
        else:
            raise MockValidationException(NOT_IN_SCOPE)
    return writes


def _is_parsed_item(after: Mapping[str, Any], parsed: partiql.Statement, params: list[Any]) -> bool:
    """``after`` holds the attributes of the INSERT's item as we parsed it, with its key values."""
    item = partiql.inserted_item(parsed.item, params)
    if set(after) != set(item):
        return False
    for name, literal in item.items():
        if isinstance(literal, partiql.Lit) and isinstance(literal.value, (Mapping, tuple)):
            expected = _resolve(literal, params)
            if expected is None or DynamoType(after[name]) != expected:
                return False
    return True
