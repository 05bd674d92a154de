"""Parallel Scan: which ``Segment`` of ``TotalSegments`` an item belongs to, as DynamoDB decides.

DynamoDB splits a table by the hash of each item's partition key (Developer Guide, "Parallel
scan"); the API does not document the hash, but dynalite reproduced it against live DynamoDB
(architect/dynalite ``db/index.js`` ``hashPrefix``, checked by its ``scan`` tests with
``REMOTE=1``): the MD5 of ``"Outliers"`` followed by the key's bytes (a string's UTF-8, a
binary's bytes, a number in DynamoDB's internal base-100 encoding), whose first three hex digits
``h`` (0..4095) fall in segment ``s`` when ``ceil(4096 s / T) <= h <= ceil(4096 (s + 1) / T) - 1``.
moto assigns segments by Python's own hash, so an item is found in another segment than on AWS.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from webapp.backend.semantics.values import binary

_EXACT = Context(prec=60)


def number_bytes(text: str) -> bytes:
    """DynamoDB's byte encoding of a number: an exponent byte, then base-100 digit pairs (each
    plus one; negatives complemented, with a terminator); zero is ``0x80``."""
    value = Decimal(text)
    if value.is_zero():
        return bytes([0x80])
    sign, digits, exponent_ = value.normalize(_EXACT).as_tuple()
    assert isinstance(exponent_, int)
    negative = sign == 1
    exponent = len(digits) + exponent_  # the power of ten just above the first digit
    pad = 1 if exponent % 2 else 0
    padded = [0] * pad + list(digits)
    if len(padded) % 2:
        padded.append(0)
    pairs = [10 * padded[i] + padded[i + 1] for i in range(0, len(padded), 2)]
    head = (exponent + pad) // 2 - 64
    if negative:
        head = ~head
    body = [101 - pair if negative else pair + 1 for pair in pairs]
    tail = [102] if negative and len(pairs) < 20 else []
    return bytes([head & 0xFF, *body, *tail])


def key_bytes(value: Mapping[str, Any]) -> bytes:
    kind, inner = next(iter(value.items()))
    if kind == "N":
        return number_bytes(str(inner))
    if kind == "B":
        return binary(inner)
    return str(inner).encode("utf-8")


def segment_of(hash_key: Mapping[str, Any], total: int) -> int:
    kind, inner = next(iter(hash_key.items()))
    return segment_of_prefix(hash_prefix(kind, inner if isinstance(inner, str) else str(inner)), total)


@functools.lru_cache(maxsize=1 << 17)
def hash_prefix(kind: str, inner: str) -> int:
    """The first three hex digits (0..4095) of the key's hash: what places it in a segment, for
    any ``TotalSegments``. Cached: a parallel scan asks for every item's prefix on every page."""
    return int(hashlib.md5(b"Outliers" + key_bytes({kind: inner}), usedforsecurity=False).hexdigest()[:3], 16)


def segment_of_prefix(prefix: int, total: int) -> int:
    """The ``s`` with ``ceil(4096 s / T) <= prefix < ceil(4096 (s + 1) / T)``."""
    segment = prefix * total // 4096
    while segment + 1 < total and math.ceil(4096 * (segment + 1) / total) <= prefix:
        segment += 1
    while segment > 0 and math.ceil(4096 * segment / total) > prefix:
        segment -= 1
    return segment
