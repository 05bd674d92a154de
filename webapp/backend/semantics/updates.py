"""What DynamoDB refuses of an UpdateItem once it has the table and the item, before it writes.

Validation (``webapp.dynamodb.validation.expressions``) has already refused what the request
alone decides; these checks need the key schema, the indexes and the stored item, and run in
DynamoDB's order (dynalite test/updateItem.js, recorded against DynamoDB):

1. an update that writes a key attribute is left to the engine ("Cannot update attribute a.
   This attribute is part of the key", which moto words as DynamoDB does);
2. an index key given a value of another type than its definition: ``One or more parameter
   values were invalid: Type mismatch for Index Key c Expected: S Actual: N IndexName: ...``
   when the type is the request's own (a value, a sum, an ``ADD``), and ``The update expression
   attempted to update the secondary index key to unsupported type`` when it is read from the
   item (``SET c = e``);
3. a path into an index key (``d.b``, ``d[1]``), read or written: ``Key attributes must be
   scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: d``;
4. a nested path whose parent is missing or of another kind (``b.a`` where ``b`` is a string,
   ``c[1]`` where ``c`` is a map, anything nested in an item that does not exist): ``The document
   path provided in the update expression is invalid for update`` - moto wrote some of these
   (``SET b.a`` on a string, ``ADD d.x`` into a list) and crashed on others (``REMOVE b.a``).
   A ``REMOVE`` of a nested path from an item that does not exist is the exception: DynamoDB
   accepts it and writes nothing (ScyllaDB Alternator's test_update_expression.py
   ``test_nested_attribute_remove_from_missing_item``, checked against DynamoDB).

The engine's own type errors are worded as DynamoDB words them (:func:`engine_errors`), and the
expression is handed to it without the parentheses it cannot evaluate (:func:`render`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException

Item = Mapping[str, Any]

INVALID_PATH = "The document path provided in the update expression is invalid for update"
OPERAND_TYPE = "An operand in the update expression has an incorrect data type"
LEGACY_TYPE = "Type mismatch for attribute to update"
INDEX_TYPE = "The update expression attempted to update the secondary index key to unsupported type"


class Schema(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...

    def index_names(self, table: str) -> tuple[str, ...]: ...

    def attribute_type(self, table: str, name: str) -> str | None: ...


def check(storage: Schema, table: str, params: Mapping[str, Any], old: Item | None) -> None:
    """Raise DynamoDB's ValidationException for what the update cannot do to this item."""
    text = params.get("UpdateExpression")
    if not isinstance(text, str):
        return
    try:
        parsed = ex.parse("UpdateExpression", text)
    except ValidationException:
        return  # validation answered this already
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}

    def resolve(path: ex.Path) -> tuple[str | int, ...]:
        return tuple(e if isinstance(e, int) else str(names.get(e, e)) if e.startswith("#") else e for e in path)

    keys = set(storage.key_names(table) or ())
    if any(resolve(action.target)[0] in keys for action in parsed.actions):
        return  # the engine refuses writing a key attribute, in DynamoDB's words
    index_keys: set[str] = set()
    written = {resolve(action.target): action for action in parsed.actions}
    for index in sorted(storage.index_names(table)):  # each index's keys in schema order, hash first; DynamoDB
        # names the alphabetically first index an attribute keys (paritysuite, transactWriteItemsIndexes.test.ts)
        for name in storage.key_names(table, index) or ():
            index_keys.add(name)
            action = written.get((name,))
            defined = storage.attribute_type(table, name)
            if action is None or defined is None:
                continue
            given = _static_type(action, values)
            if given is not None and given != defined:
                raise DynamoDBValidationException(
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{name} Expected: {defined} Actual: {given} IndexName: {index}")
            if given == defined and isinstance(action.value, ex.ValueOperand):
                _not_empty(values.get(action.value.placeholder), defined, index, name)
            if action.section == "SET" and isinstance(action.value, ex.PathOperand):
                found = _at(old, resolve(action.value.path))
                if found is not None and next(iter(found), None) != defined:
                    raise DynamoDBValidationException(INDEX_TYPE)
    for path in parsed.paths:
        resolved = resolve(path)
        if len(resolved) > 1 and resolved[0] in index_keys:
            raise DynamoDBValidationException("Key attributes must be scalars; list random access '[]' and map lookup "
                                              f"'.' are not allowed: IndexKey: {resolved[0]}")
    for action in parsed.actions:
        target = resolve(action.target)
        if action.section == "REMOVE" and old is None:
            continue  # nothing to remove from an item that does not exist: DynamoDB accepts it
        if len(target) > 1 and not _has_parent(old, target):
            raise DynamoDBValidationException(INVALID_PATH)


#: An update that sets an index key empty (paritysuite/dynamodb-conformance tests/tier3/
#: error-messages/transactWriteItemsIndexes.test.ts, captured in eu-west-2 for a transaction's
#: Update; nubo-db/dynoxide words UpdateItem's the same): it names neither the index nor the key.
EMPTY_INDEX_KEY = ("One or more parameter values are not valid. The update expression attempted to update a secondary "
                   "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain "
                   "an empty {} value.")


def empty_index_value(value: Any, kind: str) -> str | None:
    """``string`` or ``binary`` when ``value`` is an empty value of the index key's type."""
    word = {"S": "string", "B": "binary"}.get(kind)
    return word if word is not None and isinstance(value, Mapping) and value.get(kind) == "" else None


def _not_empty(value: Any, kind: str, index: str, name: str) -> None:
    """An index key may be removed but not set empty (scylladb test/alternator/test_gsi.py
    test_gsi_empty_value, UpdateItem with ``AttributeUpdates``, run against DynamoDB, which pins
    the code and the word "empty"; the text is :data:`EMPTY_INDEX_KEY`)."""
    word = empty_index_value(value, kind)
    if word is not None:
        raise DynamoDBValidationException(EMPTY_INDEX_KEY.format(word))


def _static_type(action: ex.Action, values: Mapping[str, Any]) -> str | None:
    """The type of what the action writes when the request alone decides it."""
    node = action.value
    if isinstance(node, ex.ValueOperand):
        value = values.get(node.placeholder)
        return next(iter(value), None) if isinstance(value, Mapping) and len(value) == 1 else None
    if isinstance(node, ex.Arith):
        return "N"
    if isinstance(node, ex.Call) and node.name == "list_append":
        return "L"
    return None


def _at(item: Item | None, path: tuple[str | int, ...]) -> Mapping[str, Any] | None:
    current: Any = {"M": item} if item is not None else None
    for element in path:
        if not isinstance(current, Mapping):
            return None
        if isinstance(element, int):
            inner = current.get("L")
            current = inner[element] if isinstance(inner, list) and element < len(inner) else None
        else:
            inner = current.get("M")
            current = inner.get(element) if isinstance(inner, Mapping) else None
    return current if isinstance(current, Mapping) else None


def _has_parent(item: Item | None, path: tuple[str | int, ...]) -> bool:
    """Whether the container ``path`` writes into exists and is a list (for an index) or a map."""
    parent = _at(item, path[:-1])
    return parent is not None and ("L" if isinstance(path[-1], int) else "M") in parent


# The engine -----------------------------------------------------------------------------------


@contextmanager
def engine_errors(legacy: bool) -> Iterator[None]:
    """moto's words for an operand of the wrong type at run time (``SET e = a + :n`` where ``a``
    holds a string) are validation's (``Invalid UpdateExpression: Incorrect operand type ...``);
    DynamoDB's are ``An operand in the update expression has an incorrect data type``, and for
    the legacy ``AttributeUpdates`` ``Type mismatch for attribute to update`` (dynalite
    test/updateItem.js)."""
    try:
        yield
    except DynamoDBValidationException as error:
        if error.message.startswith("Invalid UpdateExpression: Incorrect operand type") or \
                error.message == OPERAND_TYPE:
            raise DynamoDBValidationException(LEGACY_TYPE if legacy else OPERAND_TYPE) from None
        raise


def render(text: str, old: Item | None = None, names: Mapping[str, Any] | None = None) -> str:
    """The update expression as moto evaluates it: the same actions, without parentheses around
    operands (``SET b = ((c[1]) + (b.a))``, which moto's evaluator fails on), the elements of a
    list in index order (:func:`_list_elements_in_order`), and an ``if_not_exists`` whose
    fallback is itself a function call decided here against the stored item ``old`` (moto's
    parser refuses ``if_not_exists(b, if_not_exists(c, :v))`` as a syntax error; DynamoDB takes
    it: ScyllaDB Alternator's test_update_expression.py ``test_update_expression_function_nesting``,
    checked against DynamoDB)."""
    if "(" not in text and "[" not in text:
        return text
    try:
        parsed = ex.parse("UpdateExpression", text)
    except ValidationException:
        return text
    resolved = dict(names or {})

    def node(value: ex.Node) -> str:
        if isinstance(value, ex.Call) and value.name == "if_not_exists" and len(value.args) == 2 \
                and isinstance(value.args[0], ex.PathOperand) and isinstance(value.args[1], ex.Call):
            path = tuple(e if isinstance(e, int) or not e.startswith("#") else str(resolved.get(e, e))
                         for e in value.args[0].path)
            return _path(value.args[0].path) if _at(old, path) is not None else node(value.args[1])
        return _node(value, node)

    sections: dict[str, list[str]] = {}
    for action in _list_elements_in_order(parsed.actions):
        target = _path(action.target)
        if action.section == "SET" and action.value is not None:
            sections.setdefault("SET", []).append(f"{target} = {node(action.value)}")
        elif action.value is not None:
            sections.setdefault(action.section, []).append(f"{target} {node(action.value)}")
        else:
            sections.setdefault(action.section, []).append(target)
    return " ".join(f"{section} {', '.join(parts)}" for section, parts in sections.items())


def _list_elements_in_order(actions: tuple[ex.Action, ...]) -> list[ex.Action]:
    """The actions as written, except that those of one section on elements of one list trade
    places to run in index order: appends past the list's end land in index order (dynalite
    test/updateItem.js "should update nested attributes": ``ADD c[8] :b, c[6] :a``), and REMOVEs
    run last index first so that each index still names the element it named before. Nothing
    else moves: moto runs the actions in turn, and every path names the item as it was."""
    ordered = list(actions)
    groups: dict[tuple[str, ex.Path], list[int]] = {}
    for position, action in enumerate(actions):
        if action.target and isinstance(action.target[-1], int):
            groups.setdefault((action.section, action.target[:-1]), []).append(position)
    for (section, _parent), positions in groups.items():
        members = sorted((actions[p] for p in positions), key=lambda a: int(a.target[-1]),
                         reverse=section == "REMOVE")
        for position, action in zip(positions, members, strict=True):
            ordered[position] = action
    return ordered


def _path(path: ex.Path) -> str:
    return "".join(f"[{e}]" if isinstance(e, int) else (("." if i else "") + e) for i, e in enumerate(path))


def _node(node: ex.Node, inner: Callable[[ex.Node], str] | None = None) -> str:
    """One operand as text; its own operands through ``inner`` (default: this function)."""
    sub = inner or _node
    if isinstance(node, ex.PathOperand):
        return _path(node.path)
    if isinstance(node, ex.ValueOperand):
        return node.placeholder
    if isinstance(node, ex.Arith):
        left, right = (f"({sub(n)})" if isinstance(n, ex.Arith) else sub(n) for n in (node.left, node.right))
        return f"{left} {node.op} {right}"
    if isinstance(node, ex.Call):
        return f"{node.name}({', '.join(sub(arg) for arg in node.args)})"
    raise ValueError(f"no update operand: {node!r}")  # size(...) never passes ex.parse here

