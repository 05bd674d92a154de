"""Step 1: each member has its shape's JSON type, or a SerializationException says which.

DynamoDB's Coral deserializer reads the body as a stream of JSON tokens into Java objects and
stops at the first token of the wrong kind, naming the token (``NUMBER_VALUE``, ``TRUE_VALUE``,
``STRING_VALUE``...) and the Java type it was reading. The texts, by the type being read and the
JSON value found, are the ones DynamoDB returns (dynalite ``test/helpers.js`` ``assertType``,
recorded against live DynamoDB); the walk follows the document order, as a stream parser does.
Where a structure sits changes its text: a structure *member* of a structure is a "field", one
inside a list or a map is a "value"; a list or map inside another collection is "parameterized".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from webapp.dynamodb.validation.errors import SerializationException as SerializationError

START_OF_MAP = "Start of structure or map found where not expected"
#: A collection inside a collection, given a scalar (Java's generic type erasure shows through).
CAST = ("class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
        "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class "
        "are in module java.base of loader 'bootstrap')")
JAVA_PACKAGE = "com.amazonaws.dynamodb.v20120810"
#: The Java class Coral reads each botocore scalar type into.
#: The texts Coral accepts for a boolean member, and what they read as.
BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
JAVA_SCALARS = {"string": "String", "boolean": "Boolean", "integer": "Integer", "long": "Long",
                "double": "Double", "float": "Float", "timestamp": "Date"}
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def token(value: Any) -> str:
    """The Jackson token name of a JSON scalar."""
    if value is True:
        return "TRUE_VALUE"
    if value is False:
        return "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


def check(shape: Any, params: dict[str, Any]) -> None:
    """Raise :class:`SerializationError` for the first mistyped member of a request body."""
    _structure_members(shape, params)


def _structure_members(shape: Any, value: Mapping[str, Any]) -> None:
    members = shape.members
    for name, item in value.items() if isinstance(value, dict) else ():
        member = members.get(name)
        if member is None or item is None:
            continue
        fixed = _check(member, item, "field")
        if fixed is not item:
            value[name] = fixed  # type: ignore[index]


def _check(shape: Any, value: Any, position: str) -> Any:
    """``value`` as Coral reads it into ``shape``; ``position`` is ``field``, ``value`` (inside a
    collection) or ``nested`` (a collection inside a collection)."""
    kind = shape.type_name
    if kind == "structure":
        if isinstance(value, dict):
            _structure_members(shape, value)
            return value
        if isinstance(value, list):
            raise SerializationError(f"Unrecognized collection type class {JAVA_PACKAGE}.{shape.name}")
        raise SerializationError("Unexpected value type in payload" if position != "field" else "Unexpected field type")
    if kind == "list":
        if isinstance(value, list):
            _elements(shape.member, list(enumerate(value)), value)
            return value
        if isinstance(value, dict):
            raise SerializationError(START_OF_MAP)
        raise SerializationError(CAST if position == "nested" else "Unexpected field type")
    if kind == "map":
        if isinstance(value, dict):
            _elements(shape.value, list(value.items()), value)
            return value
        if isinstance(value, list):
            raise SerializationError(f"Unrecognized collection type java.util.Map<java.lang.String, {_java(shape.value)}>")
        raise SerializationError(CAST if position == "nested" else "Unexpected field type")
    if kind == "blob":
        return _blob(value)
    return _scalar(kind, value)


def _elements(member: Any, entries: list[tuple[Any, Any]], container: Any) -> None:
    """The entries of a list or a map, each read as ``member`` (a collection in a collection is
    "parameterized", anything else a "value")."""
    inner = "nested" if member.type_name in ("list", "map") else "value"
    for key, item in entries:
        if item is not None:
            fixed = _check(member, item, inner)
            if fixed is not item:
                container[key] = fixed


def _java(shape: Any) -> str:
    """A shape's Java type as it appears in a generic type's name."""
    if shape.type_name == "structure":
        return f"{JAVA_PACKAGE}.{shape.name}"
    if shape.type_name == "list":
        return f"java.util.List<{_java(shape.member)}>"
    if shape.type_name == "map":
        return f"java.util.Map<java.lang.String, {_java(shape.value)}>"
    if shape.type_name == "blob":
        return "java.nio.ByteBuffer"
    return f"java.lang.{JAVA_SCALARS.get(shape.type_name, 'String')}"


def _scalar(kind: str, value: Any) -> Any:
    java = JAVA_SCALARS.get(kind, "String")
    if isinstance(value, dict):
        raise SerializationError(START_OF_MAP)
    if isinstance(value, list):
        raise SerializationError(f"Unrecognized collection type class java.lang.{java}")
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationError(f"{token(value)} cannot be converted to String")
        return value
    if kind == "boolean":
        if isinstance(value, str):
            # Coral reads the words of a boolean as one (dynalite validations/index.js: "'true'/
            # 'false'/'1'/'0'/'no'/'yes' seem to convert fine", and its test/updateItem.js sends
            # {NULL: 'no'} for "must have the value of true", {BOOL: '0'} as a BOOL, recorded live);
            # any other text is a parser error (test/helpers.js assertType Boolean: '23').
            if value.lower() not in BOOLEAN_WORDS:
                raise SerializationError("Unexpected token received from parser")
            return BOOLEAN_WORDS[value.lower()]
        if not isinstance(value, bool):
            raise SerializationError(f"{token(value)} cannot be converted to Boolean")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or isinstance(value, str):
            raise SerializationError(f"{token(value)} cannot be converted to {java}")
        if isinstance(value, float):  # a JSON decimal is truncated to the integer Coral reads
            return int(value)
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or isinstance(value, str):
            raise SerializationError(f"{token(value)} cannot be converted to {java}")
        return value
    if kind == "timestamp":
        # The JSON protocol sends a timestamp as epoch seconds, a number (botocore's serializer);
        # text ("yesterday", an ISO date) reached moto's dateutil and was a 500 (issue 11: fuzzed
        # ListBackups TimeRangeLowerBound), so it is refused in Coral's words for a wrong token.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SerializationError(f"{token(value)} cannot be converted to {java}")
        return value
    return value


def _blob(value: Any) -> Any:
    """Blobs are base64 text; Coral decodes them strictly (no stray padding or bits)."""
    if isinstance(value, dict):
        raise SerializationError(START_OF_MAP)
    if isinstance(value, list):
        raise SerializationError("Unrecognized collection type class java.nio.ByteBuffer")
    if not isinstance(value, str):
        raise SerializationError("only base-64-encoded strings are convertible to bytes")
    if len(value) % 4:
        raise SerializationError(f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(value)}")
    if not _BASE64.fullmatch(value):
        raise SerializationError("Invalid last non-pad Base64 character dectected")
    try:
        if base64.b64encode(base64.b64decode(value, validate=True)).decode() != value:
            raise SerializationError("Invalid last non-pad Base64 character dectected")
    except binascii.Error:
        raise SerializationError("Invalid last non-pad Base64 character dectected") from None
    return value
