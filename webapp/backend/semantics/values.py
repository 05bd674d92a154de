"""DynamoDB attribute values as the wire carries them (``{"N": "1.5"}``): equality, order, numbers.

Sources:

* Developer Guide, "Comparison operator and function reference" (Expressions.OperatorsAndFunctions):
  ``a = b`` is true only when both hold the same type and value; ``<``, ``<=``, ``>``, ``>=`` and
  ``BETWEEN`` order numbers by value, strings by their UTF-8 bytes and binaries by their unsigned
  bytes, and never order two values of different types. The observations behind the corners
  (a missing attribute equals nothing, not even another missing one; ``<>`` with a missing side is
  true) are the ones ScyllaDB's Alternator tests make against real DynamoDB
  (``test/alternator/test_condition_expression.py``, issue 8511).
* API Reference, ``AttributeValue``: "Numbers are sent across the network to DynamoDB as strings
  ... leading and trailing zeroes are trimmed"; up to 38 digits of precision, magnitudes from
  1E-130 to 9.9999999999999999999999999999999999999E+125.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from webapp.backend.capacity import WireItem

Value = Mapping[str, Any]

SCALAR_TYPES = frozenset({"S", "N", "B"})
#: A number already in canonical form (no exponent, no redundant zeros, no ``+``, no ``-0``).
_CANONICAL = re.compile(r"-?[1-9][0-9]*(?:\.[0-9]*[1-9])?|0|-?0\.[0-9]*[1-9]")
#: Enough digits for any DynamoDB number (38 significant digits): normalizing never rounds.
_EXACT = Context(prec=60)


def kind(value: Value | None) -> str | None:
    """The value's type descriptor (``S``, ``N``, ``L``, ...), ``None`` for no value."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    return str(next(iter(value)))


def number(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def binary(text: Any) -> bytes:
    """A ``B`` value's bytes (the wire carries base64; a client may also hand raw bytes through)."""
    if isinstance(text, bytes | bytearray):
        return bytes(text)
    try:
        return base64.b64decode(str(text), validate=False)
    except (binascii.Error, ValueError):
        return str(text).encode("utf-8")


def _scalar_key(kind_: str, inner: Any) -> Any:
    if kind_ == "N":
        return number(inner)
    if kind_ == "B":
        return binary(inner)
    if kind_ == "S":
        return str(inner).encode("utf-8")
    return inner


def equal(left: Value | None, right: Value | None) -> bool:
    """DynamoDB's ``=``: same type and same value; sets ignore order; a missing side is unequal."""
    lk, rk = kind(left), kind(right)
    if lk is None or rk is None or lk != rk:
        return False
    assert left is not None and right is not None
    a, b = left[lk], right[rk]
    if lk in SCALAR_TYPES:
        return bool(_scalar_key(lk, a) == _scalar_key(lk, b))
    if lk in ("SS", "NS", "BS"):
        element = lk[0]
        return {_scalar_key(element, x) for x in a or ()} == {_scalar_key(element, x) for x in b or ()}
    if lk == "L":
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            equal(x, y) for x, y in zip(a, b, strict=True))
    if lk == "M":
        return isinstance(a, Mapping) and isinstance(b, Mapping) and a.keys() == b.keys() and all(
            equal(a[name], b[name]) for name in a)
    if lk == "BOOL":
        return bool(a) == bool(b)
    return lk == "NULL"


def compare(left: Value | None, right: Value | None) -> int | None:
    """``-1``, ``0`` or ``1`` for two values DynamoDB can order (both ``S``, both ``N`` or both
    ``B``); ``None`` otherwise (a missing side, another type, mixed types): the comparison is false."""
    lk, rk = kind(left), kind(right)
    if lk is None or lk != rk or lk not in SCALAR_TYPES:
        return None
    assert left is not None and right is not None
    a, b = _scalar_key(lk, left[lk]), _scalar_key(rk, right[rk])
    if a is None or b is None:
        return None
    return int((a > b) - (a < b))


def contains(container: Value | None, element: Value | None) -> bool:
    """``contains(path, operand)``: a substring of a string, a subsequence of a binary, a member
    of a set of the operand's type, or an element of a list (Developer Guide, "Functions")."""
    ck, ek = kind(container), kind(element)
    if ck is None or ek is None:
        return False
    assert container is not None and element is not None
    inner, wanted = container[ck], element[ek]
    if ck == "S" and ek == "S":
        return str(wanted) in str(inner)
    if ck == "B" and ek == "B":
        return binary(wanted) in binary(inner)
    if ck in ("SS", "NS", "BS"):
        if ek != ck[0]:
            return False
        key = _scalar_key(ek, wanted)
        return any(_scalar_key(ek, member) == key for member in inner or ())
    if ck == "L":
        return any(equal(member, element) for member in inner or ())
    return False


def begins_with(subject: Value | None, prefix: Value | None) -> bool:
    """``begins_with(path, substr)``: strings by characters, binaries by bytes, same type only."""
    sk, pk = kind(subject), kind(prefix)
    if sk is None or sk != pk or sk not in ("S", "B"):
        return False
    assert subject is not None and prefix is not None
    if sk == "S":
        return str(subject["S"]).startswith(str(prefix["S"]))
    return binary(subject["B"]).startswith(binary(prefix["B"]))


def size(value: Value | None) -> int | None:
    """``size(path)``: characters of a string, bytes of a binary, elements of a set, list or map;
    ``None`` (the comparison is then false) for a missing attribute or a type without a size."""
    k = kind(value)
    if k is None:
        return None
    assert value is not None
    inner = value[k]
    if k == "S":
        return len(str(inner))
    if k == "B":
        return len(binary(inner))
    if k in ("SS", "NS", "BS", "L", "M"):
        return len(inner or ())
    return None


def normalize_number(text: str) -> str:
    """DynamoDB's canonical text for a number: no leading or trailing zeros, no exponent, no
    ``+``, ``-0`` as ``0`` (API Reference, AttributeValue ``N``; ``-0015.789e6`` -> ``-15789000``)."""
    if _CANONICAL.fullmatch(text):  # the common case, as stored numbers are canonical already
        return text
    value = number(text)
    if value is None or not value.is_finite():
        return text
    if value.is_zero():
        return "0"
    out = format(value.normalize(_EXACT), "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def canonical_request(value: Any) -> Any:
    """A request with every number value (``{"N": ...}``, ``{"NS": [...]}``, at any depth) in
    canonical form, so that moto stores, keys and computes on DynamoDB's numbers (``01`` and
    ``1`` are one key; ``1e2 + 1`` is ``101``, where moto's arithmetic crashed on the exponent).
    A value outside DynamoDB's range is left for validation to refuse."""
    if isinstance(value, list):
        return [canonical_request(element) for element in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        if isinstance(value.get("N"), str):
            return {"N": _in_range(value["N"])}
        if isinstance(value.get("NS"), list) and all(isinstance(x, str) for x in value["NS"]):
            return {"NS": [_in_range(x) for x in value["NS"]]}
    return {name: canonical_request(inner) for name, inner in value.items()}


def _in_range(text: str) -> str:
    found = number(text)
    if found is None or not found.is_finite():
        return text
    if not found.is_zero():
        if not -130 <= found.adjusted() <= 125:  # first: normalizing 1e99999999999 overflows the context
            return text
        if len(found.normalize(_EXACT).as_tuple().digits) > 38:
            return text
    return normalize_number(text)


def normalize(value: Any) -> Any:
    """``value`` with every number (``N``, ``NS``, nested in ``L``/``M``) in canonical form."""
    k = kind(value)
    if k is None:
        return value
    inner = value[k]
    if k == "N":
        return {"N": normalize_number(str(inner))}
    if k == "NS" and isinstance(inner, list):
        return {"NS": [normalize_number(str(x)) for x in inner]}
    if k == "L" and isinstance(inner, list):
        return {"L": [normalize(x) for x in inner]}
    if k == "M" and isinstance(inner, Mapping):
        return {"M": {name: normalize(x) for name, x in inner.items()}}
    return value


def normalize_item(item: Any) -> Any:
    if type(item) is WireItem or not isinstance(item, Mapping):  # a WireItem's numbers are canonical
        return item
    return {name: normalize(value) for name, value in item.items()}
