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
from iam_policies.errors import ValidationException
from iam_policies.schema import TableSchema

_KEY_TYPES = frozenset({"S", "N", "B"})
_ALL_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})

BAD_KEY = "The provided key element does not match the schema"


class InvalidKeyValue(ValidationException):
    """A key attribute's value the table refuses: another type than its definition, empty, or
    longer than a key may be. On its own request a ``ValidationException`` like any other; as a
    TransactWriteItems member it cancels the transaction with that member's ``ValidationError``
    (``batches.transact_write_items``) instead of refusing the request."""


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


INVALID = "One or more parameter values were invalid: "
#: Developer Guide, "Service, account, and table quotas": partition and sort key value sizes.
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024


def check_key(key: Any, schema: TableSchema) -> str:
    """Validate a ``Key`` map against the key schema; return its partition-key value.

    DynamoDB's checks and texts, in its order (dynalite ``db/index.js`` ``validateKey``, the texts
    pinned by test/getItem.js and test/deleteItem.js, recorded live): exactly the key attributes,
    each of its defined type ("The provided key element does not match the schema"), then not an
    empty string or binary, then within the key size limits."""
    if not (type(key) is dict or isinstance(key, Mapping)) or len(key) != len(schema.key_names):
        raise invalid(BAD_KEY)
    for given in key.values():
        scalar_type(given)  # a malformed value is refused as such (the request's own checks)
    for position, name in enumerate(schema.key_names):
        value: Any = key.get(name)
        kind = schema.attribute_types.get(name)
        if not _has_type(value, kind):
            raise invalid(BAD_KEY)
        _not_empty(value, kind, name, INVALID)
        _within_size(value, kind, is_hash=position == 0)
    for name in schema.key_names[1:]:
        key_value(key[name])
    return key_value(key[schema.partition_key])


def check_item(item: Any, schema: TableSchema) -> str:
    """Validate an ``Item`` (it must hold every key attribute); return its partition-key value.

    DynamoDB's order (dynalite ``db/index.js`` ``validateItem``; texts from test/putItem.js and
    test/batchWriteItem.js, recorded live): each key attribute present ("Missing the key a in the
    item") and of its type ("Type mismatch for key a expected: S actual: N"), not empty, within
    size; then the attributes that key an index (global ones first) of the index key's type."""
    if not (type(item) is dict or isinstance(item, Mapping)):
        raise invalid(INVALID + "Missing the key " + schema.partition_key + " in the item")
    for name, value in item.items():
        if not isinstance(name, str) or name == "":
            raise invalid(INVALID + "An attribute name may not be empty")
        scalar_type(value)
    for position, name in enumerate(schema.key_names):
        value = item.get(name)
        if value is None:
            raise invalid(INVALID + f"Missing the key {name} in the item")
        kind = schema.attribute_types.get(name)
        if not _has_type(value, kind):
            raise InvalidKeyValue(INVALID + f"Type mismatch for key {name} expected: {kind or 'S'} actual: {next(iter(value))}")
        _not_empty(value, kind, name, "One or more parameter values are not valid. ")
        _within_size(value, kind, is_hash=position == 0)
    indexes = sorted(schema.indexes.values(), key=lambda index: index.type != "GSI")
    for index in indexes:
        names = (index.partition_key, index.sort_key) if index.type == "GSI" else (index.sort_key,)
        for name in names:
            kind = schema.attribute_types.get(name) if name is not None else None
            value = item.get(name) if name is not None else None
            if value is not None and kind is not None and not _has_type(value, kind):
                raise InvalidKeyValue(INVALID + f"Type mismatch for Index Key {name} Expected: {kind} "
                              f"Actual: {next(iter(value))} IndexName: {index.name}")
            if value is not None and kind is not None:
                _index_key_not_empty(value, kind, index.name, str(name))
    values = [key_value(item[name]) for name in schema.key_names]
    return values[0]


def _has_type(value: Any, kind: str | None) -> bool:
    """``value`` holds ``kind`` (any key type where the schema does not say which)."""
    if not (type(value) is dict or isinstance(value, Mapping)) or len(value) != 1:
        return False
    if kind is None:
        return any(value.get(k) is not None for k in _KEY_TYPES)
    return value.get(kind) is not None


def _not_empty(value: Mapping[str, Any], kind: str | None, name: str, prefix: str) -> None:
    """Key attributes cannot be empty (Developer Guide, "Supported data types"). DynamoDB words
    it "were invalid" for a ``Key`` and "are not valid" for an ``Item``."""
    for scalar, word in (("S", "string"), ("B", "binary")):
        if kind in (scalar, None) and value.get(scalar) == "":
            raise InvalidKeyValue(prefix + f"The AttributeValue for a key attribute cannot contain an empty {word} value. "
                          f"Key: {name}")


def _index_key_not_empty(value: Mapping[str, Any], kind: str, index: str, name: str) -> None:
    """An item may leave an index key out (it is then not in the index) but not write it empty:
    DynamoDB's text as its users quote it (dynalite issue #184, danishi/dynamodb-csv issue #41);
    refused on PutItem and BatchWriteItem alike (scylladb test/alternator/test_gsi.py
    test_gsi_empty_value, test_gsi_6_write_b_fail, run against DynamoDB)."""
    word = {"S": "string", "B": "binary"}.get(kind)
    if word is not None and value.get(kind) == "":
        raise InvalidKeyValue("One or more parameter values are not valid. A value specified for a secondary index "
                              f"key is not supported. The AttributeValue for a key attribute cannot contain an "
                              f"empty {word} value. IndexName: {index}, IndexKey: {name}")


def _within_size(value: Mapping[str, Any], kind: str | None, *, is_hash: bool) -> None:
    if isinstance(value.get("S"), str):
        size = len(value["S"].encode("utf-8"))
    elif isinstance(value.get("B"), str):
        try:
            size = len(base64.b64decode(value["B"]))
        except (binascii.Error, ValueError):
            return
    else:
        return  # numbers always fit
    if is_hash and size > MAX_HASH_KEY_BYTES:
        # sic: DynamoDB's text has no space before the limit.
        raise InvalidKeyValue(INVALID + f"Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes")
    if not is_hash and size > MAX_RANGE_KEY_BYTES:
        raise InvalidKeyValue(INVALID + f"Aggregated size of all range keys has exceeded the size limit of "
                      f"{MAX_RANGE_KEY_BYTES} bytes")


def item_identity(table: str, schema: TableSchema, key: Mapping[str, Any]) -> tuple[str, ...]:
    """A hashable identity of one item (table + canonical key values), for duplicate checks."""
    return (table, *(key_value(key[name]) for name in schema.key_names))


def sorted_unique(values: Iterable[str]) -> list[str]:
    """Multivalued condition keys are sets; a sorted list keeps comparisons stable."""
    return sorted(set(values))
