"""Dropping a request's condition or filter without leaving its placeholders behind.

The layer evaluates conditions and filters itself and hands moto the request without them; the
``#name`` / ``:value`` placeholders only they used must go too, or moto (like DynamoDB) refuses
the request for defining unused ones ("Value provided in ExpressionAttributeValues unused in
expressions").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


def without(params: Mapping[str, Any], drop: Iterable[str], keep_expressions: Iterable[str]) -> dict[str, Any]:
    """``params`` without the members in ``drop``, keeping only the placeholders used by the
    members named in ``keep_expressions`` that remain."""
    dropped = set(drop)
    out = {k: v for k, v in params.items() if k not in dropped}
    used: set[str] = set()
    for name in keep_expressions:
        text = out.get(name)
        if isinstance(text, str):
            used.update(_PLACEHOLDER.findall(text))
    for member in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        given = out.get(member)
        if not isinstance(given, Mapping):
            continue
        kept = {k: v for k, v in given.items() if k in used}
        if kept:
            out[member] = kept
        else:
            out.pop(member)
    return out
