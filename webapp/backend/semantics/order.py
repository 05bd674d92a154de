"""The order DynamoDB reads items in, where the API leaves it to the service.

A Query returns a partition's items in sort-key order, which moto keeps. The rest is DynamoDB's
own storage order, which clients see and page through:

* a **Scan** walks the table by the MD5 of each item's partition key (``"Outliers"`` followed by
  the key's bytes, as for segments: ``segments.py``), then by partition key and sort key - so
  ``"2"``, ``"8"``, ``"9"``, ``"1"``... for the keys ``"0"``..``"9"``;
* in a **secondary index**, items with the same index key follow the MD5 of their *table* key
  (partition and sort key bytes together).

Both are DynamoDB's as reproduced by architect/dynalite (``db/index.js`` ``createKey``,
``createIndexKey``, ``hashPrefix``: the first six hex digits) and checked by its ``scan.js``
("should return items in string/number hash order") and ``query.js`` ("should query on basic hash
global index", "...if values are equal") against live DynamoDB.
"""

from __future__ import annotations

import functools
import hashlib
from decimal import Decimal
from typing import Any

from webapp.backend.semantics.segments import key_bytes
from webapp.backend.semantics.values import binary


@functools.lru_cache(maxsize=1 << 17)
def md5_prefix(*parts: tuple[str, Any]) -> str:
    """Six hex digits of MD5("Outliers" + each ``(type, value)`` key part's bytes)."""
    digest = hashlib.md5(b"Outliers", usedforsecurity=False)
    for kind, inner in parts:
        digest.update(key_bytes({kind: inner}))
    return digest.hexdigest()[:6]


def sortable(kind: str, inner: Any) -> Any:
    """A key value as DynamoDB orders it: numbers by value, strings and binaries by their bytes."""
    if kind == "N":
        return Decimal(str(inner))
    if kind == "B":
        return binary(inner)
    return str(inner).encode("utf-8")


def scan_key(hash_part: tuple[str, Any], range_part: tuple[str, Any] | None) -> tuple[Any, ...]:
    """Where an item of the table is in a Scan."""
    key: tuple[Any, ...] = (md5_prefix(hash_part), sortable(*hash_part))
    return key + (sortable(*range_part),) if range_part is not None else key


def index_key(index_parts: list[tuple[str, Any]], table_parts: list[tuple[str, Any]]) -> tuple[Any, ...]:
    """Where an item is in an index: its index key (partition first), then its table key's MD5."""
    key: tuple[Any, ...] = (md5_prefix(index_parts[0]),) + tuple(sortable(*part) for part in index_parts)
    return key + (md5_prefix(*table_parts),) + tuple(sortable(*part) for part in table_parts)
