"""PartiQL runs only inside the scope IAM authorized, evaluated by the semantic layer.

IAM decides a PartiQL statement from our own parse of it (``iam_policies.dynamodb.partiql``):
its table or index, the partition values its WHERE clause pins (``dynamodb:LeadingKeys``,
``dynamodb:FullTableScan``), the attributes it names (``dynamodb:Attributes``). The statement
that runs is that same parse, never a re-reading of the text: moto's PartiQL engine
(py-partiql-parser) read another statement than DynamoDB would in many cases (seen with the
``Notes`` table of ``tests/functional/dynamodb/test_attacks_partiql.py``: a tab before the
``"owner"`` of ``WHERE`` returned every partition, ``' WHERE '`` inside a string literal split the
clause, ``UPDATE ... SET "owner" = 'bob'`` moved an item to bob's key, names matched
case-insensitively), and evaluated WHERE clauses wrongly (``webapp.backend.semantics.partiql``).

So the statement is evaluated here and in ``semantics.partiql``, on the only items IAM let it
reach: a SELECT reads the pinned partitions (all of them only for a full-table SELECT, which IAM
decided as such) of its table, or of its index with the index's projected attributes only; an
UPDATE or DELETE reads the one item its key equalities address; an INSERT writes the parsed item
and nothing else. moto is only the storage (``table.put_item`` / ``delete_item``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    DynamodbException,
    MockValidationException,
    TransactionCanceledException,
)
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from iam_policies.dynamodb import partiql
from iam_policies.dynamodb.keys import check_item
from iam_policies.errors import AwsError
from iam_policies.schema import TableSchema
from webapp.backend import query_pages
from webapp.backend.semantics import order, updates
from webapp.backend.semantics import partiql as evaluate
from webapp.backend.semantics.writes import ConditionalCheckFailed

EXISTS_OUTSIDE_TRANSACTION = ("Statement wasn't well formed, can't be processed: EXISTS is a condition check of "
                              "ExecuteTransaction")
DUPLICATE_ITEM = "Duplicate primary key exists in table"
NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: EXISTS needs a SELECT in parentheses"


class DuplicateItem(DynamodbException):
    """An INSERT of a key the table holds (DynamoDB DG, "PartiQL insert statements": "If the
    DynamoDB table already has an item with the same primary key ..., DuplicateItemException is
    returned"; moto replaced the item)."""

    def __init__(self) -> None:
        super().__init__(ERROR_TYPE_PREFIX + "DuplicateItemException", DUPLICATE_ITEM)


def execute(backend: Any, statement: str, parameters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """ExecuteStatement, confined to the statement's authorized scope."""
    if _condition_check(statement) is not None:
        raise MockValidationException(EXISTS_OUTSIDE_TRANSACTION)
    return _execute(backend, statement, parameters, None, evaluate.current_page())


def execute_transaction(backend: Any, statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """ExecuteTransaction with ``EXISTS(SELECT ...)`` condition checks: a check whose SELECT finds
    no item cancels the transaction with ``ConditionalCheckFailed`` at its place (DynamoDB DG,
    "PartiQL transactions"; the failed call's writes are undone by the caller's undo section,
    ``moto_models``). A reason carries the item when the statement asks ``ALL_OLD``."""
    for position, entry in enumerate(statements):
        _check_transaction_read(backend, position, entry["Statement"])
    responses: list[dict[str, Any]] = []
    reasons: list[tuple[str | None, str | None, Any]] = []
    for entry in statements:
        text, parameters = entry["Statement"], entry.get("Parameters", [])
        mode = entry.get("ReturnValuesOnConditionCheckFailure") or "NONE"
        check = _condition_check(text)
        if check is not None:
            found = _execute(backend, check, parameters, mode)
            reasons.append((None, None, None) if found else ("ConditionalCheckFailed", "The conditional request failed",
                                                              None))
            continue
        try:
            responses.extend({"Item": item} for item in _execute(backend, text, parameters, mode))
        except ConditionalCheckFailed as failed:
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", failed.extra.get("Item")))
        except DuplicateItem:
            reasons.append(("DuplicateItem", DUPLICATE_ITEM, None))
        else:
            reasons.append((None, None, None))
    if any(code for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    return responses


TRANSACTION_SELECT = "Select statements within ExecuteTransaction must specify the primary key in the where clause."
TRANSACTION_EXISTS = "EXISTS() must contain a single item read with additional condition"


def _check_transaction_read(backend: Any, position: int, text: str) -> None:
    """A read inside ExecuteTransaction reads one item: a SELECT names its whole key with
    equalities, and an ``EXISTS(SELECT ...)`` does too and adds a condition of its own
    (paritysuite/dynamodb-conformance tests/tier3/error-messages/partiqlFunctions.test.ts,
    captured against DynamoDB: "Validation failed in TransactStatements[0]: ...")."""
    check = _condition_check(text)
    parsed = partiql.parse(check if check is not None else text)
    if parsed.verb != "SELECT":
        return
    table: Table = backend.get_table(parsed.table)
    keys = _key_names(table)
    single = parsed.index is None and all(len(partiql.pinned(parsed.where, key) or ()) == 1 for key in keys)
    if check is None and not single:
        raise MockValidationException(f"Validation failed in TransactStatements[{position}]: {TRANSACTION_SELECT}")
    if check is not None and not (single and _has_more_than_keys(parsed.where, keys)):
        raise MockValidationException(f"Validation failed in TransactStatements[{position}]: {TRANSACTION_EXISTS}")


def _has_more_than_keys(where: Any, keys: Sequence[str]) -> bool:
    """The WHERE clause holds a condition besides the key equalities."""
    terms = where.args if isinstance(where, partiql.Node) and where.op == "AND" else (where,)
    return any(not (isinstance(term, partiql.Node) and term.op == "=" and
                    any(isinstance(side, partiql.Ref) and not side.nested and side.name in keys for side in term.args))
               for term in terms)


#: DynamoDB's BatchStatementError codes (botocore model, ``BatchStatementErrorCodeEnum``) by the
#: exception a statement failed with.
_BATCH_CODES = {"ValidationException": "ValidationError", "ConditionalCheckFailedException": "ConditionalCheckFailed",
                "DuplicateItemException": "DuplicateItem", "ResourceNotFoundException": "ResourceNotFound"}
BATCH_SELECT_KEYS = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."


def batch_execute_statement(backend: Any, statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """BatchExecuteStatement, each statement run in its scope like ``execute``; a statement that
    fails gets its error in its place (DynamoDB DG, "Running batch operations with PartiQL";
    ``BatchStatementError`` carries ``Item`` when the statement asks ``ALL_OLD``), the others
    still run."""
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
            if _condition_check(text) is not None:
                raise MockValidationException(EXISTS_OUTSIDE_TRANSACTION)
            items = _execute(backend, text, parameters, entry.get("ReturnValuesOnConditionCheckFailure") or "NONE")
        except DynamodbException as error:
            code = error.error_type.rsplit("#", 1)[-1]
            responses.append({"Error": {"Code": _BATCH_CODES.get(code, code), "Message": error.message}})
            continue
        except AwsError as error:
            failure: dict[str, Any] = {"Code": _BATCH_CODES.get(error.code, error.code), "Message": error.message}
            if isinstance(error, ConditionalCheckFailed) and "Item" in error.extra:
                failure["Item"] = error.extra["Item"]
            responses.append({"Error": failure})
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
        raise MockValidationException(NOT_WELL_FORMED)
    return inner[1:-1].strip()


def _execute(backend: Any, statement: str, parameters: Sequence[dict[str, Any]],
             on_failure: str | None, page: evaluate.Page | None = None) -> list[dict[str, Any]]:
    """One statement: its rows (SELECT, RETURNING) after its writes; ``on_failure`` is the
    statement's ``ReturnValuesOnConditionCheckFailure`` (``None``: the ExecuteStatement call's)."""
    parsed = partiql.parse(statement)
    params = list(parameters)
    condition = evaluate.where(parsed, params)  # its operand checks come before the table lookup
    evaluate.check_literals(parsed, params)
    table: Table = backend.get_table(parsed.table)  # ResourceNotFoundException when there is none
    if parsed.verb == "SELECT":
        items = _selected(table, parsed, params)
        if page is not None and (page.limit is not None or page.token is not None):
            items = _page(table, parsed, statement, items, page)
        return [evaluate.project(parsed, item) for item in items if evaluate.matches(condition, item)]
    if parsed.verb == "INSERT":
        item = evaluate.inserted(parsed, params)
        _check_key_types(table, item)
        _check_keys(table, item)
        if _stored(table, item) is not None:
            raise DuplicateItem()
        table.put_item(item)
        return []
    keys = _key_names(table)
    pins = {key: partiql.pinned(parsed.where, key) for key in keys}
    address = {key: evaluate.constant(found[0], params) for key, found in pins.items() if found}
    if set(address) != set(keys) or any(value is None for value in address.values()):
        raise MockValidationException("Where clause does not contain a mandatory equality on all key attributes")
    old = _stored(table, address)
    if parsed.verb == "DELETE":
        # "If the DynamoDB table does not have any item with the same primary key ..., SUCCESS is
        # returned with 0 items deleted. If the table has an item with same primary key, but the
        # condition in the WHERE clause ... evaluates to false, ConditionalCheckFailedException"
        # (DG, "PartiQL delete statements")
        if old is None:
            return []
        if not evaluate.matches(condition, old):
            raise ConditionalCheckFailed(old if evaluate.wants_old_item(on_failure) else None)
        table.delete_item(DynamoType(old[table.hash_key_attr]),
                          DynamoType(old[table.range_key_attr]) if table.range_key_attr else None)
        return _returned(parsed.returning, old, None)
    # UPDATE: "If the WHERE clause of the UPDATE statement does not evaluate to true for any item
    # in the DynamoDB table, ConditionalCheckFailedException is returned" (DG, "PartiQL update
    # statements"): no upsert (nubo-db/dynoxide#150, checked against DynamoDB)
    if old is None or not evaluate.matches(condition, old):
        raise ConditionalCheckFailed(old if old is not None and evaluate.wants_old_item(on_failure) else None)
    new = evaluate.updated(parsed, old, params, keys)
    _check_keys(table, {name: value for name, value in new.items() if name in keys or value != old.get(name)},
                update=True)
    table.put_item(new)
    return _returned(parsed.returning, old, new)


def _page(table: Table, parsed: partiql.Statement, statement: str, items: list[dict[str, Any]],
          page: evaluate.Page) -> list[dict[str, Any]]:
    """The items ExecuteStatement evaluates in this call: from ``NextToken``, at most ``Limit``,
    noting where the next call continues (``evaluate.Page``)."""
    names = _key_names(table)
    if parsed.index is not None:
        index = next((i for i in table.all_indexes() if i.name == parsed.index), None)
        names = names + [k["AttributeName"] for k in (index.schema if index is not None else ())
                         if k["AttributeName"] not in names]
    keys = [{name: item[name] for name in names if name in item} for item in items]
    start = evaluate.resume_at(statement, page.token, keys) if page.token is not None else 0
    end = len(items) if page.limit is None else min(len(items), start + page.limit)
    if end < len(items):
        page.last_key = keys[end - 1]
        page.next_token = evaluate.page_token(statement, keys[end - 1], end)
    return items[start:end]


def _returned(returning: str | None, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What ``RETURNING ALL|MODIFIED OLD|NEW *`` gives for the statement's written item
    (DynamoDB DG, "PartiQL update statements": the item's attributes before or after, all of them
    or those the statement changed); nothing without the clause."""
    if returning is None:
        return []
    before, after = old or {}, new or {}
    changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    chosen = before if returning.endswith("OLD") else after
    answer = dict(chosen) if returning.startswith("ALL") else {n: v for n, v in chosen.items() if n in changed}
    return [answer] if answer else []


# The scope a statement may see --------------------------------------------------------------------


def _key_names(table: Table) -> list[str]:
    return [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])


def _stored(table: Table, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored item with the key attributes of ``key``, in wire form."""
    try:
        found = table.get_item(DynamoType(dict(key[table.hash_key_attr])),
                               DynamoType(dict(key[table.range_key_attr])) if table.range_key_attr else None)
    except (KeyError, TypeError, ValueError):
        return None
    return None if found is None else dict(found.to_json()["Attributes"])


def _check_key_types(table: Table, item: Mapping[str, Any]) -> None:
    """An INSERT's key values must have the table's key types (as PutItem's: API Reference)."""
    types = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
    for name in _key_names(table):
        value = item.get(name)
        actual = next(iter(value), None) if isinstance(value, Mapping) else None
        if actual != types.get(name):
            raise MockValidationException(
                f"One or more parameter values were invalid: Type mismatch for key {name} expected: {types.get(name)} "
                f"actual: {actual}")


def _check_keys(table: Table, item: Mapping[str, Any], *, update: bool = False) -> None:
    """PutItem's key rules for what a statement writes (``keys.check_item``, dynalite's texts
    recorded against DynamoDB): no empty key value, an index key of its declared type and not
    empty. ``item``: the whole INSERT, or an UPDATE's keys and the attributes it changed (one it
    leaves as it was is not checked again), whose empty index key has UpdateItem's text
    (``updates.EMPTY_INDEX_KEY``)."""
    schema = TableSchema.from_description(table.describe(base_key="Table")["Table"])
    if update:
        for index in sorted(schema.indexes.values(), key=lambda index: index.name):
            for name in (index.partition_key, index.sort_key):
                kind = schema.attribute_types.get(name) if name is not None else None
                value = item.get(name) if name is not None else None
                word = updates.empty_index_value(value, kind) if kind is not None else None
                if word is not None:
                    raise MockValidationException(updates.EMPTY_INDEX_KEY.format(word))
    try:
        check_item(item, schema)
    except AwsError as error:
        raise MockValidationException(error.message) from None


def _selected(table: Table, parsed: partiql.Statement, params: list[Any]) -> list[dict[str, Any]]:
    """The items a SELECT may read, in the order DynamoDB reads them: the pinned partitions (a
    Query each: by sort key, ``ORDER BY ... DESC`` reversed) or the whole table or index (a Scan)."""
    items: Iterable[Item]
    partition, sort = table.hash_key_attr, table.range_key_attr
    project: Any = None
    if parsed.index is not None:
        index = next((i for i in table.all_indexes() if i.name == parsed.index), None)
        if index is None:
            raise MockValidationException("The table does not have the specified index")
        schema = {k["KeyType"]: k["AttributeName"] for k in index.schema}
        partition, sort = schema["HASH"], schema.get("RANGE")
        wanted = query_pages.IndexGroups.wanted(table, index)
        # the items the index holds: its keys present, of their declared types, not empty
        items = [item for item in table.all_items() if query_pages.holds(wanted, item)]
        project = index.project  # an index holds only its projected attributes
    else:
        items = table.all_items()
    found = partiql.pinned(parsed.where, partition)
    if found is not None:
        wanted = [evaluate.constant(literal, params) for literal in found]
        values = _distinct(wanted)
        if parsed.index is None:
            items = _partitions(table, values)  # the pinned partitions, not a sort of the whole table
        else:
            items = [item for item in items if item.attrs.get(partition) in values]
        if sort is not None:
            items = sorted(items, key=lambda item: _sort_key(item, partition, sort, values))
        if any(descending for _, descending in parsed.order):
            items = list(reversed(list(items)))
    chosen = [project(item) if project is not None else item for item in items]
    return [dict(item.to_json()["Attributes"]) for item in chosen]


def _distinct(values: Sequence[Any]) -> list[DynamoType]:
    found: list[DynamoType] = []
    for value in values:
        if isinstance(value, Mapping) and set(value) & {"S", "N", "B"}:
            typed = DynamoType(dict(value))
            if typed not in found:
                found.append(typed)
    return found


def _sort_key(item: Item, partition: str, sort: str, values: Sequence[DynamoType]) -> tuple[Any, ...]:
    value = item.attrs.get(sort)
    where = values.index(item.attrs[partition]) if item.attrs.get(partition) in values else len(values)
    if value is None:
        return (where, b"")
    return (where, order.sortable(value.type, value.value))


def _partitions(table: Table, values: Sequence[DynamoType]) -> list[Item]:
    """The items of the partitions ``values`` name (moto's layout: hash -> item, or hash -> range -> item)."""
    found: list[Item] = []
    for value in values:
        partition: Any = table.items.get(value)
        if partition is None:
            continue
        found.extend(partition.values() if table.range_key_attr else [partition])
    return found
