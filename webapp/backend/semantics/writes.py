"""Conditional writes: PutItem, UpdateItem, DeleteItem and TransactWriteItems decided as DynamoDB
decides them.

The condition (``ConditionExpression``, or the legacy ``Expected`` with ``ConditionalOperator``)
is evaluated here against the item as stored (``conditions.py``); moto is handed the write
without it when it holds, so moto's own evaluator - which lets ``a = :v`` across types, two
missing attributes compared with ``=``, ``Expected`` ``NULL``/``Exists: false`` (and DeleteItem's
``Expected`` altogether) pass - never decides. When it does not hold the write is refused with
``ConditionalCheckFailedException`` ("The conditional request failed"; API Reference, PutItem,
"Errors"), carrying the item when ``ReturnValuesOnConditionCheckFailure`` is ``ALL_OLD``.

In a transaction every condition is decided first; moto then gets the passing members without
their conditions and each failing one with a condition that cannot hold, so that it still
cancels the whole transaction with its ``CancellationReasons`` in member order (API Reference,
TransactWriteItems) and its own checks (one operation per item, validation) keep their order.

Runs inside the backend's call, under whatever lock serialises writes to the item, so the read
and the write it decides are one step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Protocol

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBError, DynamoDBValidationException
from webapp.backend.semantics import arithmetic, conditions, transactions, updates
from webapp.backend.semantics.placeholders import without

Item = Mapping[str, Any]
Forward = Callable[[str, Mapping[str, Any]], dict[str, Any]]

CONDITION_MEMBERS = ("ConditionExpression", "Expected", "ConditionalOperator")
#: A condition moto's evaluator finds false for any item (used for a failing transaction member).
NEVER = "attribute_exists(#semanticsNever) AND attribute_not_exists(#semanticsNever)"


class Storage(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None:
        """The table's (or index's) key attribute names, hash first; ``None`` if no such table."""

    def current_item(self, table: str, key: Mapping[str, Any]) -> Item | None:
        """The stored item with this primary key, in wire form; ``None`` when absent."""

    def local_index_projection(self, table: str, index: str) -> str | None:
        """A local secondary index's ``ProjectionType``; ``None`` if ``index`` is no LSI of it."""

    def index_names(self, table: str) -> tuple[str, ...]:
        """The names of the table's secondary indexes."""

    def attribute_type(self, table: str, name: str) -> str | None:
        """The type the table's ``AttributeDefinitions`` give ``name``, if any."""


class ConditionalCheckFailed(DynamoDBError):
    code = "ConditionalCheckFailedException"
    status = 400

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("The conditional request failed", extra={"Item": dict(item)} if item else None)


def condition_of(params: Mapping[str, Any]) -> conditions.Condition | None:
    """The write's condition; ``None`` when it has none or one this layer leaves to the engine
    (both styles at once, which validation refuses)."""
    has_expression = "ConditionExpression" in params
    has_legacy = "Expected" in params
    if has_expression and has_legacy:
        return None
    if has_expression:
        return conditions.from_expression("ConditionExpression", str(params["ConditionExpression"]),
                                          params.get("ExpressionAttributeNames"),
                                          params.get("ExpressionAttributeValues"))
    if has_legacy and isinstance(params["Expected"], Mapping):
        return conditions.from_legacy(params["Expected"], params.get("ConditionalOperator"), expected=True)
    return None


def primary_key(storage: Storage, operation: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item's primary key when it is well formed (exactly the key attributes, each a
    string, number or binary); ``None`` leaves the request to the engine's own errors."""
    table = params.get("TableName")
    names = storage.key_names(table) if isinstance(table, str) else None
    if names is None:
        return None
    source = params.get("Item") if operation == "Put" or operation == "PutItem" else params.get("Key")
    if not isinstance(source, Mapping):
        return None
    key = {name: source.get(name) for name in names}
    if operation not in ("Put", "PutItem") and set(source) != set(names):
        return None
    for value in key.values():
        if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in ("S", "N", "B"):
            return None
    return key


def decide(storage: Storage, operation: str, params: Mapping[str, Any]) -> tuple[bool, Item | None] | None:
    """Whether the write's condition holds, and the stored item; ``None`` when there is nothing
    for this layer to decide."""
    try:
        condition = condition_of(params)
    except DynamoDBValidationException:
        raise  # DynamoDB's own answer about the legacy parameters
    except (ValidationException, ValueError, KeyError, IndexError, TypeError):
        return None  # the endpoint's checks or moto's report it
    if condition is None:
        return None
    key = primary_key(storage, operation, params)
    if key is None:
        return None
    current = storage.current_item(str(params["TableName"]), key)
    return condition(current), current


def conditional_write(storage: Storage, operation: str, params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    decided = decide(storage, operation, params)
    if decided is None:
        plain = operation == "UpdateItem" and "Expected" not in params
        return forward(operation, legacy_updates(params) if plain else params)
    holds, current = decided
    if not holds:
        wanted = params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        raise ConditionalCheckFailed(current if wanted else None)
    bare = without(params, CONDITION_MEMBERS, ("UpdateExpression",))
    return forward(operation, legacy_updates(bare) if operation == "UpdateItem" else bare)


_MEMBER_KINDS = ("Put", "Update", "Delete", "ConditionCheck")


def _same(item: Item | None) -> Item | None:
    return item


def transact_write(storage: Storage, params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    entries = params.get("TransactItems")
    if not isinstance(entries, list):
        return forward("TransactWriteItems", params)
    transactions.check_payload(entries)
    transactions.check_empty_index_keys(storage, entries)
    transactions.check_member_keys(storage, entries)
    rewritten: list[Any] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or len(entry) != 1:
            rewritten.append(entry)
            continue
        member_kind, member = next(iter(entry.items()))
        if member_kind == "Update" and isinstance(member, Mapping):
            member_key = primary_key(storage, "Update", member)
            old: Item | None = None
            if member_key is not None:
                old = storage.current_item(str(member["TableName"]), member_key)
                try:  # what the item cannot take cancels the transaction (API Reference,
                    # TransactionCanceledException: "a similar validation error occurs because of
                    # changes made by the transaction")
                    updates.check(storage, str(member["TableName"]), member, old)
                except DynamoDBValidationException as error:
                    raise transactions.cancelled(len(entries), position, error.message) from None
                arithmetic.check_update(member, partial(_same, old))
            expression = member.get("UpdateExpression")
            if old is None and member_key is not None and isinstance(expression, str) \
                    and not _CREATING_SECTION.search(expression):
                # Only removes from an item that does not exist: nothing to edit and nothing is
                # created, as by UpdateItem; the member still checks its condition.
                member_kind, member = "ConditionCheck", _nothing_to_update(storage, member)
            else:
                member = _update_as_moto_runs_it(storage, member, old)
            entry = {member_kind: member}
        if member_kind not in _MEMBER_KINDS or not isinstance(member, Mapping) or "ConditionExpression" not in member:
            rewritten.append(entry)
            continue
        decided = decide(storage, member_kind, member)
        if decided is None:
            rewritten.append(entry)
            continue
        holds, _current = decided
        bare = without(member, ("ConditionExpression",), ("UpdateExpression",))
        if not holds:
            names = dict(bare.get("ExpressionAttributeNames") or {})
            names["#semanticsNever"] = str(storage.key_names(str(member["TableName"]))[0])  # type: ignore[index]
            bare = {**bare, "ConditionExpression": NEVER, "ExpressionAttributeNames": names}
        rewritten.append({member_kind: bare})
    with updates.engine_errors(legacy=False):
        return forward("TransactWriteItems", {**params, "TransactItems": rewritten})


def _nothing_to_update(storage: Storage, member: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction's ``Update`` of a missing item that only removes, as the ``ConditionCheck``
    it amounts to (its own condition, or one that holds for a missing item)."""
    check = without(member, ("UpdateExpression",), ("ConditionExpression",))
    if "ConditionExpression" in check:
        return check
    names = dict(check.get("ExpressionAttributeNames") or {})
    names["#semanticsAbsent"] = str((storage.key_names(str(member["TableName"])) or ("",))[0])
    return {**check, "ConditionExpression": "attribute_not_exists(#semanticsAbsent)", "ExpressionAttributeNames": names}


# Legacy AttributeUpdates ------------------------------------------------------------------------


def legacy_updates(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``AttributeUpdates`` as the equivalent ``UpdateExpression`` (API Reference, UpdateItem,
    ``AttributeValueUpdate``): ``PUT`` is ``SET``, ``DELETE`` without a value is ``REMOVE`` and
    with a set is ``DELETE``, ``ADD`` of a number or set is ``ADD`` and of a list appends to it.
    moto's own path turns a PUT of a binary, boolean or binary set into a *string* holding
    Python bytes (which then fails to serialise) and a PUT of ``NULL`` into a removal.

    Left unchanged when malformed (validation reports it) or mixed with expression members."""
    updates = params.get("AttributeUpdates")
    if not isinstance(updates, Mapping) or not updates or "UpdateExpression" in params \
            or "ExpressionAttributeNames" in params or "ExpressionAttributeValues" in params:
        return params
    sections: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for index, (attribute, update) in enumerate(updates.items()):
        if not isinstance(update, Mapping):
            return params
        name, placeholder = f"#u{index}", f":u{index}"
        names[name] = str(attribute)
        action = update.get("Action", "PUT")
        value = update.get("Value")
        value_kind = next(iter(value)) if isinstance(value, Mapping) and len(value) == 1 else None
        if action == "PUT" and value_kind is not None:
            sections["SET"].append(f"{name} = {placeholder}")
        elif action == "DELETE" and value is None:
            sections["REMOVE"].append(name)
        elif action == "DELETE" and value_kind in ("SS", "NS", "BS"):
            sections["DELETE"].append(f"{name} {placeholder}")
        elif action == "ADD" and value_kind in ("N", "SS", "NS", "BS"):
            sections["ADD"].append(f"{name} {placeholder}")
        elif action == "ADD" and value_kind == "L":
            values[f":e{index}"] = {"L": []}
            sections["SET"].append(f"{name} = list_append(if_not_exists({name}, :e{index}), {placeholder})")
        else:
            return params
        if value is not None:
            values[placeholder] = value
    expression = " ".join(f"{section} {', '.join(actions)}" for section, actions in sections.items() if actions)
    out = {k: v for k, v in params.items() if k != "AttributeUpdates"}
    out["UpdateExpression"] = expression
    out["ExpressionAttributeNames"] = names
    if values:
        out["ExpressionAttributeValues"] = values
    return out


# UpdateItem -------------------------------------------------------------------------------------


def _update_as_moto_runs_it(storage: Storage, member: Mapping[str, Any], old: Item | None) -> Mapping[str, Any]:
    """A transaction's ``Update`` with the same rewrites as UpdateItem (``old`` is the stored
    item): the expression as moto evaluates it (``updates.render``), key attributes read by
    ``SET`` become values, ``SET`` runs first."""
    expression = member.get("UpdateExpression")
    key = primary_key(storage, "Update", member)
    if not isinstance(expression, str) or key is None:
        return member
    names = dict(member.get("ExpressionAttributeNames") or {})
    rendered = updates.render(expression, old, names)
    rewritten, key_values = key_reads_as_values(rendered, names, key)
    out = dict(member)
    if key_values or rendered != expression:
        out["ExpressionAttributeValues"] = {**dict(member.get("ExpressionAttributeValues") or {}), **key_values}
        out = without({**out, "UpdateExpression": rewritten}, (), ("UpdateExpression", "ConditionExpression"))
    out["UpdateExpression"] = sets_first(str(out["UpdateExpression"]))
    return out

_CREATING_SECTION = re.compile(r"(?<![#:\w])(SET|ADD)(?!\w)", re.IGNORECASE)


def update_item(storage: Storage, params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """UpdateItem: the key checked against the schema first, the engine's type errors in
    DynamoDB's words (``updates.engine_errors``), then :func:`_update_item`."""
    check_key(storage, params)
    with updates.engine_errors(legacy="AttributeUpdates" in params):
        return _update_item(storage, params, forward)


def _update_item(storage: Storage, params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """UpdateItem as the API Reference describes it: "Edits an existing item's attributes, or
    adds a new item to the table if it does not already exist", and

    * a request with only a ``Key`` creates the item with just its key (moto crashes);
    * an update of a missing item that only removes (``REMOVE``, ``DELETE`` from a set, legacy
      ``DELETE``) has nothing to edit and creates nothing (moto creates an empty item);
    * ``ReturnValues`` (API Reference, UpdateItem): ``ALL_OLD``/``ALL_NEW`` the whole item before
      or after, if there is one; ``UPDATED_OLD``/``UPDATED_NEW`` only the paths the update wrote
      (``a.b``, not all of ``a``), as they were before or are after - also when the value did not
      change; no ``Attributes`` member when there is nothing to return.
    """
    decided = decide(storage, "UpdateItem", params)
    if decided is not None and not decided[0]:
        wanted = params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
        raise ConditionalCheckFailed(decided[1] if wanted else None)
    bare = without(params, CONDITION_MEMBERS, ("UpdateExpression",)) if decided is not None else params
    if "Expected" not in bare:
        bare = legacy_updates(bare)
    key = primary_key(storage, "UpdateItem", bare)
    return_values = bare.get("ReturnValues", "NONE")
    if key is None or "Expected" in bare or "ConditionExpression" in bare or return_values not in _RETURN_VALUES:
        if key is not None:
            arithmetic.check_update(bare, partial(storage.current_item, str(bare["TableName"]), key))
        return forward("UpdateItem", bare)  # left to the engine's own checks and errors
    table = str(bare["TableName"])
    old = storage.current_item(table, key)
    updates.check(storage, table, bare, old)
    arithmetic.check_update(bare, lambda: old)
    expression = bare.get("UpdateExpression")
    request = {k: v for k, v in bare.items() if k != "ReturnValues"}
    if isinstance(expression, str):
        names = dict(bare.get("ExpressionAttributeNames") or {})
        rendered = updates.render(expression, old, names)
        rewritten, key_values = key_reads_as_values(rendered, names, key)
        if key_values or rendered != expression:  # placeholders only a decided branch held go too
            request["ExpressionAttributeValues"] = {**dict(bare.get("ExpressionAttributeValues") or {}), **key_values}
            request = without({**request, "UpdateExpression": rewritten}, (), ("UpdateExpression",))
        request["UpdateExpression"] = sets_first(rewritten)
    if not isinstance(expression, str) and "AttributeUpdates" not in bare:
        response: dict[str, Any] = {}
        if old is None:
            put = {k: v for k, v in bare.items() if k in ("TableName", "ReturnConsumedCapacity")}
            response = forward("PutItem", {**put, "Item": key})
    elif old is None and isinstance(expression, str) and not _CREATING_SECTION.search(expression):
        response = {}
    else:
        response = forward("UpdateItem", request)
    response.pop("Attributes", None)
    new = storage.current_item(table, key)
    attributes = _returned(return_values, old, new, bare)
    if attributes:
        response["Attributes"] = attributes
    return response


_RETURN_VALUES = frozenset({"NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"})


def _returned(mode: str, old: Item | None, new: Item | None, params: Mapping[str, Any]) -> dict[str, Any] | None:
    from webapp.backend.semantics.reads import project

    if mode == "ALL_OLD":
        return dict(old) if old else None
    if mode == "ALL_NEW":
        return dict(new) if new else None
    if mode not in ("UPDATED_OLD", "UPDATED_NEW"):
        return None
    expression = params.get("UpdateExpression")
    if not isinstance(expression, str):
        return None
    targets = ex.parse("UpdateExpression", expression).targets
    source = old if mode == "UPDATED_OLD" else new
    return project(source, targets, dict(params.get("ExpressionAttributeNames") or {})) if source else None


_SECTIONS = frozenset({"SET", "REMOVE", "ADD", "DELETE"})


def sets_first(expression: str) -> str:
    """The same update with its ``SET`` section first.

    Every path of an update expression names the item as it was *before* the update (Developer
    Guide, "Update expressions": ``REMOVE a[1] SET a[3] = :v`` replaces the element that was at
    index 3); moto runs the sections in the order written, so a ``REMOVE`` of a list element
    shifts the indices a later ``SET`` uses, and a removed attribute is gone for a ``SET`` that
    reads it. Setting first and removing after gives DynamoDB's result (paths of one update
    never overlap, which validation checks)."""
    try:
        tokens = ex.tokenize("UpdateExpression", expression)
    except ValidationException:
        return expression
    starts = [t.start for t in tokens if t.kind == "name" and t.text.upper() in _SECTIONS]
    if len(starts) < 2 or not starts or starts[0] != tokens[0].start:
        return expression
    bounds = [*starts, len(expression)]
    sections = [expression[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    ordered = sorted(sections, key=lambda section: not section.upper().startswith("SET"))
    return " ".join(ordered)


def key_reads_as_values(expression: str, names: Mapping[str, str], key: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``SET b = if_not_exists(b, a)`` where ``a`` is a key attribute: DynamoDB reads the key
    like any attribute (only *writing* a key attribute is refused), moto refuses the whole
    update ("Cannot update attribute a. This attribute is part of the key"). A key attribute
    read on the right of a ``SET`` action is replaced by its value, which the request's ``Key``
    holds. Returns the expression and the values to add."""
    try:
        tokens = ex.tokenize("UpdateExpression", expression)
    except ValidationException:
        return expression, {}
    added: dict[str, Any] = {}
    pieces: list[str] = []
    cursor = 0
    section = ""
    right_side = False
    depth = 0
    for position, token in enumerate(tokens):
        upper = token.text.upper() if token.kind == "name" else ""
        if upper in _SECTIONS:
            section, right_side = upper, False
            continue
        if token.kind == "op":
            if token.text == "=" and section == "SET" and depth == 0:
                right_side = True
            elif token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
            elif token.text == "," and depth == 0:
                right_side = False
            continue
        if not (right_side and token.kind in ("name", "alias")):
            continue
        before = tokens[position - 1] if position else None
        after = tokens[position + 1]
        if (before is not None and before.kind == "op" and before.text == ".") or \
                (after.kind == "op" and after.text in (".", "[", "(")):
            continue
        if position >= 2 and tokens[position - 2].text == "if_not_exists" and before is not None \
                and before.text == "(":
            continue  # if_not_exists's first operand must stay a path
        name = names.get(token.text, "") if token.kind == "alias" else token.text
        if name not in key:
            continue
        placeholder = f":keyValue{len(added)}"
        added[placeholder] = key[name]
        pieces.append(expression[cursor:token.start] + placeholder)
        cursor = token.start + len(token.text)
    return "".join(pieces) + expression[cursor:], added


# Keys ---------------------------------------------------------------------------------------------


def check_key(storage: Storage, params: Mapping[str, Any]) -> None:
    """A ``Key`` naming the key attributes with another type than the schema's is refused as
    DynamoDB refuses it (API Reference, GetItem, "Errors"; the conformance row's source); moto
    answers it with no item. Anything else is left to the engine's own checks."""
    table, key = params.get("TableName"), params.get("Key")
    names = storage.key_names(table) if isinstance(table, str) else None
    if not names or not isinstance(key, Mapping) or set(key) != set(names):
        return
    for name in names:
        value = key[name]
        if not isinstance(value, Mapping) or len(value) != 1:
            return
        if next(iter(value)) != storage.attribute_type(str(table), name):
            raise DynamoDBValidationException("The provided key element does not match the schema")
