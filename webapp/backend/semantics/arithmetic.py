"""Numbers an update computes must be numbers DynamoDB can store (and ``list_append`` must have
its operands).

DynamoDB numbers hold up to 38 significant digits with magnitudes from 1E-130 to
9.9999999999999999999999999999999999999E+125 (Developer Guide, "Supported data types": Number).
Validation refuses a *written* number outside that range; an update can also *compute* one -
``SET b = :x + :y``, ``SET b = b - :y``, ``ADD b :y`` - and DynamoDB refuses the update then too,
with a ``ValidationException``: ``9e125 + 9e125`` overflows, and ``1e50 - 1`` (50 significant
digits) is refused with the same "Number overflow" text (ScyllaDB's Alternator tests,
test/alternator/test_number.py, ``test_update_expression_plus_overflow`` / ``_imprecise``, checked
against DynamoDB). moto computes in Python's default 28-digit context: it rounds ``1e50 - 1`` to
``1E+50`` and stores ``1.8E+126``.

``check_update`` computes each such sum exactly from the stored item and the request's values
before the update goes to moto, and raises DynamoDB's error when a result cannot be stored.
Anything it cannot follow (syntax errors, non-numbers, functions other than ``if_not_exists``)
is left alone: validation and the engine answer those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import conditions

Item = Mapping[str, Any]

#: Exact for any sum of two storable numbers (their digits span at most 38 + 125 + 130 places).
_EXACT = Context(prec=400)
_SECTIONS = frozenset({"SET", "REMOVE", "ADD", "DELETE"})

OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"


def number_error(value: Decimal) -> str | None:
    """Why DynamoDB cannot store the computed ``value``; ``None`` when it can."""
    if not value.is_finite():
        return OVERFLOW
    if value.is_zero():
        return None
    normal = value.normalize(_EXACT)
    if normal.adjusted() > 125:
        return OVERFLOW
    if normal.adjusted() < -130:
        return UNDERFLOW
    if len(normal.as_tuple().digits) > 38:
        return OVERFLOW  # DynamoDB's text for an inexact result (see the module doc)
    return None


def number(value: Any) -> Decimal | None:
    if not isinstance(value, Mapping) or set(value) != {"N"}:
        return None
    try:
        return Decimal(str(value["N"]))
    except InvalidOperation:
        return None


class Reader:
    """Evaluates the operands of one update expression against the stored item."""

    def __init__(self, text: str, tokens: list[ex.Token], item: Item, names: Mapping[str, str],
                 values: Mapping[str, Any]) -> None:
        self.text, self.tokens, self.item, self.names, self.values = text, tokens, item, names, values

    def path_value(self, part: list[ex.Token]) -> Any:
        source = self.text[part[0].start:part[-1].start + len(part[-1].text)]
        try:
            paths = ex.parse("ProjectionExpression", source).paths
        except ValidationException:
            return None
        return conditions.resolve(paths[0], self.item, self.names) if len(paths) == 1 else None

    def operand(self, part: list[ex.Token]) -> Any:
        if not part:
            return None
        if len(part) == 1 and part[0].kind == "value":
            return self.values.get(part[0].text)
        first = part[0]
        if first.kind == "name" and len(part) > 2 and part[1].text == "(" and part[-1].text == ")":
            if first.text != "if_not_exists":
                return None
            arguments = split(part[2:-1], ",")
            if len(arguments) != 2:
                return None
            found = self.path_value(arguments[0])
            return found if found is not None else self.operand(arguments[1])
        return self.path_value(part)


def split(tokens: list[ex.Token], separator: str) -> list[list[ex.Token]]:
    """``tokens`` cut at each ``separator`` outside parentheses and brackets (the actions of a
    section at ``,``, an action's sides at ``=``, a sum at ``+``)."""
    parts: list[list[ex.Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in ("(", "["):
            depth += 1
        elif token.kind == "op" and token.text in (")", "]"):
            depth -= 1
        elif depth == 0 and token.kind == "op" and token.text == separator:
            parts.append([])
            continue
        parts[-1].append(token)
    return parts


def sections(tokens: list[ex.Token]) -> list[tuple[str, list[ex.Token]]]:
    """Each section (``SET``, ``REMOVE``, ``ADD``, ``DELETE``) with its tokens, in written order."""
    found: list[tuple[str, list[ex.Token]]] = []
    for token in tokens:
        if token.kind == "eof":
            break
        if token.kind == "name" and token.text.upper() in _SECTIONS:
            found.append((token.text.upper(), []))
        elif found:
            found[-1][1].append(token)
    return found


def _results(reader: Reader, section: str, action: list[ex.Token]) -> list[Decimal]:
    if section == "SET":
        sides = split(action, "=")
        if len(sides) != 2:
            return []
        for operator in ("+", "-"):
            operands = split(sides[1], operator)
            if len(operands) == 2:
                left, right = number(reader.operand(operands[0])), number(reader.operand(operands[1]))
                if left is None or right is None:
                    return []
                return [_EXACT.add(left, right) if operator == "+" else _EXACT.subtract(left, right)]
        return []
    if section == "ADD" and len(action) >= 2 and action[-1].kind == "value":
        added = number(reader.values.get(action[-1].text))
        current = number(reader.path_value(action[:-1]))
        if added is not None and current is not None:
            return [_EXACT.add(current, added)]
    return []


MISSING = "The provided expression refers to an attribute that does not exist in the item"


def _missing_list_operand(node: ex.Node, item: Item, names: Mapping[str, str]) -> bool:
    """Whether evaluating ``node`` gives ``list_append`` a path the item does not have: DynamoDB
    refuses it (``MISSING``; ScyllaDB's Alternator tests, test_update_expression.py
    ``test_update_expression_list_append_non_list_arguments``, checked against DynamoDB); moto
    checks only the first operand and fails on an assertion for the second. The fallback of an
    ``if_not_exists`` whose path exists is not evaluated; one whose path is missing is, however
    deep the ``list_append`` sits in it (``if_not_exists(b, list_append(l, z))`` was moto's
    assertion too, found by fuzzing)."""
    if isinstance(node, ex.Arith):
        return any(_missing_list_operand(side, item, names) for side in (node.left, node.right))
    if not isinstance(node, ex.Call):
        return False
    if node.name == "if_not_exists" and len(node.args) == 2 and isinstance(node.args[0], ex.PathOperand):
        if conditions.resolve(node.args[0].path, item, names) is not None:
            return False
        return _missing_list_operand(node.args[1], item, names)
    if node.name == "list_append":
        return any((isinstance(arg, ex.PathOperand) and conditions.resolve(arg.path, item, names) is None)
                   or _missing_list_operand(arg, item, names) for arg in node.args)
    return False


def check_update(params: Mapping[str, Any], stored: Callable[[], Item | None]) -> None:
    """Raise DynamoDB's ``ValidationException`` when the update (``UpdateItem``'s parameters or a
    transaction's ``Update``) computes a number DynamoDB cannot store; do nothing otherwise.
    ``stored`` reads the item, only when the expression computes something."""
    expression, names, values = (params.get("UpdateExpression"), params.get("ExpressionAttributeNames"),
                                 params.get("ExpressionAttributeValues"))
    if not isinstance(expression, str) or ("+" not in expression and "-" not in expression
                                           and "ADD" not in expression.upper() and "list_append" not in expression):
        return
    try:
        tokens = ex.tokenize("UpdateExpression", expression)
    except ValidationException:
        return
    reader = Reader(expression, tokens, stored() or {}, names if isinstance(names, Mapping) else {},
                     values if isinstance(values, Mapping) else {})
    if "list_append" in expression:
        try:
            parsed = ex.parse("UpdateExpression", expression)
        except ValidationException:
            parsed = None
        for update in parsed.actions if parsed is not None else ():
            if update.section == "SET" and update.value is not None and \
                    _missing_list_operand(update.value, reader.item, reader.names):
                raise DynamoDBValidationException(MISSING)
    for section, body in sections(tokens):
        for action in split(body, ","):
            for result in _results(reader, section, action):
                message = number_error(result)
                if message is not None:
                    raise DynamoDBValidationException(message)
