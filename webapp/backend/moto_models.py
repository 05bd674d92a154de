"""moto's DynamoDB model, made all-or-nothing per call and cheap to roll back.

Two moto 5.2.1 behaviours (``moto/dynamodb/models/__init__.py``) are changed here, by
subclassing, under the backend's single lock (and one of its costs, see *Reads* below):

* **A failed call can leave changes behind.** ``update_item`` creates a missing item before it
  evaluates the update expression and keeps it when the expression then fails (e.g. ``ADD`` of a
  string); ``batch_write_item`` and PartiQL transactions apply their writes one by one and keep
  the first ones when a later one fails. DynamoDB applies a failed request not at all.
* **Transactions roll back by whole tables.** ``transact_write_items`` deep-copies every table it
  touches before it starts and puts the copies back on failure: about 0.2 s per transaction on
  a 5,000-item table, with every other request waiting on the lock.

So every call runs in an *undo section* (``begin`` / ``commit`` / ``rollback``, driven by the
engine from the HTTP status moto answers with): before an item is first written - through the
backend's ``put_item`` / ``update_item`` / ``delete_item`` or the table's own ``put_item`` /
``delete_item`` (PartiQL) - a deep copy of that one item is kept, and a failed call puts the
items back in reverse order. During a transaction a table's deep copy is the table itself, so
moto's own whole-table restore costs nothing and changes nothing. Outside transactions tables
deep-copy as usual (backups rely on it).

**Reads.** ``Table.query`` deep-copies every matching item (so that index and attribute
projections and filters work on copies) and computes each item's size twice (the 1 MB page
limit); for a plain key query - no index, no range condition, no filter, no projection, no
start key - that was two thirds of a 100-item Query. Its only caller, ``DynamoHandler.query``,
only reads the items it gets, so that case returns the stored items themselves, with the same
order, page limits, ``ScannedCount`` and ``LastEvaluatedKey`` as moto's loop
(``tests/unit/webapp/backend/test_fast_reads.py`` compares it with a stock moto backend).
"""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.comparisons import OpDefault
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

#: Per-table flags that must never be copied along with a table.
_FLAGS = ("_in_transaction", "_undo_owner")


class _UndoableTable(Table):
    """A moto ``Table`` that reports writes to its backend's undo log."""

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
        no_filter = filter_expression is None or type(filter_expression) is OpDefault  # "always true"
        plain = no_filter and not (index_name or range_comparison or range_key_conditions or projection_expressions
                                   or exclusive_start_key is not None or filter_kwargs)
        if not plain:
            return super().query(
                hash_key, range_comparison, range_objs, limit, exclusive_start_key,  # type: ignore[arg-type]
                scan_index_forward,
                projection_expressions, index_name, consistent_read, filter_expression,
                hash_key_conditions=hash_key_conditions, range_key_conditions=range_key_conditions,
                **filter_kwargs)
        # moto's loop for this case, each size computed once and no copies (see the module doc)
        matches = [item for item in self.all_items() if isinstance(item, Item) and item.hash_key == hash_key]
        matches.sort(key=lambda item: item.range_key)  # type: ignore[arg-type, return-value]
        if scan_index_forward is False:
            matches.reverse()
        results: list[Item] = []
        total = 0
        last_evaluated_key = None
        for item in matches:
            size = item.size()
            if len(results) == limit or total + size > RESULT_SIZE_LIMIT:
                last_evaluated_key = self._get_last_evaluated_key(results[-1], index_name)
                break
            results.append(item)
            total += size
        return results, len(results), last_evaluated_key

    def put_item(self, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        owner = self.__dict__.get("_undo_owner")
        if owner is not None and self.hash_key_attr in item_attrs:
            range_attr = self.range_key_attr
            if range_attr is None or range_attr in item_attrs:
                owner.remember(self, DynamoType(item_attrs[self.hash_key_attr]),
                               DynamoType(item_attrs[range_attr]) if range_attr else None)
        return super().put_item(item_attrs, *args, **kwargs)

    def delete_item(self, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        owner = self.__dict__.get("_undo_owner")
        if owner is not None:
            owner.remember(self, hash_key, range_key)
        return super().delete_item(hash_key, range_key)


Undo = tuple[Table, DynamoType, "DynamoType | None", "Item | None"]


class SerialDynamoDBBackend(DynamoDBBackend):
    """For use under one lock only (as ``LocalBackend`` does)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._undo: list[Undo] | None = None
        self._remembered: set[tuple[int, Any, Any]] = set()
        self._watched: list[Table] = []

    def create_table(self, name: str, *args: Any, **params: Any) -> Table:
        table = super().create_table(name, *args, **params)
        if type(table) is Table:
            object.__setattr__(table, "__class__", _UndoableTable)
        return table

    # Undo sections ------------------------------------------------------------------------------

    def begin(self) -> None:
        self._undo, self._remembered = [], set()
        self._watched = list(self.tables.values())
        for table in self._watched:
            table.__dict__["_undo_owner"] = self

    def commit(self) -> None:
        for table in self._watched:
            table.__dict__.pop("_undo_owner", None)
        self._undo, self._remembered, self._watched = None, set(), []

    def rollback(self) -> None:
        # (An emptied range-key bucket may stay behind, as moto's own lookups leave them.)
        for table, hash_key, range_key, old in reversed(self._undo or []):
            if range_key is None:
                if old is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = old  # type: ignore[assignment]  # moto's own layout
            elif old is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = old
        self.commit()

    def remember(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        """Keep the item's state before its first change in this section."""
        if self._undo is None:
            return
        identity = (id(table), hash_key, range_key)
        if identity in self._remembered:
            return
        self._remembered.add(identity)
        try:
            current = table.get_item(hash_key, range_key)
        except Exception:  # moto raises its own validation error when it gets there
            return
        self._undo.append((table, hash_key, range_key, copy.deepcopy(current)))

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
        tables = list(self.tables.values())
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
        return super().update_item(table_name, key, *args, **kwargs)

    def delete_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item | None:
        self._remember_key(table_name, key)
        return super().delete_item(table_name, key, *args, **kwargs)
