"""The one-walk rendering of served items (``served.py``) gives what the chain it replaces gives.

The chain: moto's ``dynamo_to_dict`` (``DynamoResult``), ``fast_reads.serializer`` (moto's JSON
rules), ``values.normalize_item`` (canonical numbers), ``capacity.item_size`` (DynamoDB's item
size) and moto's ``Item.size()`` (its 1 MB page limit). Generated stored items - binaries held as
bytes or as base64 text, numbers in any form, nested maps and lists, sets - are rendered both ways.
Whole answers, the page limit and capacity are compared in ``test_fast_reads.py``.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.utilities import dynamo_to_dict

from webapp.backend import served
from webapp.backend.capacity import WireItem, item_size, number_size
from webapp.backend.fast_reads import serializer
from webapp.backend.moto_engine import service_model
from webapp.backend.semantics.values import normalize_item

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)
numbers = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.integers(-10**40, 10**40).map(str),
    st.sampled_from(["0", "-0", "0.0", "00012.50", "1E+3", "-1.5e-7", "+7", ".5", "5.", "1e125", "9" * 38]),
)
raw_bytes = st.binary(max_size=10)
# moto holds a binary as bytes (decoded by its parser) or as the base64 text it arrived as
binaries = st.one_of(raw_bytes, raw_bytes.map(lambda b: base64.b64encode(b).decode()))
scalars = st.one_of(
    texts.map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    binaries.map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.lists(texts, min_size=1, max_size=3, unique=True).map(lambda s: {"SS": s}),
    st.lists(numbers, min_size=1, max_size=3, unique=True).map(lambda s: {"NS": s}),
    st.lists(binaries, min_size=1, max_size=3, unique=True).map(lambda s: {"BS": s}),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda v: {"L": v}),
    st.dictionaries(names, inner, max_size=3).map(lambda v: {"M": v}),
), max_leaves=8)
attributes = st.dictionaries(names, values, min_size=1, max_size=5)


def chain(item: Item) -> tuple[dict[str, Any], int, int]:
    """What the replaced walks give: the rendering, its DynamoDB size, moto's size."""
    output = service_model().operation_model("Scan").output_shape
    rendered = normalize_item(serializer(output)(dynamo_to_dict({"Items": [item.attrs]}))["Items"][0])
    return rendered, item_size(rendered), item.size()


@settings(max_examples=300, deadline=None)
@given(attributes)
def test_one_walk_renders_and_sizes_an_item_as_the_chain_does(attrs: dict[str, Any]) -> None:
    item = Item(DynamoType({"S": "k"}), None, attrs)
    entry, moto_size = served.serve(item)
    rendered, size, expected_moto_size = chain(item)
    assert type(entry.wire) is WireItem
    assert (entry.wire, entry.wire.size, moto_size) == (rendered, size, expected_moto_size)
    assert list(entry.wire) == list(rendered)  # the attributes in their stored order
    assert item_size(entry.wire) == size and normalize_item(entry.wire) is entry.wire
    assert entry.attrs is entry and dynamo_to_dict(entry) is entry  # moto's handler passes it on


@settings(max_examples=300, deadline=None)
@given(st.one_of(numbers, st.sampled_from(["", "-", ".", "1.2.3", "abc", "NaN", "1e5", "٣"])))
def test_number_sizes_without_decimal_are_capacity_number_sizes(text: str) -> None:
    assert served._number_size(text) == number_size(text)


@pytest.mark.parametrize("value", [
    {"S": 5},  # not text
    {"N": 5},
    {"BOOL": "yes"},
    {"SS": ("a", "b")},  # not a list
    {"L": ({"S": "a"},)},
])
def test_a_value_the_chain_would_render_otherwise_takes_the_ordinary_path(value: dict[str, Any]) -> None:
    item = Item(DynamoType({"S": "k"}), None, {"a": {"S": "x"}})
    dynamo = DynamoType({"S": "placeholder"})
    dynamo.type, dynamo.value = next(iter(value.items()))
    dict.__setitem__(item.attrs, "b", dynamo)
    with pytest.raises(served.Unsupported):
        served.serve(item)


def test_pages_are_served_only_inside_wire_pages() -> None:
    assert not served.serving()
    with served.wire_pages():
        assert served.serving()
    assert not served.serving()
    with pytest.raises(RuntimeError), served.wire_pages():
        raise RuntimeError
    assert not served.serving()


def test_a_canonical_number_is_sized_by_its_significant_digits() -> None:
    """The fast count agrees with ``Decimal`` on the corners it relies on."""
    for text in ["0.05", "1000", "-120.0340", "0", "7"]:
        digits = "".join(map(str, Decimal(text).as_tuple().digits)).strip("0")
        assert served._number_size(text) == (len(digits or "0") + 1) // 2 + 1
