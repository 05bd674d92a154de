"""Capacity-unit arithmetic: item sizes, read and write units.

Expected figures follow the Developer Guide ("Read/write capacity mode", "Item sizes and
formats"): 4 KB read units (halved when eventually consistent, doubled in transactions), 1 KB
write units (doubled in transactions).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from webapp.backend.capacity import item_size, read_units, write_units

KB = 1024


@pytest.mark.parametrize(("item", "size"), [
    ({"pk": {"S": "abc"}}, 2 + 3),                                   # name + UTF-8 length
    ({"é": {"S": "ü"}}, 2 + 2),                                      # UTF-8, not characters
    ({"n": {"N": "12345"}}, 1 + 3 + 1),                              # ceil(5 digits / 2) + 1
    ({"n": {"N": "1200.00"}}, 1 + 1 + 1),                            # trailing zeroes trimmed
    ({"n": {"N": "0"}}, 1 + 1 + 1),
    ({"b": {"B": base64.b64encode(b"\x00" * 10).decode()}}, 1 + 10),  # raw bytes, not base64 text
    ({"f": {"BOOL": True}, "z": {"NULL": True}}, 1 + 1 + 1 + 1),
    ({"s": {"SS": ["ab", "cde"]}}, 1 + 5),
    ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (2 + 1) + (2 + 1)),  # 3 + element + 1 each
    ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),          # key name counts too
    ({"m": {"M": {}}}, 1 + 3),
])
def test_item_size(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


@pytest.mark.parametrize(("size", "consistent", "transactional", "units"), [
    (0, True, False, 1.0),            # a read consumes at least one unit (an absent item too)
    (4 * KB, True, False, 1.0),
    (4 * KB + 1, True, False, 2.0),
    (4 * KB + 1, False, False, 1.0),  # eventually consistent: half
    (1, False, False, 0.5),
    (9 * KB, False, True, 6.0),       # transactional: twice the strongly consistent units
])
def test_read_units(size: int, consistent: bool, transactional: bool, units: float) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(("size", "transactional", "units"), [
    (0, False, 1.0), (KB, False, 1.0), (KB + 1, False, 2.0), (3500, False, 4.0), (3500, True, 8.0),
])
def test_write_units(size: int, transactional: bool, units: float) -> None:
    assert write_units(size, transactional=transactional) == units
