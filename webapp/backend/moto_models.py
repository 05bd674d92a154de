"""moto's DynamoDB model, made all-or-nothing per call and cheap to roll back.

Two moto 5.2.1 behaviours (``moto/dynamodb/models/__init__.py``) are changed here, by
subclassing, under the backend's table locks (``locking.py``; and one of its costs, see *Reads* below):

* **A failed call can leave changes behind.** ``update_item`` creates a missing item before it
  evaluates the update expression and keeps it when the expression then fails (e.g. ``ADD`` of a
  string); ``batch_write_item`` and PartiQL transactions apply their writes one by one and keep
  the first ones when a later one fails. DynamoDB applies a failed request not at all.
* **Transactions roll back by whole tables.** ``transact_write_items`` deep-copies every table it
  touches before it starts and puts the copies back on failure: about 0.2 s per transaction on
  a 5,000-item table, with every other request on those tables waiting for it.

So every call runs in an *undo section* (``begin`` / ``commit`` / ``rollback``, driven by the
engine from the HTTP status moto answers with): before an item is first written - through the
backend's ``put_item`` / ``update_item`` / ``delete_item`` or the table's own ``put_item`` /
``delete_item`` (PartiQL) - a deep copy of that one item is kept, and a failed call puts the
items back in reverse order. During a transaction a table's deep copy is the table itself, so
moto's own whole-table restore costs nothing and changes nothing. Outside transactions tables
deep-copy as usual (backups rely on it).

**Reads.** ``Table.query`` walks the whole table for every Query, deep-copies every matching
item (so that index and attribute projections and filters work on copies) and computes each
item's size twice (the 1 MB page limit). Its only caller, ``DynamoHandler.query``, only reads
the items it gets, and the semantic layer asks for no filter or projection, so a Query reads the
partition's items - of the table, or of an index through its groups - in order from the start
key, meeting the sort-key condition (``query_pages.py``), and pages them with the stored items
themselves (an index's projection makes new ones), with the same order, page limits,
``ScannedCount`` and ``LastEvaluatedKey`` as moto's loop (``tests/unit/webapp/backend/
test_query_pages.py`` compares every page with it; ``test_fast_reads.py`` with a stock moto
backend). ``key_order_reads = False`` restores the loop (and the earlier plain-key path), to compare.

``Table.scan`` sorts the whole table and walks it from the first item on *every page*, hashing
each item's key to test its segment and comparing it with the start key: an export of 20,000
items in pages of 500 took 66 s, growing with the square of the table. For a plain page (no
index, filter or projection: the semantic layer applies those itself) the items of a segment in
moto's order are kept with their sort keys until the table's set of item objects changes, and a
page starts by bisecting to the ``ExclusiveStartKey``; the same pages, ``ScannedCount`` and
``LastEvaluatedKey`` as moto's loop, compared page by page with writes in between. The order
is built once per table state for every reader (one sort, each key computed once; a parallel
scan's segments split from it in one pass). When ``fast_reads.py`` asks, the page loop renders
each item for the wire in the walk that sizes it (``served.py``).

**Order.** moto scans a table, and orders an index's equal keys, by its own sort of the keys;
DynamoDB by MD5 prefixes (``semantics/order.py``). ``all_items``, ``sorted_items`` (in the view
an index is read through) and the start-key comparison follow DynamoDB's order, the whole table's order kept
with the scan cache below.

**Segments.** moto places an item in a ``Segment`` by Python's hash of its key; DynamoDB by an
MD5 prefix (``semantics/segments.py``), so an item was found in another segment than on AWS.
Every scan of a segment here uses DynamoDB's function - of the table's partition key, or of the
index's for an index scan; a binary by its bytes, which moto holds as ``bytes`` - the plain page
through the cached order above, any other through moto's own loop over a view of the table that
holds only the segment's items.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

from webapp.backend import item_size, partiql_scope, query_pages, served, set_values, update_actions
from webapp.backend.semantics import order
from webapp.backend.semantics.segments import hash_prefix, segment_of_prefix

item_size.install()  # DynamoDB's 400 KB item limit, measured as DynamoDB measures it
set_values.install()  # a SET writes a copy of what it read (``SET b[5] = b`` held itself)
update_actions.install()  # an UpdateExpression's actions flat, not a tree one level per action

#: Per-table flags and caches that must never be copied along with a table.
_FLAGS = ("_in_transaction", "_undo_owner", "_scan_cache", "_order_lock", "_segment", "_index", "_index_groups",
          "_updating")
#: A parallel scan's segments are split from the table's order together up to this many segments.
_SEGMENTS_AT_ONCE = 32

#: ``partition``: (table name, partition key) of the last Query on this thread of a table or of
#: one of its local indexes (``None`` for a global index), which ``local.py`` resets before each
#: call: such a Query shows the items of that one partition, so its answer waits for the disk
#: only for that partition's writes, as a GetItem's does.
queried = threading.local()


class _UndoableTable(Table):
    """A moto ``Table`` that reports writes to its backend's undo log."""

    #: Queries read from the partition (``query_pages.py``); off only to compare with moto's loop.
    key_order_reads = True

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        if self.__dict__.get("_in_transaction"):
            return self
        clone = Table.__new__(type(self))
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            if name not in _FLAGS:
                setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    def query(self, hash_key: DynamoType | None, range_comparison: str | None, range_objs: list[DynamoType],
              limit: int, exclusive_start_key: dict[str, Any] | None, scan_index_forward: bool,
              projection_expressions: list[list[str]] | None, index_name: str | None = None,
              consistent_read: bool = False, filter_expression: Any = None,
              hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
              range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
              **filter_kwargs: Any) -> tuple[list[Item], int, dict[str, Any] | None]:
        local = not index_name or any(index.name == index_name for index in self.indexes)
        queried.partition = (self.name, hash_key) if local and hash_key is not None else None
        no_filter = filter_expression is None or type(filter_expression) is OpDefault  # "always true"
        if no_filter and not projection_expressions and not filter_kwargs and self.key_order_reads:
            # the partition's items in order from the start key, without copies (query_pages.py)
            found = query_pages.candidates(self, hash_key, range_comparison, range_objs, exclusive_start_key,
                                           scan_index_forward, index_name, consistent_read,
                                           hash_key_conditions, range_key_conditions)
            if found is not None:
                items, index = found
                project = index.project if index is not None and _projects(index) else None
                return self._page(iter(items), limit, index_name, project)
        plain = no_filter and not (index_name or range_comparison or range_key_conditions or projection_expressions
                                   or exclusive_start_key is not None or filter_kwargs)
        if plain and hash_key is not None:  # (as before query_pages.py: kept to compare with)
            found = query_pages.candidates(self, hash_key, None, [], None, scan_index_forward, None, False, None, None)
            if found is not None:
                return self._page(iter(found[0]), limit, None)
        table = self if not index_name else self._index_view(index_name)
        return Table.query(
            table, hash_key, range_comparison, range_objs, limit, exclusive_start_key,  # type: ignore[arg-type]
            scan_index_forward,
            projection_expressions, index_name, consistent_read, filter_expression,
            hash_key_conditions=hash_key_conditions, range_key_conditions=range_key_conditions,
            **filter_kwargs)

    def scan(self, filters: dict[str, Any], limit: int, exclusive_start_key: dict[str, Any] | None,
             filter_expression: Any = None, index_name: str | None = None, consistent_read: bool = False,
             projection_expression: list[list[str]] | None = None,
             segments: tuple[None, None] | tuple[int, int] = (None, None)) -> tuple[list[Item], int, dict[str, Any] | None]:
        no_filter = not filters and (filter_expression is None or type(filter_expression) is OpDefault)
        if index_name and no_filter and not projection_expression and self.key_order_reads:
            # the index's groups in its order, without copies (query_pages.py)
            found = query_pages.index_scan(self, index_name, consistent_read, exclusive_start_key, segments)
            if found is not None:
                items, index = found
                project = index.project if index is not None and _projects(index) else None
                return self._page(iter(items), limit, index_name, project)
        if index_name or not no_filter or projection_expression:
            segment, total = segments
            table = self if segment is None or total is None else self._segment_view(segment, total, index_name)
            if index_name:  # read through a view whose order is the index's (sorted_items)
                table = copy.copy(table)
                table.__dict__["_index"] = index_name
            return Table.scan(table, filters, limit, exclusive_start_key,  # type: ignore[arg-type]
                              filter_expression, index_name, consistent_read, projection_expression)
        # moto's loop for a plain page (see the module doc), from the cached order of the segment
        order, keys = self._scan_order(segments)
        start = 0 if exclusive_start_key is None else bisect.bisect_right(keys, self._order_key(
            DynamoType(exclusive_start_key[self.hash_key_attr]),
            DynamoType(exclusive_start_key[self.range_key_attr]) if self.range_key_attr else None))
        return self._page(itertools.islice(order, start, None), limit, None)

    def _page(self, items: Iterator[Item], limit: int | None, index_name: str | None,
              project: Callable[[Item], Item] | None = None) -> tuple[list[Any], int, dict[str, Any] | None]:
        """moto's page loop for unfiltered reads: up to ``limit`` items or 1 MB (moto's sizes,
        of the stored items), each item's size computed once, the stored items themselves (no
        copies; ``project``: an index's projection of each, a new item), and the key to go on
        from. While ``served.wire_pages`` is on, each item is rendered for the wire in the walk
        that sizes it, and the page holds ``served.Served`` entries (see ``served.py``)."""
        serving = served.serving()
        results: list[Any] = []
        total = 0
        last: Item | None = None
        for item in items:
            if len(results) == limit:  # (moto tests the size first; the outcome is the same)
                break
            if project is not None:
                size = item.size()
                entry = served.serve(project(item))[0] if serving else project(item)
            else:
                entry, size = served.serve(item) if serving else (item, item.size())
            if total + size > RESULT_SIZE_LIMIT:
                break
            results.append(entry)
            total += size
            last = item
        else:
            return results, len(results), None
        return results, len(results), self._get_last_evaluated_key(last, index_name)  # type: ignore[arg-type]

    def _order_key(self, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
        """Where an item is in a Scan: DynamoDB's order (``semantics/order.py``), not moto's."""
        return order.scan_key(_part(hash_key), _part(range_key) if range_key is not None else None)

    def _sorted_items(self) -> list[Item]:
        """Every item in DynamoDB's scan order, kept with the scan cache (see ``_scan_order``)."""
        return self._scan_order((None, None))[0]

    def _index_order(self, get: Any) -> tuple[Any, ...] | None:
        """Where an item (``get(name)``: its ``DynamoType`` or None) is in the index being read;
        None when no index is being read or a key is missing (moto's order then)."""
        name = self.__dict__.get("_index")
        if not name:
            return None
        index = self.get_index(name)
        names = [k["AttributeName"] for k in sorted(index.schema, key=lambda k: k["KeyType"] != "HASH")]
        table = [n for n in (self.hash_key_attr, self.range_key_attr) if n]
        parts = []
        for attr in names + table:
            value = get(attr)
            if value is None:
                return None
            parts.append(_part(value))
        return order.index_key(parts[:len(names)], parts[len(names):])

    def sorted_items(self, hash_key_attrs: list[str], range_key_attrs: list[str | None],
                     items: list[Item]) -> list[Item]:
        keys = [self._index_order(i.attrs.get) for i in items] if self.__dict__.get("_index") else []
        if keys and all(key is not None for key in keys):
            ordered = sorted(zip(keys, range(len(items)), strict=True))
            items[:] = [items[position] for _key, position in ordered]
            return items
        return super().sorted_items(hash_key_attrs, range_key_attrs, items)

    def _item_comes_before_dct(self, item: Item, dct: dict[str, Any], hash_key_attrs: list[str],
                               range_key_attrs: list[str | None], scan_index_forward: bool) -> bool:
        """Whether ``item`` is at or before the starting key ``dct`` in the order being read."""
        def from_dct(name: str) -> DynamoType | None:
            return DynamoType(dct[name]) if name in dct else None
        if self.__dict__.get("_index"):
            mine, start = self._index_order(item.attrs.get), self._index_order(from_dct)
        elif self.hash_key_attr in dct and (self.range_key_attr is None or self.range_key_attr in dct):
            mine = self._order_key(item.hash_key, item.range_key)
            start = self._order_key(DynamoType(dct[self.hash_key_attr]),
                                    DynamoType(dct[self.range_key_attr]) if self.range_key_attr else None)
        else:
            mine = start = None
        if mine is None or start is None:
            return super()._item_comes_before_dct(
                item, dct, hash_key_attrs, range_key_attrs, scan_index_forward)
        if mine == start:
            return True
        return (mine < start) == scan_index_forward

    def _scan_order(self, segments: tuple[None, None] | tuple[int, int]) -> tuple[list[Item], list[Any]]:
        """The items of one segment (or all of them) in ``all_items()``'s order, with their sort
        keys for bisecting.

        Kept in step with the table's set of item objects: ``put_item`` (which replaces the
        stored object) and ``delete_item`` insert and remove one item where its key bisects to
        (``_replaced``); a rolled-back call, a restored image and a new ``items`` mapping (a
        restore) drop it. ``update_item`` changes a stored item in place, which neither moves
        it nor changes its segment (both follow the key alone).

        Built once for all readers: the first page of each segment of a parallel scan arrives
        together, and each used to sort the table and hash every item's key for itself. The whole
        table is sorted once (each key computed once), and the segments of a ``TotalSegments`` up
        to ``_SEGMENTS_AT_ONCE`` are split from it in one pass, by the MD5 prefix the sort key
        already holds (``order.scan_key`` and ``segments.hash_prefix`` hash the same bytes).
        """
        found: tuple[list[Item], list[Any]] | None = self._order_cache()["orders"].get(segments)
        if found is not None:
            return found
        with self.__dict__.setdefault("_order_lock", threading.Lock()):  # one builder, the rest wait
            cache = self._order_cache()
            found = cache["orders"].get(segments)
            if found is None:
                found = self._build_order(cache, segments)
        return found

    def _order_cache(self) -> dict[str, Any]:
        cache: dict[str, Any] | None = self.__dict__.get("_scan_cache")
        if cache is None or cache["items"] is not self.items:
            cache = {"items": self.items, "orders": {}}
            self.__dict__["_scan_cache"] = cache
        return cache

    def _build_order(self, cache: dict[str, Any],
                     segments: tuple[None, None] | tuple[int, int]) -> tuple[list[Item], list[Any]]:
        orders: dict[Any, tuple[list[Item], list[Any]]] = cache["orders"]
        whole = orders.get((None, None))
        if whole is None:
            found: list[Item] = []
            for hash_set in self.items.values():
                found.extend(hash_set.values() if self.range_key_attr else [hash_set])  # type: ignore[list-item]
            keys = [self._order_key(item.hash_key, item.range_key) for item in found]
            ranked = sorted(range(len(found)), key=keys.__getitem__)  # keys are unique: no ties
            whole = orders[(None, None)] = ([found[i] for i in ranked], [keys[i] for i in ranked])
        segment, total = segments
        if segment is None or total is None:
            return whole
        wanted = range(total) if total <= _SEGMENTS_AT_ONCE else (segment,)
        if len(orders) + len(wanted) > 64:  # many different TotalSegments: keep memory bounded
            orders.clear()
            orders[(None, None)] = whole
        split: dict[int, tuple[list[Item], list[Any]]] = {s: ([], []) for s in wanted}
        for item, key in zip(*whole, strict=True):
            bucket = split.get(segment_of_prefix(int(key[0][:3], 16), total))
            if bucket is not None:
                bucket[0].append(item)
                bucket[1].append(key)
        for number, bucket in split.items():
            orders[(number, total)] = bucket
        return split[segment]

    def _segment_view(self, segment: int, total: int, index_name: str | None) -> Table:
        """This table as moto's ``Table.scan`` should see it for one segment: a shallow copy (the
        same items, nothing copied) whose ``all_items`` and ``has_idx_items`` yield only the items
        of ``segment`` of ``total``, by the partition key of the table, or of the index when scanning one."""
        view = copy.copy(self)
        key = self.hash_key_attr
        if index_name:
            index = self.get_index(index_name, error_if_not=True)
            key = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"), key)
        view.__dict__["_segment"] = (segment, total, key)
        return view

    def _in_segment(self, items: Any) -> Any:
        found = self.__dict__.get("_segment")
        if found is None:
            return items
        segment, total, key = found
        return [item for item in items if key in item.attrs and _segment(item.attrs[key], total) == segment]

    def _index_view(self, index_name: str) -> Table:
        """This table as moto's ``Table.query`` should see it for a query of ``index_name``: a
        shallow copy whose ``all_items`` yields only the items the index holds (``_indexed``)."""
        view = copy.copy(self)
        view.__dict__["_index"] = index_name
        return view

    def all_items(self) -> Any:
        index_name = self.__dict__.get("_index")
        items = list(self._sorted_items())
        return self._in_segment(items if index_name is None else _indexed(self, index_name, items))

    def has_idx_items(self, index_name: str) -> Any:
        return self._in_segment(_indexed(self, index_name, super().has_idx_items(index_name)))

    def forget_order(self) -> None:
        self.__dict__.pop("_scan_cache", None)
        query_pages.forget(self)

    def put_item(self, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        owner = self.__dict__.get("_undo_owner")
        if owner is not None and self.hash_key_attr in item_attrs:
            range_attr = self.range_key_attr
            if range_attr is None or range_attr in item_attrs:
                owner.remember(self, DynamoType(item_attrs[self.hash_key_attr]),
                               DynamoType(item_attrs[range_attr]) if range_attr else None)
        old = self._stored(item_attrs)
        if not self.key_order_reads:
            self.forget_order()
        new = super().put_item(item_attrs, *args, **kwargs)
        self._replaced(old, new)
        return new

    def delete_item(self, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        if not self.key_order_reads:
            self.forget_order()
        owner = self.__dict__.get("_undo_owner")
        if owner is not None:
            owner.remember(self, hash_key, range_key)
        old = super().delete_item(hash_key, range_key)
        if old is not None:
            self._replaced(old, None)
        return old

    def _stored(self, key: dict[str, Any]) -> Item | None:
        """The item stored under the key of ``key`` (a key, or a whole item), if any."""
        try:
            partition: Any = self.items.get(DynamoType(key[self.hash_key_attr]))
            if partition is None or not self.range_key_attr:
                return partition  # type: ignore[no-any-return]
            return partition.get(DynamoType(key[self.range_key_attr]))  # type: ignore[no-any-return]
        except (KeyError, TypeError, AttributeError, IndexError):  # moto refuses such a write itself
            return None

    def _replaced(self, old: Item | None, new: Item | None) -> None:
        """One write: ``old`` (``None``: a new key) replaced by ``new`` (``None``: deleted). The
        scan order and the index groups of this state follow it (a list insertion or removal
        where the key bisects to) instead of being built again from the whole table on the
        next read; anything unexpected drops them."""
        if not self.key_order_reads:
            return
        cache = self.__dict__.get("_scan_cache")
        if cache is not None and (cache["items"] is not self.items or not self._shift_orders(cache["orders"], old, new)):
            self.__dict__.pop("_scan_cache", None)
        if not self.__dict__.get("_updating"):  # (an UpdateItem places its item when it is done)
            query_pages.replaced(self, old, new)

    def _shift_orders(self, orders: dict[Any, tuple[list[Item], list[Any]]], old: Item | None,
                      new: Item | None) -> bool:
        for (segment, total), (items, keys) in orders.items():
            for item, entering in ((old, False), (new, True)):
                if item is None:
                    continue
                key = self._order_key(item.hash_key, item.range_key)
                if segment is not None and segment_of_prefix(int(key[0][:3], 16), total) != segment:
                    continue
                position = bisect.bisect_left(keys, key)
                present = position < len(keys) and keys[position] == key
                if entering:
                    if present:
                        return False
                    keys.insert(position, key)
                    items.insert(position, item)
                else:
                    if not present or items[position] is not item:
                        return False
                    del keys[position], items[position]
        return True


def _projects(index: Any) -> bool:
    """Whether moto's ``SecondaryIndex.project`` leaves attributes out (``KEYS_ONLY``, ``INCLUDE``)."""
    return (index.projection or {}).get("ProjectionType") in ("KEYS_ONLY", "INCLUDE")


def _part(value: DynamoType) -> tuple[str, Any]:
    """A key value as ``semantics/order.py`` takes it (a binary may be stored as bytes)."""
    return (value.type, value.value if isinstance(value.value, bytes) else str(value.value))


def _segment(key: DynamoType, total: int) -> int:
    """DynamoDB's segment of a partition key value (a binary by its bytes, as ``_part`` gives it)."""
    return segment_of_prefix(hash_prefix(*_part(key)), total)


def _indexed(table: Table, index_name: str, items: Any) -> Any:
    """The items an index holds. DynamoDB leaves out of an index an item whose index key attribute
    holds another type than ``AttributeDefinitions`` gives it, or an empty string or binary: it
    refuses such writes once the index exists, but items written before ``UpdateTable`` created
    the index stay in the table only (ScyllaDB's Alternator tests, test/alternator/test_gsi.py
    ``test_gsi_backfill`` / ``test_gsi_backfill_empty_string``, checked against DynamoDB). moto
    indexes them all, and sorting an index key that mixes types then fails in Python."""
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None:
        return items
    types = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
    wanted = [(k["AttributeName"], types.get(k["AttributeName"])) for k in index.schema]

    def holds(item: Item) -> bool:
        for name, kind in wanted:
            value = item.attrs.get(name)
            if value is None or (kind is not None and value.type != kind) or value.value in ("", b""):
                return False
        return True

    return [item for item in items if holds(item)]


Undo = tuple[Table, DynamoType, "DynamoType | None", "Item | None"]


class _Section(threading.local):
    """One thread's undo section: each call on its own thread rolls back and reports only the
    items it wrote, while calls on other tables run beside it (``locking.py``)."""

    def __init__(self) -> None:
        self.undo: list[Undo] | None = None
        self.remembered: set[tuple[int, Any, Any]] = set()
        #: Items written by the sections committed since ``take_changes`` (the journal records
        #: their after-images, ``local.py``): the same hooks as the undo log, so nothing it
        #: would restore goes unjournaled.
        self.changed: list[tuple[Table, DynamoType, DynamoType | None]] = []


class SerialDynamoDBBackend(DynamoDBBackend):
    """Each call in an undo section of its own thread; calls that touch the same table must not
    run together (``LocalBackend`` holds the table locks, ``locking.py``)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        self._section = _Section()
        super().__init__(region_name, account_id)

    @property
    def _undo(self) -> list[Undo] | None:
        return self._section.undo

    @_undo.setter
    def _undo(self, value: list[Undo] | None) -> None:
        self._section.undo = value

    def create_table(self, name: str, *args: Any, **params: Any) -> Table:
        table = super().create_table(name, *args, **params)
        if type(table) is Table:
            object.__setattr__(table, "__class__", _UndoableTable)
        return table

    # Undo sections ------------------------------------------------------------------------------

    def begin(self) -> None:
        section = self._section
        section.undo, section.remembered = [], set()
        # Tables report their writes to this backend from now on (never withdrawn: a section on
        # another thread may be writing to any of them); ``remember`` ignores writes outside one.
        for table in list(self.tables.values()):
            if table.__dict__.get("_undo_owner") is not self:
                table.__dict__["_undo_owner"] = self

    def commit(self) -> None:
        section = self._section
        section.changed.extend((table, hash_key, range_key) for table, hash_key, range_key, _ in section.undo or ())
        section.undo, section.remembered = None, set()

    def rollback(self) -> None:
        # (An emptied range-key bucket may stay behind, as moto's own lookups leave them.)
        for table, hash_key, range_key, old in reversed(self._undo or []):
            if isinstance(table, _UndoableTable):
                table.forget_order()
            if range_key is None:
                if old is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = old  # type: ignore[assignment]  # moto's own layout
            elif old is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = old
        self._undo = None  # nothing of a rolled-back section is a change
        self.commit()

    def take_changes(self) -> list[tuple[Table, DynamoType, DynamoType | None]]:
        """The (table, hash key, range key) of every item written since the last call."""
        section = self._section
        changed, section.changed = section.changed, []
        return changed

    def remember(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        """Keep the item's state before its first change in this section."""
        if self._undo is None:
            return
        identity = (id(table), hash_key, range_key)
        remembered = self._section.remembered
        if identity in remembered:
            return
        remembered.add(identity)
        try:
            current = table.get_item(hash_key, range_key)
        except Exception:  # moto raises its own validation error when it gets there
            return
        undo = self._undo
        if undo is not None:
            undo.append((table, hash_key, range_key, copy.deepcopy(current)))

    def _remember_key(self, table_name: str, key: dict[str, Any]) -> None:
        if self._undo is None:
            return
        table = self.get_table(table_name)
        try:
            hash_key, range_key = self.get_keys_value(table, key)
        except Exception:  # moto raises its own validation error when it gets there
            return
        self.remember(table, hash_key, range_key)

    # Writes -------------------------------------------------------------------------------------

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        own = self._undo is None
        if own:
            self.begin()
        # moto deep-copies each table the transaction names; flagged, the copy is the table itself
        # (only these: other threads' calls may be using the rest)
        named = {body.get("TableName") for action in transact_items for body in action.values()
                 if isinstance(body, dict)}
        tables = [self.tables[name] for name in named if isinstance(name, str) and name in self.tables]
        for table in tables:
            table.__dict__["_in_transaction"] = True
        try:
            super().transact_write_items(transact_items)
        except BaseException:
            if own:
                self.rollback()
            raise
        else:
            if own:
                self.commit()
        finally:
            for table in tables:
                table.__dict__.pop("_in_transaction", None)

    def update_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        # moto changes an existing item in place, without a table-level write to notice
        self._remember_key(table_name, key)
        table = self.tables.get(table_name)
        if not isinstance(table, _UndoableTable):
            return super().update_item(table_name, key, *args, **kwargs)
        # its index keys may change: it leaves the index groups now and enters them as it ends up
        before = table._stored(key)
        if before is not None:
            query_pages.replaced(table, before, None)
        table.__dict__["_updating"] = True
        try:
            return super().update_item(table_name, key, *args, **kwargs)
        finally:
            table.__dict__.pop("_updating", None)
            after = table._stored(key)
            if after is not None:
                query_pages.replaced(table, None, after)

    def delete_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item | None:
        self._remember_key(table_name, key)
        return super().delete_item(table_name, key, *args, **kwargs)

    def execute_statement(self, statement: str, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # moto's own parser reads another statement than the one IAM authorized (partiql_scope.py)
        return partiql_scope.execute(self, statement, parameters)

    def execute_transaction(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return partiql_scope.execute_transaction(self, statements)

    def batch_execute_statement(self, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return partiql_scope.batch_execute_statement(self, statements)
