"""DynamoDB JSON as it is written to files: boto3's attribute values with binaries in base64.

boto3's low-level client returns ``B`` and ``BS`` values as ``bytes``; on the wire and in
DynamoDB's export files they are base64 strings (DynamoDB API Reference, ``AttributeValue``:
"B: An attribute of type Binary ... Base64-encoded"). ``to_json`` and ``from_json`` convert one
item between the two, recursing into maps and lists.

``raw_scan_items`` skips botocore's parse of each scanned item: botocore walks every attribute
value against the service model (about 0.4 ms an item, most of an export's client time), only
for the export to turn binaries back into the base64 they were on the wire. With it, a Scan's
``Items`` are the response's own JSON (DynamoDB JSON already), and the rest of the response
(keys, counts, capacity, and every error) is parsed by botocore as usual.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
        return {"B": _base64(inner)}
    if kind == "BS":
        return {"BS": [_base64(b) for b in inner]}
    if kind == "M":
        return {"M": to_json(inner)}
    if kind == "L":
        return {"L": [_value_to_json(v) for v in inner]}
    return {kind: inner}


def _base64(binary: Any) -> str:
    """A binary as base64 (a ``str`` is one already: an item read by ``raw_scan_items``)."""
    return binary if isinstance(binary, str) else base64.b64encode(bytes(binary)).decode("ascii")


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


_LINE = json.JSONEncoder(separators=(",", ":")).encode


def json_lines(items: list[Item]) -> bytes:
    """A page as export files hold it, one ``{"Item": ...}`` line an item. An item read by
    ``raw_scan_items`` is DynamoDB JSON already and is written as it is (``to_json`` would only
    copy it, a tenth of an export's client time); one holding bytes (botocore's parse) is
    converted."""
    lines = []
    for item in items:
        try:
            lines.append(_LINE({"Item": item}))
        except TypeError:  # bytes: not read raw
            lines.append(_LINE({"Item": to_json(item)}))
    return "".join(line + "\n" for line in lines).encode("ascii")


def key_of(item: Mapping[str, Any], key_names: tuple[str, ...]) -> Item:
    """The primary key of ``item``: its values of the table's key attributes."""
    return {name: item[name] for name in key_names}


@contextmanager
def raw_scan_items(client: Any) -> Iterator[None]:
    """While inside, ``client.scan`` returns ``Items`` in DynamoDB JSON as the response had them."""

    def keep_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict.get("body")
        if response_dict.get("status_code") != 200 or not isinstance(body, bytes) or b'"Items"' not in body:
            return
        document = json.loads(body)
        items = document.pop("Items", None)
        if isinstance(items, list):
            customized_response_dict["Items"] = items
            response_dict["body"] = json.dumps(document).encode("utf-8")

    event, unique_id = "before-parse.dynamodb.Scan", f"raw-scan-items-{id(client)}"
    client.meta.events.register(event, keep_items, unique_id=unique_id)
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id=unique_id)
