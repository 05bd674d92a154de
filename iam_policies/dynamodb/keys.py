"""Key values as condition-key strings, and the key-shape checks DynamoDB makes first.

``dynamodb:LeadingKeys`` holds partition-key *values* as strings (S2, ArrayOfString). AWS does
not say how N and B values are written (fgac-semantics.md G-4). Chosen reading, fail closed for
deny policies: a number is written in its canonical form (``1.01E2``, ``101.0`` and ``101`` all
address the item ``101``, so all three become ``"101"``), a binary value in canonical base64.
A string is taken as sent, byte for byte: no case folding or trimming (security-anchors §4.3,
F-41).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from iam_policies.dynamodb.errors import invalid
from iam_policies.schema import TableSchema

_KEY_TYPES = frozenset({"S", "N", "B"})
_ALL_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})

BAD_KEY = "The provided key element does not match the schema"


def scalar_type(value: Any) -> tuple[str, Any]:
    """The ``(type, payload)`` of a wire AttributeValue, rejecting malformed ones."""
    if not (type(value) is dict or isinstance(value, Mapping)) or len(value) != 1:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    ((kind, payload),) = value.items()
    if kind not in _ALL_TYPES:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    return str(kind), payload


def canonical_number(text: Any) -> str:
    """DynamoDB's number as one canonical string (``"1.50"`` -> ``"1.5"``, ``"1E2"`` -> ``"100"``)."""
    if not isinstance(text, str):
        raise invalid("A value provided cannot be converted into a number")
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise invalid("A value provided cannot be converted into a number") from None
    if not number.is_finite():
        raise invalid("A value provided cannot be converted into a number")
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def canonical_binary(text: Any) -> str:
    """Binary values travel as base64; re-encode so equal bytes give one string."""
    if not isinstance(text, str):
        raise invalid("Invalid Binary value: expected base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("Invalid Binary value: not valid base64") from None
    return base64.b64encode(raw).decode("ascii")


def key_value(value: Any) -> str:
    """The condition-key string for a key attribute value (S, N or B only)."""
    if type(value) is dict and len(value) == 1:
        text = value.get("S")
        if type(text) is str and text:
            return text
    kind, payload = scalar_type(value)
    if kind not in _KEY_TYPES:
        raise invalid(BAD_KEY)
    if kind == "S":
        if not isinstance(payload, str):
            raise invalid(BAD_KEY)
        if payload == "":
            raise invalid(
                "One or more parameter values are not valid. The AttributeValue for a key attribute "
                "cannot contain an empty string value."
            )
        return payload
    if kind == "N":
        return canonical_number(payload)
    return canonical_binary(payload)


def check_key(key: Any, key_names: tuple[str, ...]) -> str:
    """Validate a ``Key`` map against the key schema; return its partition-key value."""
    if not (type(key) is dict or isinstance(key, Mapping)) or len(key) != len(key_names):
        raise invalid(BAD_KEY)
    for name in key_names:
        if name not in key:
            raise invalid(BAD_KEY)
    for name in key_names[1:]:
        key_value(key[name])
    return key_value(key[key_names[0]])


def check_item(item: Any, key_names: tuple[str, ...]) -> str:
    """Validate an ``Item`` (it must hold every key attribute); return its partition-key value."""
    if not (type(item) is dict or isinstance(item, Mapping)) or not item:
        raise invalid("One or more parameter values were invalid: Missing the key " + key_names[0] + " in the item")
    for name in key_names:
        if name not in item:
            raise invalid(f"One or more parameter values were invalid: Missing the key {name} in the item")
    for name, value in item.items():
        if not isinstance(name, str) or name == "":
            raise invalid("One or more parameter values were invalid: An attribute name may not be empty")
        scalar_type(value)
    values = [key_value(item[name]) for name in key_names]
    return values[0]


def item_identity(table: str, schema: TableSchema, key: Mapping[str, Any]) -> tuple[str, ...]:
    """A hashable identity of one item (table + canonical key values), for duplicate checks."""
    return (table, *(key_value(key[name]) for name in schema.key_names))


def sorted_unique(values: Iterable[str]) -> list[str]:
    """Multivalued condition keys are sets; a sorted list keeps comparisons stable."""
    return sorted(set(values))
