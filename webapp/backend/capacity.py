"""Capacity units: what an item weighs and what reading or writing it costs.

Arithmetic (DynamoDB Developer Guide, "Read/write capacity mode" and "Item sizes and formats"):

* item size: the UTF-8 length of each attribute name plus its value: strings their UTF-8
  length, binaries their raw length, numbers 1 byte per two significant digits plus 1, booleans
  and nulls 1, sets the sum of their elements, lists and maps 3 bytes plus, per element, its
  size (and key name) plus 1 byte;
* reads: one unit per 4 KB of item (rounded up, at least one), half for eventually consistent
  reads, twice for transactional reads; Query and Scan sum the sizes of every item they
  *evaluate* (before any filter) and round once;
* writes: one unit per 1 KB of the larger of the old and new item, twice in a transaction;
  a failed conditional write still consumes its units.

Pure functions of values: ``metering.py`` applies them to a call (``ConsumedCapacity``),
``throttling.py`` charges them to a table's provisioned throughput.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, cast

READ_UNIT = 4096
WRITE_UNIT = 1024

#: The data-plane operations that consume capacity (PartiQL and control-plane calls are not metered).
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"})
METERED = WRITES | READS


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1. The digits are counted exactly: ``normalize()``
    would round to the context's 28 digits, and DynamoDB numbers have up to 38."""
    try:
        digits: tuple[int, ...] = Decimal(text).as_tuple().digits
    except InvalidOperation:
        digits = tuple(int(c) for c in text if c.isdigit())
    shown = "".join(map(str, digits)).strip("0")
    significant = len(shown) if shown else 1
    return math.ceil(significant / 2) + 1


def _binary_size(value: Any) -> int:
    """A binary's raw length: base64 text on the wire and in moto, bytes once decoded."""
    if isinstance(value, bytes | bytearray):
        return len(value)
    try:
        return len(base64.b64decode(value))
    except (ValueError, TypeError):
        return len(str(value).encode("utf-8"))


def value_size(value: Any) -> int:
    """A value's size: its wire form ``{"S": "x"}``, or moto's ``DynamoType`` (``.type`` and
    ``.value``), which moto also keeps inside lists and maps."""
    if isinstance(value, Mapping):
        if len(value) != 1:
            return 0
        kind, inner = next(iter(value.items()))
    else:
        kind, inner = getattr(value, "type", None), getattr(value, "value", None)
    inner = cast(Any, inner if inner is not None else "")
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return _binary_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(str(n)) for n in inner)
    if kind == "BS":
        return sum(_binary_size(b) for b in inner)
    if kind == "L":
        return 3 + sum([value_size(element) + 1 for element in inner])
    if kind == "M":
        return 3 + sum([len(str(k).encode("utf-8")) + value_size(v) + 1 for k, v in inner.items()])
    return 0


class WireItem(dict[str, Any]):
    """An item in the form a response carries it - numbers canonical, binaries base64 - whose
    ``size`` (``item_size``) was measured in the same walk that built it (``served.py``).
    ``item_size`` returns that size and ``semantics.values.normalize_item`` the item as it is;
    nothing changes a response's items after they are built."""

    __slots__ = ("size",)
    size: int


def item_size(item: Mapping[str, Any] | None) -> int:
    if type(item) is WireItem:
        return item.size
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(size / READ_UNIT)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    units = float(max(1, math.ceil(size / WRITE_UNIT)))
    return units * 2 if transactional else units
