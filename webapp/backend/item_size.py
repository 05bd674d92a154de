"""DynamoDB's 400 KB item limit, measured as DynamoDB measures it, in place of moto's.

DynamoDB refuses an item larger than 400 KB (409,600 bytes), counting each attribute's name and
value as the Developer Guide's "Item sizes and formats" defines them (``capacity.value_size``,
which reads moto's ``DynamoType`` as well as the wire form: a binary by its raw bytes, a number
by its significant digits, lists and maps with their per-element overhead). moto 5.2.1's ``LimitedSizeDict`` (``moto/dynamodb/models/dynamo_type.py``)
instead counts a binary by the length of its *base64 text*, a number by its characters, and
stops at 405,000: a 409,500-byte binary attribute - valid on DynamoDB (ScyllaDB's Alternator
tests, test/alternator/test_limits.py, checked against DynamoDB) - is refused with "Item size has
exceeded the maximum allowed size", and any binary over about 304 KB is.

``install()`` replaces ``LimitedSizeDict.__setitem__`` (where moto checks, for PutItem,
UpdateItem, batch and transaction writes alike) with a plain set, and checks the whole item once
per write instead, with DynamoDB's sizes: when moto builds an ``Item`` (every put, PartiQL's
included), after an ``UpdateExpression`` has run, and after legacy ``AttributeUpdates``. The errors
stay moto's ``ItemSizeTooLarge`` (and, for an update expression, its ``ItemSizeToUpdateTooLarge``),
whose texts are DynamoDB's; a refused update is undone by the caller's undo section
(``moto_models.py``), as any failed call is.

Why once and not on every set: moto's check sums the sizes of all the attributes already set each
time one more is set, so building an item of *n* attributes costs *n*²/2 value sizings (a fifth
of a 25-item BatchWriteItem's server CPU with ``benchmarks/restart.py``'s 10-attribute items). An item
of 2,000 small attributes (a few KB, valid on DynamoDB) took two minutes of CPU under the table's
lock, and one of 10,000 held the whole DynamoDB endpoint for the better part of an hour (issue 11,
found by ``benchmarks/fuzz.py --hostile``). Sizes are never negative, so "some prefix of the
attributes is over the limit" and "the whole item is over the limit" are the same test.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import wraps
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

from webapp.backend.capacity import value_size

#: 400 KB (Developer Guide, "Service, account, and table quotas": item size).
ITEM_LIMIT = 400 * 1024


def check(attrs: Mapping[str, Any]) -> None:
    """``ItemSizeTooLarge`` if the item ``attrs`` is larger than DynamoDB's 400 KB."""
    size = 0
    for name, held in attrs.items():
        size += len(str(name).encode("utf-8")) + value_size(held)
        if size > ITEM_LIMIT:
            raise ItemSizeTooLarge


def _setitem(self: LimitedSizeDict, key: str, value: Any) -> None:
    dict.__setitem__(self, key, value)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's ``Item.__init__`` (``DynamoType`` of each attribute, in order, each checked
    against the limit with those before it), sizing each attribute once."""
    self.hash_key = hash_key
    self.range_key = range_key
    built = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        size += len(str(key).encode("utf-8")) + value_size(typed)
        if size > ITEM_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(built, key, typed)
    self.attrs = built


_INSTALLED: list[bool] = []


def install() -> None:
    """Make moto's item-size check DynamoDB's, once per write (idempotent)."""
    if _INSTALLED:
        return
    _INSTALLED.append(True)
    LimitedSizeDict.__setitem__ = _setitem  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    execute = UpdateExpressionExecutor.execute

    @wraps(execute)
    def execute_then_check(self: UpdateExpressionExecutor, node: Any = None) -> None:
        execute(self, node)
        if node is None:  # the whole expression has run (children recurse with their node)
            check(self.item.attrs)

    UpdateExpressionExecutor.execute = execute_then_check  # type: ignore[method-assign]
    attribute_updates = Item.update_with_attribute_updates

    @wraps(attribute_updates)
    def attribute_updates_then_check(self: Item, updates: dict[str, Any]) -> None:
        attribute_updates(self, updates)
        check(self.attrs)

    Item.update_with_attribute_updates = attribute_updates_then_check  # type: ignore[method-assign, assignment]
