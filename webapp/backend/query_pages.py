"""Query candidates from one partition, of the table or of an index, without moto's walk.

moto 5.2.1's ``Table.query`` (``moto/dynamodb/models/table.py``) finds a Query's items by walking
``all_items()`` - every item of the table, in scan order - and keeping those of the partition;
for an index it also tests every item for the index's key attributes, then sorts the matches,
skips up to the ``ExclusiveStartKey`` one comparison at a time, deep-copies every item it
returns and sizes each one twice. A Query's cost grew with the table, not with its answer: a
``begins_with`` Query of one user's tags walked every user's tags.

What the semantic layer asks moto (``semantics/reads.py``: no filter, no projection; it applies
those itself) only needs the partition's items, in order, from the start key on, that meet the
sort-key condition. :func:`candidates` gives exactly those, for ``moto_models._page`` to cut into
a page as moto's loop does:

* **The table**: the partition is ``table.items[hash_key]``; it is ordered as moto orders it (the
  sort key's ``cast_value``: numbers by value, strings by code point = by UTF-8 bytes, which is
  DynamoDB's order too), and the start key is found by bisecting, in DynamoDB's order of the
  table's keys (``moto_models._item_comes_before_dct``: the same order within a partition) when
  the sort key is a string or number; otherwise item by item with that same comparison.
* **An index** with one partition and at most one sort key attribute: its items grouped by
  partition value once per state of the table (:class:`IndexGroups`, dropped with the scan order
  on every put, delete, rollback or restored image, and by ``update_item``, which changes an item's
  attributes in place), each group sorted by ``semantics/order.index_key`` as the index is read
  (``moto_models.sorted_items``: keys are unique, ties cannot reorder), the start key bisected
  in that order. Membership is ``moto_models._indexed``'s (DynamoDB leaves out items whose index
  key has another type or is empty).
* The sort-key condition is moto's own ``DynamoType.compare`` of the attribute it names.

Answered ``None`` (moto's loop answers, and raises its errors) for anything else: a missing
index, a consistent read of a global index, multi-attribute keys, a key condition on another
attribute, a start key that lacks the order's attributes.

One difference from moto's loop, where DynamoDB is followed: moto tests its 1 MB limit, and its
``Limit``, against every item of the *partition*, so an item past the sort-key range that would
not fit gave a ``LastEvaluatedKey``; DynamoDB reads only the range ("Query": a Query reads the
items whose keys meet the condition, then applies the 1 MB limit). A ``Limit`` met exactly at the
end of the range still gives one (``semantics/reads.py`` adds it, as DynamoDB returns it).
``tests/unit/webapp/backend/test_query_pages.py`` compares every page with moto's loop.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, SecondaryIndex, Table

from webapp.backend.semantics import order
from webapp.backend.semantics.segments import hash_prefix, segment_of_prefix

#: Key types whose ``cast_value`` orders as DynamoDB orders them (``order.sortable``).
_ORDERED_TYPES = frozenset({"S", "N"})

Found = tuple[Iterable[Item], "SecondaryIndex | None"]


def candidates(table: Table, hash_key: DynamoType | None, range_comparison: str | None,
               range_objs: list[DynamoType], exclusive_start_key: dict[str, Any] | None,
               scan_index_forward: bool, index_name: str | None, consistent_read: bool,
               hash_key_conditions: list[tuple[str, DynamoType]] | None,
               range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None) -> Found | None:
    """The items a Query reads, in order, and the index read (``None``: the table); or ``None``
    when moto's loop must answer (see the module doc)."""
    if hash_key is None or (range_key_conditions and len(range_key_conditions) > 1):
        return None
    if index_name:
        return _from_index(table, hash_key, range_comparison, range_objs, exclusive_start_key,
                           scan_index_forward, index_name, consistent_read, hash_key_conditions,
                           range_key_conditions)
    range_attr = table.range_key_attr
    if hash_key_conditions and [name for name, _ in hash_key_conditions] != [table.hash_key_attr]:
        return None
    if range_comparison and (not range_attr or not range_key_conditions or range_key_conditions[0][0] != range_attr):
        return None
    items = _partition(table, hash_key)
    if exclusive_start_key is not None:
        skipped = _after_start(table, hash_key, items, exclusive_start_key, scan_index_forward)
        if skipped is None:
            return None
        items = skipped
    elif not scan_index_forward:
        items = items[::-1]
    if range_comparison and range_attr:
        return _meeting(items, range_attr, range_comparison, range_objs), None
    return items, None


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    """The partition's items in moto's order (``possible_results.sort(key=range_key)``)."""
    partition: Any = table.items.get(hash_key)
    if partition is None:
        return []
    if not table.range_key_attr:
        return [partition]
    items = list(partition.values())
    items.sort(key=lambda item: item.range_key.cast_value)
    return items


def _after_start(table: Table, hash_key: DynamoType, items: list[Item], start: dict[str, Any],
                 forward: bool) -> list[Item] | None:
    """``items`` (ascending) in the direction read, without those at or before ``start``."""
    hash_attr, range_attr = table.hash_key_attr, table.range_key_attr
    if hash_attr not in start or (range_attr and range_attr not in start):
        return None
    start_hash = DynamoType(start[hash_attr])
    start_range = DynamoType(start[range_attr]) if range_attr else None
    ordered = forward
    if (_part(start_hash) == _part(hash_key) and start_range is not None
            and items and start_range.type in _ORDERED_TYPES
            and all(item.range_key.type == start_range.type for item in (items[0], items[-1]))):  # type: ignore[union-attr]
        keys = [item.range_key.cast_value for item in items]  # type: ignore[union-attr]
        # ``_item_comes_before_dct`` within one partition: by the sort key, equal included
        if ordered:
            return items[bisect.bisect_right(keys, start_range.cast_value):]
        return items[:bisect.bisect_left(keys, start_range.cast_value)][::-1]
    walked = items if ordered else items[::-1]
    before = table._item_comes_before_dct  # the comparison moto's loop makes, one item at a time
    names: list[str] = [hash_attr]
    ranges: list[str | None] = [range_attr]
    for position, item in enumerate(walked):
        if not before(item, start, names, ranges, ordered):
            return walked[position:]
    return []


def _meeting(items: Iterable[Item], attr: str, comparison: str, objs: list[DynamoType]) -> Iterator[Item]:
    """The items whose ``attr`` meets the sort-key condition, as moto's loop tests it."""
    for item in items:
        value = item.attrs.get(attr)
        if value is not None and value.compare(comparison, objs):
            yield item


# Indexes ------------------------------------------------------------------------------------------


def _from_index(table: Table, hash_key: DynamoType, range_comparison: str | None, range_objs: list[DynamoType],
                exclusive_start_key: dict[str, Any] | None, scan_index_forward: bool, index_name: str,
                consistent_read: bool, hash_key_conditions: list[tuple[str, DynamoType]] | None,
                range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None) -> Found | None:
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None or (consistent_read and isinstance(index, GlobalSecondaryIndex)):
        return None  # moto's errors
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hashes) != 1 or len(ranges) > 1:
        return None
    if not hash_key_conditions or len(hash_key_conditions) != 1 or hash_key_conditions[0][0] != hashes[0]:
        return None
    if range_comparison and (not ranges or not range_key_conditions or range_key_conditions[0][0] != ranges[0]):
        return None
    groups = IndexGroups.of(table, index)
    items, keys = groups.partition(hash_key_conditions[0][1])
    if exclusive_start_key is not None:
        start = groups.order_of(lambda name: DynamoType(exclusive_start_key[name])
                                if name in exclusive_start_key else None)
        if start is None:
            return None
        if scan_index_forward:
            items = items[bisect.bisect_right(keys, start):]
        else:
            items = items[:bisect.bisect_left(keys, start)][::-1]
    elif not scan_index_forward:
        items = items[::-1]
    if range_comparison:
        return _meeting(items, ranges[0], range_comparison, range_objs), index
    return items, index


class IndexGroups:
    """An index's items by partition value, each partition sorted in the index's order on first
    read, kept in step with every write (:func:`replaced`) for one state of the table."""

    _lock = threading.Lock()

    def __init__(self, table: Table, index: SecondaryIndex) -> None:
        self._index = index
        self._wanted = self.wanted(table, index)
        self._table_keys = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
        self._hash = self._wanted[0][0]
        #: partition value -> the items it holds, by table key (insertion order: unsorted)
        self._items: dict[DynamoType, dict[tuple[DynamoType, DynamoType | None], Item]] = {}
        #: partition value -> its items and their places, ascending (made on first read)
        self._sorted: dict[DynamoType, tuple[list[Item], list[Any]]] = {}
        #: the partitions in the index's order, with their places (made on first scan)
        self._partitions: tuple[list[Any], list[DynamoType]] | None = None
        for item in _all(table):
            if self._holds(item):
                self._items.setdefault(item.attrs[self._hash], {})[(item.hash_key, item.range_key)] = item

    @classmethod
    def of(cls, table: Table, index: SecondaryIndex) -> IndexGroups:
        """The table's groups for ``index``, built once per state of the table."""
        cache: dict[str, Any] | None = table.__dict__.get("_index_groups")
        if cache is None or cache["items"] is not table.items:
            cache = {"items": table.items, "groups": {}}
            table.__dict__["_index_groups"] = cache
        found: IndexGroups | None = cache["groups"].get(index.name)
        if found is None or not found._describes(table, index):
            with cls._lock:
                found = cache["groups"].get(index.name)
                if found is None or not found._describes(table, index):
                    found = cache["groups"][index.name] = cls(table, index)
        return found

    @staticmethod
    def wanted(table: Table, index: SecondaryIndex) -> list[tuple[str, str | None]]:
        """The index's key attributes, partition key first, with their declared types."""
        types = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
        schema = sorted(index.schema, key=lambda k: k["KeyType"] != "HASH")
        return [(k["AttributeName"], types.get(k["AttributeName"])) for k in schema]

    def _describes(self, table: Table, index: SecondaryIndex) -> bool:
        """Still the index these groups were built for: an index UpdateTable deleted and created
        again under the same name is another object, maybe with other keys."""
        return self._index is index and self._wanted == self.wanted(table, index)

    def _holds(self, item: Item) -> bool:
        return holds(self._wanted, item)

    def order_of(self, get: Any) -> tuple[Any, ...] | None:
        """``moto_models._index_order``: where an item (``get(name)``: its value) is in the index."""
        parts = []
        for name in [name for name, _ in self._wanted] + self._table_keys:
            value = get(name)
            if value is None:
                return None
            parts.append(_part(value))
        return order.index_key(parts[:len(self._wanted)], parts[len(self._wanted):])

    def partition(self, value: DynamoType) -> tuple[list[Item], list[Any]]:
        """The items of the partition ``value`` and their places, ascending."""
        found = self._sorted.get(value)
        if found is None:
            items = list(self._items.get(value, {}).values())
            ranked = sorted(((self.order_of(item.attrs.get), position) for position, item in enumerate(items)))
            found = ([items[position] for _key, position in ranked], [key for key, _position in ranked])
            self._sorted[value] = found
        return found

    def scan(self, start: tuple[Any, ...] | None, wanted: Any) -> Iterator[Item]:
        """The index's items in its order (``moto_models.sorted_items``), after ``start`` (an
        ``order_of`` place) if given, of the partitions ``wanted(value)`` accepts (a segment)."""
        if self._partitions is None:
            places = sorted((order.index_key([_part(value)], [])[:2], value) for value in self._items)
            self._partitions = ([place for place, _ in places], [value for _, value in places])
        places, values = self._partitions
        first = 0 if start is None else bisect.bisect_left(places, start[:2])
        for place, value in zip(places[first:], values[first:], strict=True):
            if not wanted(value):
                continue
            items, keys = self.partition(value)
            yield from items if start is None or place != start[:2] else items[bisect.bisect_right(keys, start):]

    def replace(self, old: Item | None, new: Item | None) -> bool:
        """Follow one write: ``old`` (as it was placed) leaves, ``new`` (as it is) enters.
        False when ``old`` is not where it should be: the caller drops the groups."""
        if old is not None and self._holds(old):
            value = old.attrs[self._hash]
            members = self._items.get(value)
            if members is None or members.get((old.hash_key, old.range_key)) is not old:
                return False
            del members[(old.hash_key, old.range_key)]
            found = self._sorted.get(value)
            if found is not None:
                key = self.order_of(old.attrs.get)
                position = bisect.bisect_left(found[1], key)
                if position == len(found[1]) or found[0][position] is not old:
                    return False
                del found[0][position], found[1][position]
            if not members:
                del self._items[value]
                self._sorted.pop(value, None)
                self._partitions = None
        if new is not None and self._holds(new):
            value = new.attrs[self._hash]
            members = self._items.get(value)
            if members is None:
                members = self._items[value] = {}
                self._partitions = None
            members[(new.hash_key, new.range_key)] = new
            found = self._sorted.get(value)
            if found is not None:
                key = self.order_of(new.attrs.get)
                position = bisect.bisect_left(found[1], key)
                if position < len(found[1]) and found[1][position] == key:
                    return False
                found[0].insert(position, new)
                found[1].insert(position, key)
        return True


def holds(wanted: list[tuple[str, str | None]], item: Item) -> bool:
    """Whether an index with key attributes ``wanted`` (``IndexGroups.wanted``) holds ``item``
    (``moto_models._indexed``): every key attribute present, of its declared type, not empty."""
    for name, kind in wanted:
        value = item.attrs.get(name)
        if value is None or (kind is not None and value.type != kind) or value.value in ("", b""):
            return False
    return True


def index_scan(table: Table, index_name: str, consistent_read: bool, exclusive_start_key: dict[str, Any] | None,
               segments: tuple[None, None] | tuple[int, int]) -> Found | None:
    """The items a Scan of an index reads, in order, from the start key, of the segment (by
    the index's partition key, ``moto_models._segment_view``); ``None``: moto's loop answers."""
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None or (consistent_read and isinstance(index, GlobalSecondaryIndex)):
        return None
    if len([k for k in index.schema if k["KeyType"] == "HASH"]) != 1 or \
            len([k for k in index.schema if k["KeyType"] == "RANGE"]) > 1:
        return None
    groups = IndexGroups.of(table, index)
    start = None
    if exclusive_start_key is not None:
        start = groups.order_of(lambda name: DynamoType(exclusive_start_key[name])
                                if name in exclusive_start_key else None)
        if start is None:
            return None
    segment, total = segments
    if segment is None or total is None:
        return groups.scan(start, lambda value: True), index
    return groups.scan(start, lambda value: segment_of_prefix(hash_prefix(*_part(value)), total) == segment), index


def replaced(table: Table, old: Item | None, new: Item | None) -> None:
    """One write to ``table``: ``old`` left its place (``None``: a new key), ``new`` took it
    (``None``: deleted); the index groups follow, or are dropped if they cannot."""
    cache: dict[str, Any] | None = table.__dict__.get("_index_groups")
    if cache is None:
        return
    if cache["items"] is table.items and all(groups.replace(old, new) for groups in cache["groups"].values()):
        return
    forget(table)


def _part(value: DynamoType) -> tuple[str, Any]:
    """A key value as ``semantics/order.py`` takes it (``moto_models._part``)."""
    return (value.type, value.value if isinstance(value.value, bytes) else str(value.value))


def _all(table: Table) -> Iterator[Item]:
    for partition in table.items.values():
        if table.range_key_attr:
            yield from partition.values()
        else:
            yield partition  # type: ignore[misc]


def forget(table: Table) -> None:
    """Drop the table's index groups (an item's attributes changed in place)."""
    table.__dict__.pop("_index_groups", None)
