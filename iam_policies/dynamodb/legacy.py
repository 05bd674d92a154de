"""Legacy (pre-expression) parameters: what they name, and DynamoDB's mixing rule.

``AttributesToGet``, ``KeyConditions``, ``QueryFilter``, ``ScanFilter``, ``Expected``,
``AttributeUpdates`` and ``ConditionalOperator`` still work on the API (DynamoDB API Reference,
"Legacy conditional parameters"). The historical S1 per-parameter table named AttributesToGet,
AttributeUpdates, Expected and ScanFilter as feeding ``dynamodb:Attributes``
(fgac-semantics.md G-1); QueryFilter and KeyConditions follow the same rule [I]. A request may
not mix them with expression parameters ("Can not use both expression and non-expression
parameters in the same request").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from iam_policies.dynamodb.errors import invalid

LEGACY = ("AttributesToGet", "KeyConditions", "QueryFilter", "ScanFilter", "Expected", "AttributeUpdates",
          "ConditionalOperator")
EXPRESSIONS = ("ProjectionExpression", "KeyConditionExpression", "FilterExpression", "ConditionExpression",
               "UpdateExpression")

_OPERATORS = frozenset({
    "EQ", "NE", "IN", "LE", "LT", "GE", "GT", "BETWEEN", "NOT_NULL", "NULL", "CONTAINS", "NOT_CONTAINS",
    "BEGINS_WITH",
})
_KEY_OPERATORS = frozenset({"EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"})


def check_not_mixed(params: Mapping[str, Any], legacy: Iterable[str], expressions: Iterable[str]) -> None:
    """Reject a request that combines legacy and expression parameters."""
    old = [name for name in legacy if params.get(name) is not None]
    if not old:
        return
    new = [name for name in expressions if params.get(name) is not None]
    if new:
        raise invalid(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old)}}} Expression parameters: {{{', '.join(new)}}}"
        )


def attributes_to_get(value: Any) -> set[str]:
    if not isinstance(value, list) or not value:
        raise invalid("1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: "
                      "Member must have length greater than or equal to 1")
    names: set[str] = set()
    for name in value:
        if not isinstance(name, str) or name == "":
            raise invalid("One or more parameter values were invalid: An attribute name may not be empty")
        if name in names:
            raise invalid(f"One or more parameter values were invalid: Duplicate value in attribute name: {name}")
        names.add(name)
    return names


def condition_map(member: str, value: Any) -> set[str]:
    """Names of a QueryFilter/ScanFilter/Expected/AttributeUpdates map (its keys)."""
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise invalid(f"Invalid {member}: expected a map of attribute names")
    for name, entry in value.items():
        if not isinstance(name, str) or name == "":
            raise invalid("One or more parameter values were invalid: An attribute name may not be empty")
        if not (type(entry) is dict or isinstance(entry, Mapping)):
            raise invalid(f"Invalid {member} for attribute {name}: expected a map")
        operator = entry.get("ComparisonOperator")
        if operator is not None and (not isinstance(operator, str) or operator not in _OPERATORS):
            raise invalid(
                f"1 validation error detected: Value '{operator}' at '{member}.{name}.member.comparisonOperator' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
            )
    return set(value)


def key_conditions(value: Any) -> dict[str, tuple[str, list[Any]]]:
    """``KeyConditions`` as ``{name: (operator, values)}``, checked like DynamoDB does."""
    if not (type(value) is dict or isinstance(value, Mapping)) or not value:
        raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
    if len(value) > 2:
        raise invalid("Conditions can be of length 1 or 2 only")
    result: dict[str, tuple[str, list[Any]]] = {}
    for name, entry in value.items():
        if not (type(entry) is dict or isinstance(entry, Mapping)):
            raise invalid(f"Invalid KeyConditions for attribute {name}: expected a map")
        operator = entry.get("ComparisonOperator")
        values = entry.get("AttributeValueList") or []
        if not isinstance(operator, str) or operator not in _KEY_OPERATORS:
            raise invalid("Attempted conditional constraint is not an indexable operation")
        expected = 2 if operator == "BETWEEN" else 1
        if not isinstance(values, list) or len(values) != expected:
            raise invalid(f"One or more parameter values were invalid: Invalid number of argument(s) for the "
                          f"{operator} ComparisonOperator")
        result[str(name)] = (str(operator), list(values))
    return result
