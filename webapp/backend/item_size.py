"""DynamoDB's 400 KB item limit, measured as DynamoDB measures it, in place of moto's.

DynamoDB refuses an item larger than 400 KB (409,600 bytes), counting each attribute's name and
value as the Developer Guide's "Item sizes and formats" defines them (``capacity.value_size``,
which reads moto's ``DynamoType`` as well as the wire form: a binary by its raw bytes, a number
by its significant digits, lists and maps with their per-element overhead). moto 5.2.1's ``LimitedSizeDict`` (``moto/dynamodb/models/dynamo_type.py``)
instead counts a binary by the length of its *base64 text*, a number by its characters, and
stops at 405,000: a 409,500-byte binary attribute - valid on DynamoDB (ScyllaDB's Alternator
tests, test/alternator/test_limits.py, checked against DynamoDB) - is refused with "Item size has
exceeded the maximum allowed size", and any binary over about 304 KB is.

``install()`` replaces ``LimitedSizeDict.__setitem__`` (the one place moto checks, for PutItem,
UpdateItem, batch and transaction writes alike) with the same check using DynamoDB's sizes; the
error stays moto's ``ItemSizeTooLarge``, whose text is DynamoDB's.

Building an item (moto's ``Item.__init__``, every PutItem and each put of a batch or transaction)
set its attributes one by one, and each set re-sized every attribute already there: an item of
n attributes was sized n(n+1)/2 times (a fifth of a 25-item BatchWriteItem's server CPU with
``benchmarks/restart.py``'s 10-attribute items). ``install()`` also replaces ``Item.__init__``
with one pass keeping a running total, which raises at the same attribute the one-by-one check
did (every partial sum is the same), so each attribute is sized once.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

from webapp.backend.capacity import value_size

#: 400 KB (Developer Guide, "Service, account, and table quotas": item size).
ITEM_LIMIT = 400 * 1024


def _setitem(self: LimitedSizeDict, key: str, value: Any) -> None:
    size = sum(len(str(name).encode("utf-8")) + value_size(held) for name, held in self.items() if name != key)
    if size + len(str(key).encode("utf-8")) + value_size(value) > ITEM_LIMIT:
        raise ItemSizeTooLarge
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


def install() -> None:
    """Make moto's item-size check DynamoDB's (idempotent)."""
    LimitedSizeDict.__setitem__ = _setitem  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
