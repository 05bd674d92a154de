"""Stored items served as the wire carries them, in one walk per item.

A Scan or Query page of stored items used to be walked five times on its way out: moto's
``Item.size()`` (its 1 MB page limit, ``moto_models._page``), moto's ``dynamo_to_dict`` (in
``DynamoResult``, inside the handler ``fast_reads.py`` calls), ``fast_reads.serializer`` (moto's
JSON rules), ``semantics.values.normalize_item`` (DynamoDB's canonical numbers) and
``capacity.item_size`` (``ConsumedCapacity``, throttling and the capacity watch). Profiled in
process on an export of 20,000 items of three attributes, those walks were about four fifths of a
Scan's CPU (cProfile: 21% ``dynamo_to_dict``, 21% ``Item.size``, 21% ``item_size``, 16% the
serialiser, 12% ``normalize_item``).

:func:`serve` makes the one walk of an item's stored attributes (moto's ``DynamoType`` values) and
returns what the five gave:

* the item exactly as that chain renders it - binaries base64 (``B`` and ``BS`` values held as
  bytes, or as base64 text that is decoded and encoded again, as ``dynamo_to_dict`` and the
  serialiser do), numbers in canonical form (``normalize_number``), maps and lists rebuilt, the
  attributes in their stored order - as a :class:`capacity.WireItem`, which carries
* its DynamoDB size (``capacity.item_size`` of that rendering, Developer Guide "Item sizes and
  formats"), which ``item_size`` then returns instead of walking it again, and which
  ``normalize_item`` returns as it is (its numbers are canonical already);
* moto's size of it (``Item.size()``: numbers by their characters, binaries by their stored
  length, no per-element overhead), for the page limit moto's loop applies.

``moto_models._page`` calls it while :func:`wire_pages` is on (``fast_reads.py`` turns it on for
its Query and Scan), and hands moto's handler :class:`Served` entries in place of the items:
the handler only takes each entry's ``attrs``, and ``dynamo_to_dict`` passes an object that is
neither a dict, a list nor a ``DynamoType`` through untouched, so ``fast_reads.py`` finds the
rendered items in the handler's result.

A value the chain would render otherwise or not at all (a non-``DynamoType`` member, a number
that is not text, an unknown type) raises :class:`Unsupported`: ``fast_reads.py`` then answers
``None`` and the request takes the ordinary path, whose answer - or error - is moto's.
``tests/unit/webapp/backend/test_served.py`` compares the walk with the chain on generated
items; ``test_fast_reads.py`` compares whole answers.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item

from webapp.backend.capacity import WireItem, number_size
from webapp.backend.semantics.values import normalize_number


class Unsupported(Exception):
    """A stored value this walk does not render as the chain would: take the ordinary path."""


class Served:
    """A page entry handed to moto's handler in place of an ``Item``: its ``attrs`` is itself,
    which ``dynamo_to_dict`` leaves alone, so the rendered ``wire`` item comes out unchanged."""

    __slots__ = ("wire",)

    def __init__(self, wire: WireItem) -> None:
        self.wire = wire

    @property
    def attrs(self) -> Served:
        return self


_state = threading.local()


@contextmanager
def wire_pages() -> Iterator[None]:
    """While inside, this thread's unfiltered Query and Scan pages are served (see the module doc)."""
    _state.on = True
    try:
        yield
    finally:
        _state.on = False


def serving() -> bool:
    return bool(getattr(_state, "on", False))


def serve(item: Item) -> tuple[Served, int]:
    """``item`` rendered for the wire (with its DynamoDB size), and moto's size of it."""
    wire = WireItem()
    size = moto = 0
    for name, value in item.attrs.items():
        rendered, ours, theirs = _value(value)
        wire[name] = rendered
        length = len(name) if name.isascii() else len(name.encode("utf-8"))
        size += length + ours
        moto += length + theirs
    wire.size = size
    return Served(wire), moto


def _value(value: Any) -> tuple[dict[str, Any], int, int]:
    """(rendering, DynamoDB size, moto's size) of one stored value."""
    if type(value) is not DynamoType:
        raise Unsupported(type(value).__name__)
    kind, inner = value.type, value.value
    if kind == "S":
        if type(inner) is not str:
            raise Unsupported("S")
        length = len(inner) if inner.isascii() else len(inner.encode("utf-8"))
        return {"S": inner}, length, length
    if kind == "N":
        if type(inner) is not str:
            raise Unsupported("N")
        text = normalize_number(inner)
        return {"N": text}, _number_size(text), len(inner)
    if kind == "M":
        if type(inner) is not dict:
            raise Unsupported("M")
        members: dict[str, Any] = {}
        ours, theirs = 3, 0
        for name, member in inner.items():
            rendered, member_ours, member_theirs = _value(member)
            members[name] = rendered
            length = len(name) if name.isascii() else len(name.encode("utf-8"))
            ours += length + member_ours + 1
            theirs += length + member_theirs
        return {"M": members}, ours, theirs
    if kind == "L":
        if type(inner) is not list:
            raise Unsupported("L")
        elements = []
        ours, theirs = 3, 0
        for element in inner:
            rendered, element_ours, element_theirs = _value(element)
            elements.append(rendered)
            ours += element_ours + 1
            theirs += element_theirs
        return {"L": elements}, ours, theirs
    if kind in ("BOOL", "NULL"):
        if type(inner) is not bool:
            raise Unsupported(kind)
        return {kind: inner}, 1, 1
    if kind == "B":
        text, raw = _binary(inner)
        return {"B": text}, raw, _stored_length(inner)
    if type(inner) is not list:
        raise Unsupported(kind)
    if kind == "SS":
        if not all(type(s) is str for s in inner):
            raise Unsupported("SS")
        length = sum(len(s.encode("utf-8")) for s in inner)
        return {"SS": list(inner)}, length, length
    if kind == "NS":
        if not all(type(n) is str for n in inner):
            raise Unsupported("NS")
        texts = [normalize_number(n) for n in inner]
        return {"NS": texts}, sum(_number_size(t) for t in texts), sum(len(n) for n in inner)
    if kind == "BS":
        rendered_set, ours, theirs = [], 0, 0
        for element in inner:
            text, raw = _binary(element)
            rendered_set.append(text)
            ours += raw
            theirs += _stored_length(element)
        return {"BS": rendered_set}, ours, theirs
    raise Unsupported(kind)


def _binary(inner: Any) -> tuple[str, int]:
    """A binary as base64 text, and its length in bytes. moto holds bytes, or the base64 text a
    value arrived as; ``dynamo_to_dict`` decodes the text and the serialiser encodes it again."""
    if type(inner) is bytes:
        raw = inner
    elif type(inner) is str:
        raw = base64.b64decode(inner)
    else:
        raise Unsupported("B")
    return base64.b64encode(raw).strip().decode("utf-8"), len(raw)


def _stored_length(inner: bytes | str) -> int:
    """moto's size of a binary: the length of what it holds (``utilities.bytesize``)."""
    return len(inner) if isinstance(inner, bytes) else len(inner.encode("utf-8"))


def _number_size(text: str) -> int:
    """``capacity.number_size`` without ``Decimal`` for plain decimal text (``-?digits[.digits]``,
    all a canonical number can be): the significant digits are the digits between the first and
    last non-zero one, as ``Decimal(text).as_tuple()`` gives them."""
    digits = text[1:] if text[:1] == "-" else text
    digits = digits.replace(".", "", 1)
    if not (digits.isascii() and digits.isdigit()):
        return number_size(text)
    significant = len(digits.strip("0")) or 1
    return (significant + 1) // 2 + 1
