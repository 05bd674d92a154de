"""Rules of the item operations (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan) that the
service model cannot state: legacy and expression parameters not mixed, attribute values well
formed, no duplicate names.

The order is DynamoDB's: the parameter mix first, then the request's attribute values (each
value's own checks in the order of its members), then duplicate names, then the expression maps.
Texts from the API Reference ("AttributeValue"; Developer Guide "Legacy conditional parameters")
and, word for word, from DynamoDB as recorded live by dynalite test/getItem.js, test/putItem.js.
Key-schema checks (which need the table) stay with the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

INVALID = "One or more parameter values were invalid: "
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
SEVERAL = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")

#: Per operation: (legacy parameters, expression parameters) that may not be combined (Developer
#: Guide, "Legacy conditional parameters"). Query's KeyConditions may be combined with
#: expressions (DynamoDB accepts KeyConditions with FilterExpression or ProjectionExpression).
MIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GetItem": (("AttributesToGet",), ("ProjectionExpression",)),
    "PutItem": (("Expected",), ("ConditionExpression",)),
    "DeleteItem": (("Expected",), ("ConditionExpression",)),
    "UpdateItem": (("AttributeUpdates", "Expected"), ("UpdateExpression", "ConditionExpression")),
    "Scan": (("AttributesToGet", "ScanFilter", "ConditionalOperator"), ("ProjectionExpression", "FilterExpression")),
    "Query": (("AttributesToGet", "QueryFilter", "ConditionalOperator"),
              ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")),
}

#: The members holding whole attribute values (a key or an item), per operation, in check order.
VALUES: dict[str, tuple[str, ...]] = {
    "GetItem": ("Key",),
    "PutItem": ("Item",),
    "DeleteItem": ("Key",),
    "UpdateItem": ("Key",),
    "Query": ("ExclusiveStartKey",),
    "Scan": ("ExclusiveStartKey",),
}


def check(operation: str, params: Mapping[str, Any]) -> None:
    legacy, expressions = MIXES[operation]
    used_legacy = [name for name in legacy if params.get(name) is not None]
    used_expressions = [name for name in expressions if params.get(name) is not None]
    if used_legacy and used_expressions:
        raise ValidationError(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(used_legacy)}}} "
            f"Expression parameters: {{{', '.join(used_expressions)}}}")
    for name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if params.get(name) is not None and not used_expressions:
            raise ValidationError(f"{name} can only be specified when using expressions")
    for member in VALUES[operation]:
        for value in (params.get(member) or {}).values():
            message = attribute_value_error(value)
            if message:
                raise ValidationError(message)
    names = params.get("AttributesToGet")
    if isinstance(names, list):
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValidationError(INVALID + f"Duplicate value in attribute name: {name}")
            seen.add(name)
    if params.get("ExpressionAttributeNames") == {}:
        raise ValidationError("ExpressionAttributeNames must not be empty")
    values = params.get("ExpressionAttributeValues")
    if values == {}:
        raise ValidationError("ExpressionAttributeValues must not be empty")
    for key, value in (values or {}).items():
        message = attribute_value_error(value)
        if message:
            raise ValidationError(f"ExpressionAttributeValues contains invalid value: {message} for key {key}")


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
    if kind == "B" and not payload:
        return INVALID + "An AttributeValue may not contain a null or empty binary type."
    if kind == "NULL" and payload is not True:
        return INVALID + "Null attribute value types must have the value of true"
    if kind in ("SS", "NS", "BS") and not payload:
        return INVALID + {"SS": "An string set  may not be empty", "NS": "An number set  may not be empty",
                          "BS": "Binary sets should not be empty"}[kind]
    if kind == "SS" and any(item == "" for item in payload):
        return INVALID + "An string set may not have a empty string as a member"
    if kind == "BS" and any(not item for item in payload):
        return INVALID + "Binary sets may not contain null or empty values"
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
        number = Decimal(text.strip()) if isinstance(text, str) and text == text.strip() else Decimal("x")
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


RULES = {operation: (lambda params, operation=operation: check(operation, params)) for operation in MIXES}
