"""PartiQL statements evaluated as DynamoDB evaluates them (ExecuteStatement,
BatchExecuteStatement, ExecuteTransaction).

moto's PartiQL engine (py-partiql-parser) is not used for any statement: it read ``<>`` as ``=``,
joined ``AND``/``OR`` left to right without precedence, compared numbers as strings, answered
``n > 5`` over a string attribute, ``l[1]``, ``SET n = 7`` and most ``UPDATE``/``DELETE``
conditions with a crash, and updated items its WHERE clause did not select. The statement is the
one ``iam_policies.dynamodb.partiql`` parsed to authorize it, and it is evaluated here:

* **WHERE** is turned into the condition tree of DynamoDB's condition expressions and evaluated by
  ``conditions.evaluate``, the evaluator of every ConditionExpression and FilterExpression. The
  Developer Guide's PartiQL operator page ("PartiQL arithmetic, comparison, and logical operators
  for DynamoDB") defines its comparison and logical operators by reference to the expression
  pages ("Making comparisons", "Logical evaluations"), so the rules are those: a value of another
  type never matches, an ordering comparison with a missing side is false, ``<>`` is true when a
  side is missing, ``NOT`` binds tighter than ``AND``, which binds tighter than ``OR``.
  ``BETWEEN`` is inclusive, ``IN`` is a list of values, ``IS [NOT] MISSING`` is whether the
  attribute exists (DG, "Using the MISSING function"), ``begins_with``/``contains``/
  ``attribute_type``/``size`` are the expression functions of the same names (DG, "Use PartiQL
  functions with DynamoDB", which lists no others). ``x IS NULL`` is PartiQL's: true for a NULL
  value and for a missing attribute (PartiQL specification, section 6.1: MISSING IS NULL is true).
* **SELECT** projects attribute names and document paths; a nested path's value is named after
  its last name (``SELECT a.b`` answers ``{"b": ...}``, as nubo-db/dynoxide records DynamoDB).
* **UPDATE** ``SET``/``REMOVE``: values, paths, ``+``/``-`` on numbers, ``list_append``,
  ``set_add`` and ``set_delete`` (DG, "PartiQL update statements"), every operand read from the
  item as it was (as UpdateItem's expressions are), with UpdateItem's texts for a missing operand,
  an operand of another type and a path whose parent is missing.

Only the items ``partiql_scope`` hands over are ever seen: the partitions IAM authorized.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import reduce
from typing import Any

from iam_policies.dynamodb import expressions as ex
from iam_policies.dynamodb import partiql
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import arithmetic, conditions, updates
from webapp.backend.semantics import values as v

Item = Mapping[str, Any]

#: ExecuteStatement's ``ReturnValuesOnConditionCheckFailure`` for the call in progress (moto's
#: response handler passes the backend only the statement and its parameters).
_ON_FAILURE: ContextVar[str | None] = ContextVar("partiql_on_condition_failure", default=None)

MISSING_OPERAND = "The provided expression refers to an attribute that does not exist in the item"
_COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_FUNCTIONS = frozenset({"begins_with", "contains", "attribute_type"})
_EXISTENCE = frozenset({"attribute_exists", "attribute_not_exists"})


@contextmanager
def on_condition_failure(mode: Any) -> Iterator[None]:
    """Run an ExecuteStatement with its ``ReturnValuesOnConditionCheckFailure``."""
    token = _ON_FAILURE.set(mode if isinstance(mode, str) else None)
    try:
        yield
    finally:
        _ON_FAILURE.reset(token)


@dataclass
class Page:
    """ExecuteStatement's paging of a SELECT: ``Limit`` items evaluated at most, from where
    ``NextToken`` says; ``next_token`` and ``last_key`` are set when items remain (API Reference,
    ExecuteStatement: "Limit: The maximum number of items to evaluate (not necessarily the number
    of matching items). If DynamoDB processes the number of items up to the limit ..., it stops
    the operation and returns the matching values up to that point", "NextToken: Set this value
    to get remaining results, if NextToken was returned in the statement response")."""

    limit: int | None
    token: str | None
    next_token: str | None = None
    last_key: dict[str, Any] | None = None


_PAGE: ContextVar[Page | None] = ContextVar("partiql_page", default=None)


@contextmanager
def paged(params: Mapping[str, Any]) -> Iterator[Page]:
    """Run an ExecuteStatement with its ``Limit`` and ``NextToken``; the page says what remains."""
    limit, token = params.get("Limit"), params.get("NextToken")
    page = Page(limit if isinstance(limit, int) else None, token if isinstance(token, str) else None)
    reset = _PAGE.set(page)
    try:
        yield page
    finally:
        _PAGE.reset(reset)


def current_page() -> Page | None:
    return _PAGE.get()


def page_token(statement: str, key: Mapping[str, Any], position: int) -> str:
    """An opaque token: the statement it continues, the last key evaluated and its place."""
    return base64.urlsafe_b64encode(json.dumps({"s": hashlib.sha256(statement.encode()).hexdigest()[:16],
                                                "k": key, "p": position}).encode()).decode()


def resume_at(statement: str, token: str, keys: Sequence[Mapping[str, Any]]) -> int:
    """Where a page continues: after the token's key (or at its place, when that item is gone).
    Only a token ``page_token`` made for this statement is read: its place a whole number from 0
    (a forged -100 read past the start, an IndexError, and 1e400 overflowed ``int()``: HTTP 500s,
    found by review); checked without ``assert``, which ``python -O`` would drop."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, RecursionError):  # (json's decoder recurses on nested lists)
        data = None
    position = data.get("p") if isinstance(data, dict) else None
    if not (isinstance(data, dict) and data.get("s") == hashlib.sha256(statement.encode()).hexdigest()[:16]
            and type(position) is int and position >= 0):
        raise DynamoDBValidationException("The NextToken is not valid for this statement")
    for index, key in enumerate(keys):
        if key == data.get("k"):
            return index + 1
    return min(position, len(keys))


def wants_old_item(mode: Any = None) -> bool:
    """Whether a failed condition answers with the item (``ALL_OLD``): ``mode`` is a batch or
    transaction member's own setting; ``None`` reads the ExecuteStatement call's."""
    return (mode if mode is not None else _ON_FAILURE.get()) == "ALL_OLD"


def at(text: str, offset: int, length: int) -> str:
    """DynamoDB's ``<line>:<column>:<length>`` of a token (characters from 1; paritysuite,
    partiqlFunctions.test.ts)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column}:{length}"


def unrecognized(text: str, node: partiql.Node) -> DynamoDBValidationException:
    name = str(node.args[0])
    return DynamoDBValidationException(f"Unrecognized function: {name} at {at(text, node.at, len(name))}")


def unsupported(what: str) -> DynamoDBValidationException:
    return DynamoDBValidationException(f"Statement wasn't well formed, can't be processed: {what}")


# Values -------------------------------------------------------------------------------------------


#: A number literal DynamoDB cannot store, named with where it is in the value ("under root",
#: "under root.x", "under root[1]": paritysuite/dynamodb-conformance tests/tier3/error-messages/
#: partiqlGrammar.test.ts, captured against DynamoDB).
DIGITS = partiql.DIGITS
#: Exact for any number a literal can write (its exponent fits 32 bits: ``partiql._number``).
_EXACT = Context(prec=400)


def _literal_number(text: str, where: str) -> str:
    value = Decimal(text)
    if not value.is_zero():
        normal = value.normalize(_EXACT)
        problem = (DIGITS if len(normal.as_tuple().digits) > 38 else arithmetic.OVERFLOW if normal.adjusted() > 125
                   else arithmetic.UNDERFLOW if normal.adjusted() < -130 else None)
        if problem is not None:
            raise DynamoDBValidationException(f"{problem} under {where}")
    return v.normalize_number(text)


def constant(node: Any, params: Sequence[Any], where: str = "root") -> Any:
    """A literal's AttributeValue (``None`` for MISSING); raises for anything that is not one."""
    if isinstance(node, partiql.Lit):
        value = node.value
        if isinstance(value, tuple):
            value = params[value[1]] if value[1] < len(params) else None
        elif isinstance(value, Mapping) and isinstance(value.get("N"), str):
            return {"N": _literal_number(value["N"], where)}
        return v.normalize(dict(value)) if isinstance(value, Mapping) else None
    if isinstance(node, partiql.Node) and node.op in ("list", "map", "set"):
        if node.op == "map":
            return {"M": {str(key): _element(inner, params, f"{where}.{key}") for key, inner in node.args}}
        elements = [_element(inner, params, f"{where}[{position}]") for position, inner in enumerate(node.args)]
        if node.op == "list":
            return {"L": elements}
        if not elements:  # paritysuite, partiqlFunctions.test.ts (captured), as the texts below
            raise DynamoDBValidationException("Empty bags are not supported")
        kinds = {v.kind(element) for element in elements}
        if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
            raise DynamoDBValidationException("One or more parameter values were invalid: a set holds strings, numbers "
                                              "or binaries, all of one type, and at least one")
        kind = str(kinds.pop())
        members = [element[kind] for element in elements]
        if len(set(members)) != len(members):
            raise DynamoDBValidationException("One or more parameter values were invalid: Input collection "
                                              f"[{', '.join(members)}] contains duplicates.")
        return {kind + "S": members}
    raise unsupported("expected a value")


def _element(node: Any, params: Sequence[Any], where: str = "root") -> Any:
    found = constant(node, params, where)
    if found is None:
        raise unsupported("MISSING cannot be stored")
    return found


def _is_constant(node: Any) -> bool:
    return isinstance(node, partiql.Lit) or (isinstance(node, partiql.Node) and node.op in ("list", "map", "set"))


# WHERE --------------------------------------------------------------------------------------------


class _Tree:
    """The condition tree of a WHERE clause with its name and value placeholders."""

    def __init__(self, params: Sequence[Any], text: str = "") -> None:
        self.params = params
        self.text = text
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def path(self, ref: partiql.Ref) -> ex.Path:
        steps = ref.path or (ref.name,)
        out: list[str | int] = []
        for step in steps:
            if step is None:
                raise unsupported("a list index must be a number")
            if isinstance(step, int):
                out.append(step)
            else:
                alias = f"#p{len(self.names)}"
                self.names[alias] = step
                out.append(alias)
        return tuple(out)

    def operand(self, node: Any) -> ex.Operand:
        if isinstance(node, partiql.Ref):
            return ex.PathOperand(self.path(node))
        if isinstance(node, partiql.Node) and node.op == "call" and node.args[0] == "size":
            if len(node.args) != 2 or not isinstance(node.args[1], partiql.Ref):
                raise unsupported("size takes one attribute name or document path")
            return ex.SizeOperand(self.path(node.args[1]))
        if _is_constant(node):
            placeholder = f":v{len(self.values)}"
            self.values[placeholder] = constant(node, self.params)
            return ex.ValueOperand(placeholder)
        if isinstance(node, partiql.Node) and node.op == "call" and node.args[0] not in _FUNCTIONS | _EXISTENCE:
            raise unrecognized(self.text, node)
        raise unsupported("arithmetic and function calls are not comparable values in a WHERE clause")

    def orderable(self, op: str, args: Sequence[Any]) -> None:
        """An ordering comparison refuses a value DynamoDB does not order (only S, N and B),
        rather than matching nothing (nubo-db/dynoxide tests/partiql_boolean_expressions.rs,
        captured from DynamoDB: "Incorrect operand type for operator or function; operator or
        function: <, operand type: BOOL")."""
        for arg in args:
            if _is_constant(arg):
                kind = v.kind(constant(arg, self.params))
                if kind is not None and kind not in ("S", "N", "B"):
                    raise DynamoDBValidationException("Incorrect operand type for operator or function; operator or "
                                                      f"function: {op}, operand type: {kind}")

    def condition(self, node: Any) -> ex.Condition:
        if not isinstance(node, partiql.Node):
            raise unsupported("a WHERE clause must be a condition")
        op, args = node.op, node.args
        if op in ("AND", "OR"):
            return reduce(lambda left, right: ex.BoolOp(op, left, right), [self.condition(arg) for arg in args])
        if op == "NOT":
            return ex.Not(self.condition(args[0]))
        if op in _COMPARATORS:
            if op not in ("=", "<>"):
                self.orderable(op, args)
            return ex.Compare(op, self.operand(args[0]), self.operand(args[1]))
        if op == "BETWEEN":
            self.orderable(op, args)
            return ex.Between(self.operand(args[0]), self.operand(args[1]), self.operand(args[2]))
        if op == "IN":
            return ex.In(self.operand(args[0]), tuple(self.operand(choice) for choice in args[1]))
        if op == "IS":
            subject, what, negated = args
            operand = self.operand(subject)
            found: ex.Condition = ex.Function("attribute_not_exists", (operand,))
            if what == "NULL":
                null = ex.ValueOperand(f":v{len(self.values)}")
                self.values[null.placeholder] = {"S": "NULL"}
                found = ex.BoolOp("OR", found, ex.Function("attribute_type", (operand, null)))
            return ex.Not(found) if negated else found
        if op == "call" and (args[0] in _FUNCTIONS or args[0] in _EXISTENCE):
            # the texts: paritysuite tests/tier3/error-messages/partiqlFunctions.test.ts, captured
            wanted = 1 if args[0] in _EXISTENCE else 2
            if len(args) - 1 != wanted:
                raise DynamoDBValidationException("Incorrect number of operands for operator or function; operator or "
                                                  f"function: {args[0]}, number of operands: {len(args) - 1}")
            if not isinstance(args[1], partiql.Ref):
                raise DynamoDBValidationException("Operator or function requires a document path; operator or "
                                                  f"function: {args[0]}")
            return ex.Function(str(args[0]), tuple(self.operand(arg) for arg in args[1:]))
        if op == "call" and args[0] != "size":
            raise unrecognized(self.text, node)
        raise unsupported(f"{args[0] if op == 'call' else op} is not a condition")


def where(statement: partiql.Statement, params: Sequence[Any]) -> conditions.Condition | None:
    """The statement's WHERE clause as a condition (``None``: no WHERE clause, every item)."""
    if statement.where is None:
        return None
    tree = _Tree(params, statement.text)
    return conditions.Condition(tree.condition(statement.where), tree.names, tree.values)


def matches(condition: conditions.Condition | None, item: Item) -> bool:
    return condition is None or condition(item)


# SELECT -------------------------------------------------------------------------------------------


def project(statement: partiql.Statement, item: Item) -> dict[str, Any]:
    """One SELECT row: the whole item for ``*``, else each projected path found in it."""
    if statement.star:
        return dict(item)
    row: dict[str, Any] = {}
    for expression in statement.projected:
        if not isinstance(expression, partiql.Ref):
            raise unsupported("only attribute names and document paths can be selected")
        tree = _Tree(())
        found = conditions.resolve(tree.path(expression), item, tree.names)
        if found is not None:
            label = next((step for step in reversed(expression.path) if isinstance(step, str)), expression.name)
            row[label] = found
    return row


# UPDATE -------------------------------------------------------------------------------------------


def check_literals(statement: partiql.Statement, params: Sequence[Any]) -> None:
    """Refuse a SET value literal DynamoDB cannot store before the item is read, as DynamoDB
    refuses it when it reads the statement (paritysuite, partiqlGrammar.test.ts: ``SET a =
    1e-131`` of an item that does not exist is a ValidationException)."""
    for _, target, node in statement.actions:
        if isinstance(node, partiql.Node) and node.op == "call" and node.args[0] in ("set_add", "set_delete"):
            _check_set_function(statement.text, target, node, params)
    pending = [node for _, _, node in statement.actions if node is not None]
    while pending:
        node = pending.pop()
        if _is_constant(node):
            constant(node, params)
        elif isinstance(node, partiql.Node):
            pending.extend(arg for arg in node.args if isinstance(arg, (partiql.Node, partiql.Lit)))


def _check_set_function(text: str, target: partiql.Ref, call: partiql.Node, params: Sequence[Any]) -> None:
    """``SET a = set_add(a, <<...>>)``: two arguments, the first the attribute assigned, the
    second a set (paritysuite, partiqlFunctions.test.ts, captured: the texts and positions)."""
    name, arguments = str(call.args[0]).upper(), call.args[1:]
    where = at(text, call.at, len(name))
    if len(arguments) != 2:
        raise DynamoDBValidationException(f"{name} must have exactly two arguments at {where}")
    first, second = arguments
    if not isinstance(first, partiql.Ref) or first.path != target.path:
        raise DynamoDBValidationException(f"The first argument to {name} must equal the assignment value at {where}")
    if _is_constant(second) and v.kind(constant(second, params)) not in ("SS", "NS", "BS"):
        raise DynamoDBValidationException(f"The second argument to {name} must be a value with type SET at "
                                          f"{at(text, first.at, len(text[first.at:].split(',', 1)[0].strip()))}")


def updated(statement: partiql.Statement, old: Item, params: Sequence[Any], keys: Sequence[str]) -> dict[str, Any]:
    """The item after the UPDATE's SET and REMOVE actions (operands read from ``old``)."""
    new: dict[str, Any] = copy.deepcopy(dict(old))
    for kind, target, node in statement.actions:
        if target.name in keys:
            raise DynamoDBValidationException(
                f"One or more parameter values were invalid: Cannot update attribute {target.name}. "
                "This attribute is part of the key")
        steps = target.path or (target.name,)
        if any(step is None for step in steps):
            raise unsupported("a list index must be a number")
        if kind == "REMOVE":
            _remove(new, steps)
        else:
            _assign(new, steps, _computed(node, old, params))
    return new


def _computed(node: Any, old: Item, params: Sequence[Any]) -> Any:
    if _is_constant(node):
        return _element(node, params)
    if isinstance(node, partiql.Ref):
        tree = _Tree(())
        found = conditions.resolve(tree.path(node), old, tree.names)
        if found is None:
            raise DynamoDBValidationException(MISSING_OPERAND)
        return found
    if isinstance(node, partiql.Node) and node.op in ("+", "-"):
        left, right = (arithmetic.number(_computed(arg, old, params)) for arg in node.args)
        if left is None or right is None:
            raise DynamoDBValidationException(updates.OPERAND_TYPE)
        result = left + right if node.op == "+" else left - right
        return {"N": _number_text(result)}
    if isinstance(node, partiql.Node) and node.op == "call" and node.args[0] in ("list_append", "set_add",
                                                                                  "set_delete"):
        name, arguments = node.args[0], node.args[1:]
        if len(arguments) != 2:
            raise unsupported(f"{name} takes two arguments")
        first, second = (_computed_or_missing(arg, old, params) for arg in arguments)
        return _combined(str(name), first, second)
    raise unsupported("unsupported value in SET")


def _computed_or_missing(node: Any, old: Item, params: Sequence[Any]) -> Any:
    """A set function's operand: a missing attribute is an empty set to add to."""
    if isinstance(node, partiql.Ref):
        tree = _Tree(())
        return conditions.resolve(tree.path(node), old, tree.names)
    return _computed(node, old, params)


def _combined(name: str, first: Any, second: Any) -> Any:
    if name == "list_append":
        if v.kind(first) != "L" or v.kind(second) != "L":
            raise DynamoDBValidationException(updates.OPERAND_TYPE if first is not None and second is not None
                                              else MISSING_OPERAND)
        return {"L": list(first["L"]) + list(second["L"])}
    kind = v.kind(second)
    if kind not in ("SS", "NS", "BS") or (first is not None and v.kind(first) != kind):
        raise DynamoDBValidationException(updates.OPERAND_TYPE)
    existing = list(first[kind]) if first is not None else []
    if name == "set_add":
        return {kind: list(dict.fromkeys(existing + list(second[kind])))}
    removed = set(second[kind]) if kind != "NS" else {Decimal(x) for x in second[kind]}
    kept = [x for x in existing if (Decimal(x) if kind == "NS" else x) not in removed]
    return {kind: kept} if kept else None


def _number_text(value: Decimal) -> str:
    problem = arithmetic.number_error(value)
    if problem is not None:
        raise DynamoDBValidationException(problem)
    return v.normalize_number(format(value, "f") if value == value.to_integral_value() else str(value))


def _assign(item: dict[str, Any], steps: Sequence[Any], value: Any) -> None:
    if value is None:  # set_delete emptied the set: DynamoDB stores no empty set
        _remove(item, steps)
        return
    if len(steps) == 1:
        item[steps[0]] = value
        return
    parent = _container(item, steps[:-1])
    last = steps[-1]
    if isinstance(last, str) and v.kind(parent) == "M":
        parent["M"][last] = value
    elif isinstance(last, int) and v.kind(parent) == "L":
        elements = parent["L"]
        if last < len(elements):
            elements[last] = value
        else:
            elements.append(value)  # past the end: appended, as UpdateItem's SET does
    else:
        raise DynamoDBValidationException(updates.INVALID_PATH)


def _remove(item: dict[str, Any], steps: Sequence[Any]) -> None:
    if len(steps) == 1:
        item.pop(steps[0], None)
        return
    try:
        parent = _container(item, steps[:-1])
    except DynamoDBValidationException:
        return
    last = steps[-1]
    if isinstance(last, str) and v.kind(parent) == "M":
        parent["M"].pop(last, None)
    elif isinstance(last, int) and v.kind(parent) == "L" and last < len(parent["L"]):
        parent["L"].pop(last)


def _container(item: dict[str, Any], steps: Sequence[Any]) -> Any:
    """The value at ``steps`` (to change in place); DynamoDB's error when a step is missing."""
    current: Any = item.get(steps[0])
    for step in steps[1:]:
        if isinstance(step, str) and v.kind(current) == "M":
            current = current["M"].get(step)
        elif isinstance(step, int) and v.kind(current) == "L" and step < len(current["L"]):
            current = current["L"][step]
        else:
            current = None
        if current is None:
            break
    if current is None:
        raise DynamoDBValidationException(updates.INVALID_PATH)
    return current


# INSERT -------------------------------------------------------------------------------------------


def inserted(statement: partiql.Statement, params: Sequence[Any]) -> dict[str, Any]:
    """The INSERT's item as AttributeValues (``VALUE ?`` reads it from a map parameter); a
    function call in it is no value (paritysuite, partiqlFunctions.test.ts, captured)."""
    pending = list(statement.item.values())
    while pending:
        node = pending.pop()
        if isinstance(node, partiql.Node) and node.op == "call":
            name = str(node.args[0])
            raise DynamoDBValidationException(f"Unsupported data type: {name} under key root at "
                                              f"{at(statement.text, node.at, len(name))}")
        if isinstance(node, partiql.Node) and node.op in ("list", "set"):
            pending.extend(node.args)
        elif isinstance(node, partiql.Node) and node.op == "map":
            pending.extend(inner for _, inner in node.args)
    return {name: _element(node, params) for name, node in partiql.inserted_item(statement.item, list(params)).items()}
