"""Rules of the item operations (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan) that the
service model cannot state: legacy and expression parameters not mixed, attribute values well
formed, no duplicate names.

The order is DynamoDB's: the parameter mix first, then the request's attribute values (each
value's own checks in the order of its members), then duplicate names, then the expression maps.
Texts from the API Reference ("AttributeValue"; Developer Guide "Legacy conditional parameters")
and, word for word, from DynamoDB as recorded live by dynalite test/getItem.js, test/putItem.js.
Empty strings and binaries are valid outside keys, in sets too (DynamoDB since 2020; dynalite
test/putItem.js "should put empty values"). The key-schema checks, which need the table, are
``iam_policies.dynamodb.keys``': derive makes them after it has parsed the expressions and found
the table, DynamoDB's order.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from webapp.backend import capacity
from webapp.dynamodb.validation import expressions, updates
from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

INVALID = "One or more parameter values were invalid: "
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
SEVERAL = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")

#: Per operation: (expression parameters, legacy parameters) that may not be combined (Developer
#: Guide, "Legacy conditional parameters"; the lists as dynalite validations/*.js record them).
#: Query's KeyConditions may go with FilterExpression or ProjectionExpression, not with a
#: KeyConditionExpression.
MIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "PutItem": (("ConditionExpression",), ("Expected",)),
    "DeleteItem": (("ConditionExpression",), ("Expected",)),
    "UpdateItem": (("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected")),
    "Scan": (("ProjectionExpression", "FilterExpression"), ("AttributesToGet", "ScanFilter", "ConditionalOperator")),
    "Query": (("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
              ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions")),
}

Step = Callable[[str, Mapping[str, Any]], None]


def mix(operation: str, params: Mapping[str, Any]) -> None:
    expressions, legacy = MIXES[operation]
    used = [name for name in expressions if params.get(name) is not None]
    if used:
        if params.get("KeyConditions") is not None and params.get("KeyConditionExpression") is None:
            legacy = tuple(name for name in legacy if name != "KeyConditions")
        old = [name for name in legacy if params.get(name) is not None]
        if old:
            raise ValidationError(
                "Can not use both expression and non-expression parameters in the same request: "
                f"Non-expression parameters: {{{', '.join(old)}}} Expression parameters: {{{', '.join(used)}}}")
    if params.get("ExpressionAttributeNames") is not None and not used:
        raise ValidationError("ExpressionAttributeNames can only be specified when using expressions")
    with_values = [name for name in expressions if name != "ProjectionExpression"]
    if with_values and params.get("ExpressionAttributeValues") is not None and not any(
            params.get(name) is not None for name in with_values):
        raise ValidationError("ExpressionAttributeValues can only be specified when using expressions: "
                              f"{' and '.join(with_values)} {'are' if len(with_values) > 1 else 'is'} null")


def values(member: str, prefix: str = "") -> Step:
    """Every attribute value of ``member`` (a key, an item, a starting key) well formed."""
    def step(operation: str, params: Mapping[str, Any]) -> None:
        for value in (params.get(member) or {}).values():
            message = attribute_value_error(value)
            if message:
                raise ValidationError(prefix + message)
    return step


def unique_names(operation: str, params: Mapping[str, Any]) -> None:
    names = params.get("AttributesToGet")
    seen: set[str] = set()
    for name in names if isinstance(names, list) else ():
        if name in seen:
            raise ValidationError(INVALID + f"Duplicate value in attribute name: {name}")
        seen.add(name)


def return_values(*allowed: str) -> Step:
    def step(operation: str, params: Mapping[str, Any]) -> None:
        value = params.get("ReturnValues")
        if value is not None and value not in allowed:
            raise ValidationError(f"ReturnValues can only be {' or '.join(allowed)}")
    return step


_NAME_KEY = re.compile(r"#[0-9a-zA-Z_]+")
_VALUE_KEY = re.compile(r":[0-9a-zA-Z_]+")


#: DynamoDB's largest item, 400 KB (Developer Guide, "Service quotas": "Item size").
MAX_ITEM_BYTES = 409600


def item_size(operation: str, params: Mapping[str, Any]) -> None:
    """An item over 400 KB is refused before its table is looked up (dynalite test/putItem.js,
    "Item size has exceeded the maximum allowed size" for a missing table)."""
    item = params.get("Item")
    if isinstance(item, Mapping) and capacity.item_size(item) > MAX_ITEM_BYTES:
        raise ValidationError("Item size has exceeded the maximum allowed size")


def expression_maps(operation: str, params: Mapping[str, Any]) -> None:
    """ExpressionAttributeNames and ExpressionAttributeValues: not empty, keys ``#name`` and
    ``:value``, values well formed (before any expression is parsed)."""
    for member, pattern in (("ExpressionAttributeNames", _NAME_KEY), ("ExpressionAttributeValues", _VALUE_KEY)):
        found = params.get(member)
        if found is None:
            continue
        if not found:
            raise ValidationError(f"{member} must not be empty")
        for key in found:
            if not pattern.fullmatch(key):
                raise ValidationError(f'{member} contains invalid key: Syntax error; key: "{key}"')
    for key, value in (params.get("ExpressionAttributeValues") or {}).items():
        message = attribute_value_error(value)
        if message:
            raise ValidationError(f"ExpressionAttributeValues contains invalid value: {message} for key {key}")


#: Legacy comparison operators: how many values each takes (IN: one or more) and of which types
#: (API Reference, "Condition"; texts recorded live by dynalite).
ARGUMENTS: dict[str, tuple[int, int]] = {
    "NULL": (0, 0), "NOT_NULL": (0, 0), "EQ": (1, 1), "NE": (1, 1), "LE": (1, 1), "LT": (1, 1), "GE": (1, 1),
    "GT": (1, 1), "CONTAINS": (1, 1), "NOT_CONTAINS": (1, 1), "BEGINS_WITH": (1, 1), "IN": (1, 10**9),
    "BETWEEN": (2, 2),
}
TYPES_FOR: dict[str, tuple[str, ...]] = {
    **{op: ("S", "N", "B", "SS", "NS", "BS") for op in ("EQ", "NE")},
    **{op: ("S", "N", "B") for op in ("LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS", "IN", "BETWEEN")},
    "BEGINS_WITH": ("S", "B"),
}
#: Where ``EQ``/``NE`` compare any type: a filter or ``Expected`` matches lists, maps and booleans
#: by value (ScyllaDB Alternator's test_query_filter.py ``test_query_filter_eq`` with L, M and
#: BOOL values, run against real DynamoDB); the documented S/N/B/sets limit holds for keys.
_ANY_TYPE_EQUALITY = frozenset({"QueryFilter", "ScanFilter", "Expected"})


def _operand_types(member: str, operator: Any, arguments: list[Any]) -> None:
    """Each value's type against what ``operator`` takes (API Reference, "Condition")."""
    if operator in ("EQ", "NE") and member in _ANY_TYPE_EQUALITY:
        return
    for value in arguments:
        kind = next(iter(value), None) if isinstance(value, Mapping) else None
        if operator in TYPES_FOR and kind is not None and kind not in TYPES_FOR[operator]:
            raise ValidationError(INVALID + f"ComparisonOperator {operator} is not valid for {kind} AttributeValue type")


def conditions(member: str) -> Step:
    """ScanFilter, QueryFilter and KeyConditions: argument counts, one type, types per operator."""
    def step(operation: str, params: Mapping[str, Any]) -> None:
        for condition in (params.get(member) or {}).values():
            operator = condition.get("ComparisonOperator")
            arguments = condition.get("AttributeValueList") or []
            for value in arguments:
                message = attribute_value_error(value)
                if message:
                    raise ValidationError(message)
            low, high = ARGUMENTS.get(operator, (0, 10**9))
            if not low <= len(arguments) <= high:
                raise ValidationError(INVALID + f"Invalid number of argument(s) for the {operator} ComparisonOperator")
            kinds = [next(iter(value)) for value in arguments]
            if len(set(kinds)) > 1:
                raise ValidationError(INVALID + "AttributeValues inside AttributeValueList must be of same type")
            _operand_types(member, operator, arguments)
            if operator == "BETWEEN":
                between_in_order(arguments)
    return step


def between_in_order(bounds: list[Any]) -> None:
    """A legacy BETWEEN's lower bound may not sort after its upper bound (dynalite
    test/deleteItem.js, recorded live): strings by their UTF-8 bytes, numbers by value,
    binaries by their bytes."""
    if len(bounds) != 2:
        return
    (kind, low), (other, high) = (next(iter(b.items()), (None, None)) for b in bounds)
    if kind != other or not isinstance(low, str) or not isinstance(high, str):
        return
    try:
        if kind == "N":
            later = Decimal(low) > Decimal(high)
        elif kind == "B":
            later = base64.b64decode(low) > base64.b64decode(high)
        else:
            later = low.encode("utf-8") > high.encode("utf-8")
    except (InvalidOperation, ValueError):
        return
    if later:
        raise ValidationError("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")


def expected(operation: str, params: Mapping[str, Any]) -> None:
    """The legacy ``Expected`` map (API Reference, "ExpectedAttributeValue"). ``ConditionalOperator``
    needs conditions to join: with an empty or missing ``Expected`` it is refused (ScyllaDB
    Alternator's test_expected.py ``test_update_expected_empty``, run against real DynamoDB)."""
    if params.get("ConditionalOperator") is not None and not params.get("Expected") and \
            params.get("ConditionExpression") is None:
        raise ValidationError(INVALID + "ConditionalOperator can only be used when Expected is specified")
    for name, condition in (params.get("Expected") or {}).items():
        if "AttributeValueList" in condition and "Value" in condition:
            raise ValidationError(INVALID + f"Value and AttributeValueList cannot be used together for Attribute: {name}")
        operator = condition.get("ComparisonOperator")
        if operator is not None:
            if "Exists" in condition:
                raise ValidationError(
                    INVALID + f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
            if operator not in ("NULL", "NOT_NULL") and "AttributeValueList" not in condition and "Value" not in condition:
                raise ValidationError(INVALID + "Value or AttributeValueList must be used with ComparisonOperator: "
                                      f"{operator} for Attribute: {name}")
            count = len(condition["AttributeValueList"]) if condition.get("AttributeValueList") is not None else (
                1 if condition.get("Value") is not None else 0)
            low, high = ARGUMENTS.get(operator, (0, 10**9))
            if not low <= count <= high:
                raise ValidationError(INVALID + f"Invalid number of argument(s) for the {operator} ComparisonOperator")
            listed = condition.get("AttributeValueList") or []
            if len({next(iter(value), None) for value in listed}) > 1:
                raise ValidationError(INVALID + "AttributeValues inside AttributeValueList must be of same type")
            _operand_types("Expected", operator, listed or ([condition["Value"]] if condition.get("Value") else []))
            if operator == "BETWEEN":
                between_in_order(listed)
        elif "AttributeValueList" in condition:
            raise ValidationError(
                INVALID + f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
        else:
            exists = condition.get("Exists")
            if exists is not False and condition.get("Value") is None:
                shown = "null" if exists is None else str(exists).lower()
                raise ValidationError(INVALID + f"Value must be provided when Exists is {shown} for Attribute: {name}")
            if exists is False and condition.get("Value") is not None:
                raise ValidationError(INVALID + f"Value cannot be used when Exists is false for Attribute: {name}")
            if condition.get("Value") is not None:
                message = attribute_value_error(condition["Value"])
                if message:
                    raise ValidationError(message)


def key_conditions_given(operation: str, params: Mapping[str, Any]) -> None:
    if params.get("KeyConditions") is None and params.get("KeyConditionExpression") is None:
        raise ValidationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
                              "request.")


def segments(operation: str, params: Mapping[str, Any]) -> None:
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if segment and total is None:
        raise ValidationError("The TotalSegments parameter is required but was not present in the request when "
                              "Segment parameter is present")
    if total:
        if segment is None:
            raise ValidationError("The Segment parameter is required but was not present in the request when "
                                  "parameter TotalSegments is present")
        if segment >= total:
            raise ValidationError("The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                  f"Segment: {segment} is not less than TotalSegments: {total}")


START_KEY = "The provided starting key is invalid: "

#: Each operation's checks, in DynamoDB's order (dynalite validations/<operation>.js ``custom``).
STEPS: dict[str, tuple[Step, ...]] = {
    "GetItem": (mix, values("Key"), unique_names, expression_maps, expressions.check),
    "PutItem": (mix, values("Item"), return_values("ALL_OLD", "NONE"), item_size, expected, expression_maps,
                expressions.check),
    "DeleteItem": (mix, values("Key"), return_values("ALL_OLD", "NONE"), expected, expression_maps,
                   expressions.check),
    "UpdateItem": (mix, values("Key"), updates.attribute_updates, expected, expression_maps, expressions.check),
    "Query": (mix, conditions("QueryFilter"), unique_names, values("ExclusiveStartKey", START_KEY),
              key_conditions_given, expression_maps, conditions("KeyConditions"), expressions.check),
    "Scan": (mix, unique_names, conditions("ScanFilter"), values("ExclusiveStartKey", START_KEY), segments,
             expression_maps, expressions.check),
}


def check(operation: str, params: Mapping[str, Any]) -> None:
    for step in STEPS[operation]:
        step(operation, params)


def attribute_value_error(value: Any) -> str | None:
    """What DynamoDB says of a malformed AttributeValue, or None (API Reference "AttributeValue")."""
    if not isinstance(value, dict):
        return EMPTY
    kinds = [kind for kind in value if kind in TYPES and value[kind] is not None]
    if not kinds:
        return EMPTY
    for kind in kinds:
        payload = value[kind]
        message = _one(kind, payload)
        if message:
            return message
    if len(kinds) > 1:
        return SEVERAL
    return None


def _one(kind: str, payload: Any) -> str | None:
    if kind == "N":
        return number_error(payload)
    if kind == "NULL" and payload is not True:
        return INVALID + "Null attribute value types must have the value of true"
    if kind in ("SS", "NS", "BS") and not payload:
        return INVALID + {"SS": "An string set  may not be empty", "NS": "An number set  may not be empty",
                          "BS": "Binary sets should not be empty"}[kind]
    if kind == "NS":
        for item in payload:
            message = number_error(item)
            if message:
                return message
        if len({Decimal(item) for item in payload}) != len(payload):
            return "Input collection contains duplicates"
    if kind == "SS" and len(set(payload)) != len(payload):
        return INVALID + f"Input collection [{', '.join(payload)}] contains duplicates."
    if kind == "BS" and len(set(payload)) != len(payload):
        return INVALID + f"Input collection [{', '.join(payload)}]of type BS contains duplicates."
    if kind == "M" and isinstance(payload, dict):
        for item in payload.values():
            message = attribute_value_error(item)
            if message:
                return message
    if kind == "L" and isinstance(payload, list):
        for item in payload:
            message = attribute_value_error(item)
            if message:
                return message
    return None


def number_error(text: Any) -> str | None:
    """DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99...E+125
    (Developer Guide, "Supported data types": Number)."""
    if not text:
        return "The parameter cannot be converted to a numeric value"
    try:
        # "1_000": Python's Decimal reads PEP 515 underscores, which no number parser DynamoDB's
        # front end runs (Java's BigDecimal, dynalite's Big.js) accepts; refused, not stored as 1000
        plain = isinstance(text, str) and text == text.strip() and "_" not in text
        number = Decimal(text) if plain else Decimal("x")
    except InvalidOperation:
        return f"The parameter cannot be converted to a numeric value: {text}"
    if not number.is_finite():
        return f"The parameter cannot be converted to a numeric value: {text}"
    if number == 0:
        return None
    _sign, all_digits, exponent = number.as_tuple()  # exact, whatever the exponent
    assert isinstance(exponent, int)
    digits = "".join(map(str, all_digits)).lstrip("0")
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    magnitude = len(digits) + exponent - 1  # the exponent of the leading digit
    if magnitude > 125:
        return "Number overflow. Attempting to store a number with magnitude larger than supported range"
    if magnitude < -130:
        return "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    if len(digits) > 38:
        return "Attempting to store more than 38 significant digits in a Number"
    return None


RULES = {operation: (lambda params, operation=operation: check(operation, params)) for operation in STEPS}
