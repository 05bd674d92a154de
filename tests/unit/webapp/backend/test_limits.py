"""Numbers an update computes, and DynamoDB's item size, one row each with its source.

Sources: ALT-NUM = ScyllaDB Alternator's test/alternator/test_number.py (checked against
DynamoDB); DG-Q = Developer Guide, "Service, account, and table quotas" (38 digits, magnitudes
1E-130 to 9.99...E+125, 400 KB items); DG-SIZE = Developer Guide, "Item sizes and formats".
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from webapp.backend import item_size
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import arithmetic

STORED: dict[str, Any] = {"big": {"N": "9e125"}, "one": {"N": "1"}, "s": {"S": "x"}, "m": {"M": {"n": {"N": "1e50"}}}}


@pytest.mark.parametrize(("expression", "values", "error"), [
    ("SET b = :x + :y", {":x": {"N": "9e125"}, ":y": {"N": "9e125"}}, arithmetic.OVERFLOW),  # ALT-NUM
    ("SET b = :x - :y", {":x": {"N": "1e50"}, ":y": {"N": "1"}}, arithmetic.OVERFLOW),  # ALT-NUM: inexact
    ("SET b = :x - :y", {":x": {"N": "1e-130"}, ":y": {"N": "0.9e-130"}}, arithmetic.UNDERFLOW),  # DG-Q
    ("SET b = big + :x", {":x": {"N": "9e125"}}, arithmetic.OVERFLOW),  # DG-Q: a stored operand
    ("SET b = m.n + :x", {":x": {"N": "1"}}, arithmetic.OVERFLOW),  # DG-Q: a nested one
    ("SET b = if_not_exists(q, :x) + :x", {":x": {"N": "9e125"}}, arithmetic.OVERFLOW),  # DG-Q
    ("ADD big :x", {":x": {"N": "9e125"}}, arithmetic.OVERFLOW),  # DG-Q
    ("SET a = :y, b = :x + :y REMOVE s", {":x": {"N": "1"}, ":y": {"N": "1e22"}}, None),  # ALT-NUM: exact
    ("SET b = :x + :y", {":x": {"N": "1"}, ":y": {"S": "x"}}, None),  # not numbers: the engine's error
    ("SET b = one - :x", {":x": {"N": "1"}}, None),  # zero
    ("SET b = :x", {":x": {"N": "9e125"}}, None),  # nothing computed
])
def test_computed_numbers_must_be_storable(expression: str, values: dict[str, Any], error: str | None) -> None:
    params = {"UpdateExpression": expression, "ExpressionAttributeValues": values}
    if error is None:
        arithmetic.check_update(params, lambda: STORED)
    else:
        with pytest.raises(DynamoDBValidationException) as caught:
            arithmetic.check_update(params, lambda: STORED)
        assert caught.value.message == error


@pytest.mark.parametrize(("value", "size"), [
    ({"B": base64.b64encode(b"x" * 300).decode()}, 300),  # DG-SIZE: binaries by their bytes, not base64
    ({"N": "12345"}, 4),  # DG-SIZE: 1 byte per 2 significant digits + 1
    ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + 3 + 3),  # DG-SIZE: 3 + each element + 1
    ({"M": {"k": {"BOOL": True}}}, 3 + 1 + 1 + 1),
    (DynamoType({"L": [{"S": "ab"}]}), 3 + 3),
])
def test_values_weigh_what_dynamodb_says(value: Any, size: int) -> None:
    assert item_size.value_size(value) == size


def test_moto_items_stop_at_400KB_as_dynamodb_counts() -> None:
    item_size.install()
    near = base64.b64encode(b"x" * 409_500).decode()  # DG-Q: under 409,600 bytes with its names
    Item(DynamoType({"S": "k"}), None, {"p": {"S": "k"}, "b": {"B": near}})
    with pytest.raises(ItemSizeTooLarge):
        Item(DynamoType({"S": "k"}), None, {"p": {"S": "k"}, "b": {"S": "x" * 409_600}})


#: Ten 2-byte names; the key attribute ``p`` ("k") weighs 2 bytes (DG-SIZE: names count too).
_NAMES = [f"a{n}" for n in range(10)]


@pytest.mark.parametrize(("overflow_at", "extra", "too_large"), [
    (9, 0, False),   # exactly 400 KB, reached by the last attribute: stored (DG-Q)
    (9, 1, True),    # one byte over, by the last attribute
    (4, 1, True),    # one byte over by the fifth attribute: later ones cannot take it back
    (0, 0, False),   # the first attribute fills the item to the limit, the rest are empty strings
])
def test_an_item_of_many_attributes_is_checked_against_400KB_in_total(
        overflow_at: int, extra: int, too_large: bool) -> None:
    item_size.install()
    room = item_size.ITEM_LIMIT - 2 - 2 * len(_NAMES)  # what the values may hold together
    values = {name: {"S": ""} for name in _NAMES}
    values[_NAMES[overflow_at]] = {"S": "x" * (room + extra)}
    attributes = {"p": {"S": "k"}, **values}
    if too_large:
        with pytest.raises(ItemSizeTooLarge):
            Item(DynamoType({"S": "k"}), None, attributes)
    else:
        built = Item(DynamoType({"S": "k"}), None, attributes)
        assert list(built.attrs) == ["p", *_NAMES]
        assert built.attrs[_NAMES[overflow_at]] == DynamoType(values[_NAMES[overflow_at]])
