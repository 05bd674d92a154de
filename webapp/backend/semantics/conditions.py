"""Conditions as DynamoDB evaluates them: expressions and the legacy ``Expected`` / ``QueryFilter``
/ ``ScanFilter`` parameters, over an item in wire form.

One evaluator for every place a condition decides something (a conditional write, a filter), so
that they cannot disagree. Expressions are parsed by ``iam_policies.dynamodb.expressions`` (the
parser the endpoint already ran to authorize the request); the legacy parameters are turned into
the same tree, each ``ComparisonOperator`` as the API Reference's ``Condition`` and
``ExpectedAttributeValue`` pages define it:

* ``EQ``/``NE``/``LT``/``LE``/``GT``/``GE``/``BETWEEN``/``IN``/``BEGINS_WITH``/``CONTAINS`` are the
  expression operators and functions of the same name (a value of another type never matches;
  ``NE`` is true for a missing attribute, as ``<>`` is);
* ``NOT_CONTAINS`` is false for a missing attribute ("Checks for absence of a subsequence of, or
  absence of a value in a set" - of an attribute that is there);
* ``NULL`` / ``NOT_NULL``: the attribute does not exist / exists, whatever its type (an attribute
  holding a ``NULL`` value exists: "NOT_NULL: The attribute exists. NOT_NULL is supported for all
  data types");
* ``Expected``: ``Exists: false`` is ``attribute_not_exists``; ``Value`` alone is ``=``;
* several conditions are joined by ``ConditionalOperator`` (``AND`` when absent).

Operators and missing attributes (Developer Guide, "Comparison operator and function reference";
ScyllaDB Alternator's tests against real DynamoDB, ``test_condition_expression.py``, issue 8511):
a comparison with a missing side is false, except ``<>``, which is then true - also when both
sides are missing (``q <> z``), while ``q = z`` is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iam_policies.dynamodb import expressions as ex
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import values as v

Item = Mapping[str, Any]


@dataclass(frozen=True)
class Condition:
    """A parsed condition and the placeholders it refers to."""

    tree: ex.Condition
    names: Mapping[str, str]
    values: Mapping[str, Any]

    def __call__(self, item: Item | None) -> bool:
        return evaluate(self.tree, item or {}, self.names, self.values)


def from_expression(kind: ex.Kind, text: str, names: Mapping[str, str] | None,
                    values: Mapping[str, Any] | None) -> Condition:
    parsed = ex.parse(kind, text)
    assert parsed.condition is not None
    return Condition(parsed.condition, dict(names or {}), dict(values or {}))


# Legacy parameters ------------------------------------------------------------------------------

_COMPARATORS = {"EQ": "=", "NE": "<>", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def from_legacy(conditions: Mapping[str, Any], operator: str | None, *, expected: bool) -> Condition:
    """``Expected`` (``expected=True``), ``QueryFilter`` or ``ScanFilter``, joined by
    ``ConditionalOperator``."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    parts: list[ex.Condition] = []
    for index, (attribute, spec) in enumerate(conditions.items()):
        alias = f"#l{index}"
        names[alias] = str(attribute)
        path = ex.PathOperand((alias,))
        spec = spec if isinstance(spec, Mapping) else {}

        def value(position: int, given: Any, *, _index: int = index) -> ex.ValueOperand:
            placeholder = f":l{_index}_{position}"
            values[placeholder] = given
            return ex.ValueOperand(placeholder)

        operator_name = spec.get("ComparisonOperator")
        if expected and operator_name is None:
            if spec.get("Exists") is False:
                parts.append(ex.Not(ex.Function("attribute_exists", (path,))))
            else:
                parts.append(ex.Compare("=", path, value(0, spec.get("Value"))))
            continue
        given = list(spec.get("AttributeValueList") or ())
        if expected and not given and "Value" in spec:
            given = [spec["Value"]]
        operands = [value(i, item) for i, item in enumerate(given)]
        parts.append(_legacy_one(str(operator_name), path, operands))
    if not parts:
        return Condition(ex.Function("attribute_exists_or_not", ()), {}, {})
    tree = parts[0]
    joiner = "OR" if str(operator or "AND").upper() == "OR" else "AND"
    for part in parts[1:]:
        tree = ex.BoolOp(joiner, tree, part)
    return Condition(tree, names, values)


#: How many values each ComparisonOperator takes (API Reference, Condition); ``None``: one or more.
_ARGUMENTS = {"NULL": 0, "NOT_NULL": 0, "BETWEEN": 2, "IN": None}


def _legacy_one(operator: str, path: ex.PathOperand, operands: list[ex.ValueOperand]) -> ex.Condition:
    wanted = _ARGUMENTS.get(operator, 1)
    if (len(operands) != wanted) if wanted is not None else not operands:
        raise DynamoDBValidationException("One or more parameter values were invalid: Invalid number of argument(s) for the "
                              f"{operator} ComparisonOperator")
    if operator in _COMPARATORS:
        return ex.Compare(_COMPARATORS[operator], path, operands[0])
    if operator == "NULL":
        return ex.Not(ex.Function("attribute_exists", (path,)))
    if operator == "NOT_NULL":
        return ex.Function("attribute_exists", (path,))
    if operator == "CONTAINS":
        return ex.Function("contains", (path, operands[0]))
    if operator == "NOT_CONTAINS":
        return ex.BoolOp("AND", ex.Function("attribute_exists", (path,)),
                         ex.Not(ex.Function("contains", (path, operands[0]))))
    if operator == "BEGINS_WITH":
        return ex.Function("begins_with", (path, operands[0]))
    if operator == "BETWEEN":
        return ex.Between(path, operands[0], operands[1])
    if operator == "IN":
        return ex.In(path, tuple(operands))
    raise ValueError(f"unknown ComparisonOperator {operator!r}")


# Evaluation -------------------------------------------------------------------------------------


def resolve(path: ex.Path, item: Item, names: Mapping[str, str]) -> Any:
    """The value at ``path`` (``a.b[2]``) in ``item``, or ``None`` when any step is missing."""
    current: Any = None
    for position, element in enumerate(path):
        if isinstance(element, int):
            inner = current.get("L") if isinstance(current, Mapping) else None
            if not isinstance(inner, list) or element >= len(inner):
                return None
            current = inner[element]
            continue
        name = names.get(element, element) if element.startswith("#") else element
        if position == 0:
            current = item.get(name)
        else:
            inner = current.get("M") if isinstance(current, Mapping) else None
            if not isinstance(inner, Mapping):
                return None
            current = inner.get(name)
        if current is None:
            return None
    return current


def operand(node: ex.Operand, item: Item, names: Mapping[str, str], values: Mapping[str, Any]) -> Any:
    if isinstance(node, ex.ValueOperand):
        return values.get(node.placeholder)
    if isinstance(node, ex.PathOperand):
        return resolve(node.path, item, names)
    if isinstance(node, ex.Call):  # never in a checked condition (ex.check refuses it)
        return None
    subject = values.get(node.value) if node.value is not None else resolve(node.path, item, names)
    length = v.size(subject)
    return None if length is None else {"N": str(length)}


_ORDER = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}


def evaluate(node: ex.Condition, item: Item, names: Mapping[str, str], values: Mapping[str, Any]) -> bool:
    def get(o: ex.Operand) -> Any:
        return operand(o, item, names, values)

    if isinstance(node, ex.BoolOp):
        if node.op == "AND":
            return evaluate(node.left, item, names, values) and evaluate(node.right, item, names, values)
        return evaluate(node.left, item, names, values) or evaluate(node.right, item, names, values)
    if isinstance(node, ex.Not):
        return not evaluate(node.operand, item, names, values)
    if isinstance(node, ex.Compare):
        left, right = get(node.left), get(node.right)
        if node.op == "=":
            return v.equal(left, right)
        if node.op == "<>":
            return not v.equal(left, right)
        order = v.compare(left, right)
        return order is not None and bool(_ORDER[node.op](order))
    if isinstance(node, ex.Between):
        subject, low, high = get(node.subject), get(node.low), get(node.high)
        above, below = v.compare(subject, low), v.compare(subject, high)
        return above is not None and below is not None and above >= 0 and below <= 0
    if isinstance(node, ex.In):
        subject = get(node.subject)
        return any(v.equal(subject, get(choice)) for choice in node.choices)
    return _function(node, get)


def _function(node: ex.Function, get: Any) -> bool:
    if node.name == "attribute_exists_or_not":  # an empty legacy condition: always true
        return True
    if node.name == "attribute_exists":
        return bool(get(node.args[0]) is not None)
    if node.name == "attribute_not_exists":
        return bool(get(node.args[0]) is None)
    if node.name == "attribute_type":
        wanted = get(node.args[1])
        return v.kind(wanted) == "S" and v.kind(get(node.args[0])) == wanted["S"]
    if node.name == "begins_with":
        return v.begins_with(get(node.args[0]), get(node.args[1]))
    if node.name == "contains":
        return v.contains(get(node.args[0]), get(node.args[1]))
    raise ValueError(f"unknown function {node.name!r}")
