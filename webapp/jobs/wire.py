"""DynamoDB JSON as it is written to files: boto3's attribute values with binaries in base64.

boto3's low-level client returns ``B`` and ``BS`` values as ``bytes``; on the wire and in
DynamoDB's export files they are base64 strings (DynamoDB API Reference, ``AttributeValue``:
"B: An attribute of type Binary ... Base64-encoded"). ``to_json`` and ``from_json`` convert one
item between the two, recursing into maps and lists.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

Item = dict[str, Any]


def to_json(item: Mapping[str, Any]) -> Item:
    """A boto3 item (bytes for binaries) as DynamoDB JSON (base64 strings)."""
    return {name: _value_to_json(value) for name, value in item.items()}


def from_json(item: Mapping[str, Any]) -> Item:
    """A DynamoDB JSON item (base64 binaries) as boto3 takes it (bytes)."""
    return {name: _value_from_json(value) for name, value in item.items()}


def _value_to_json(value: Mapping[str, Any]) -> dict[str, Any]:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(bytes(inner)).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(bytes(b)).decode("ascii") for b in inner]}
    if kind == "M":
        return {"M": to_json(inner)}
    if kind == "L":
        return {"L": [_value_to_json(v) for v in inner]}
    return {kind: inner}


def _value_from_json(value: Mapping[str, Any]) -> dict[str, Any]:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "M":
        return {"M": from_json(inner)}
    if kind == "L":
        return {"L": [_value_from_json(v) for v in inner]}
    return {kind: inner}


def key_of(item: Mapping[str, Any], key_names: tuple[str, ...]) -> Item:
    """The primary key of ``item``: its values of the table's key attributes."""
    return {name: item[name] for name in key_names}
