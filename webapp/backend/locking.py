"""Which calls may run together on the local DynamoDB, and the locks that say so.

One lock around every call (the previous design) made a GetItem of one user wait behind another
user's 100-item Query or transaction on another table. What moto's models allow instead
(moto 5.2.1, ``moto/dynamodb/models``; evidence in ``tests/unit/webapp/backend/test_locking.py``):

* **Tables are independent objects.** A data-plane call touches only the ``Table`` objects it
  names (items in ``Table.items``, indexes inside the table); the backend's ``tables`` dict is
  changed only by control-plane calls (CreateTable, DeleteTable, restores, imports).
* **Reads do not write** - except three caches, each safe to fill from two threads at once:
  the plain-Scan order (``moto_models._scan_order``, built into a local and published by one
  assignment), items decoded on first read (``snapshot.StoredItem``, ``setdefault``) and the
  serialisers compiled per shape (``fast_reads``).
* **Writes are not safe beside anything on the same table.** moto iterates ``Table.items``
  (Query, Scan, ``all_items``, ``deepcopy``) while a put adds keys: "dictionary changed size during
  iteration" (HTTP 500), and an UpdateItem changes an item in place while a reader serialises it.
* **Undo sections are per call** (``moto_models.SerialDynamoDBBackend``): kept per thread, so two
  calls on different tables each roll back and journal only their own items.

Hence (``LocalBackend.call``):

* data-plane calls share the **registry** lock and take a **per-table** reader/writer lock on
  each table they name, in name order (no deadlock): GetItem, Query, Scan, BatchGetItem,
  TransactGetItems read; PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems
  write (a transaction holds every table it names until it is applied or cancelled, so it is
  all-or-nothing and isolated, and a conditional write is decided and applied under one hold,
  linearizable per item);
* everything else - control plane, PartiQL (its statements name tables only inside text),
  a ``ClientRequestToken`` transaction (the token cache spans tables), calls naming a table that
  does not exist or by ARN - owns the registry **exclusively**, which waits for every call in
  flight, as the single lock did. So do compaction and shutdown (``LocalBackend._lock``).

Both locks prefer writers: a waiting writer stops new readers, so a steady stream of GetItems
cannot starve a PutItem, nor data calls a CreateTable. A phase-fair lock (every reader that
waited goes in after one writer) was measured against it under ``benchmarks/load.py --trace``
(issue 11, on a loaded machine, side by side): with 16 users it shortened a GetItem's longest
waits for its table (service p99 107-167 ms against 295-307), but with 64 users writers waited
up to 1.5 s, each holding one of the server's worker threads meanwhile, and throughput fell
(131-150 against 167-171 operations per second); so writers keep their preference.

**TransactionConflictException cannot occur here.** DynamoDB raises it when a write or
transaction reaches an item another transaction is still applying (API Reference,
TransactWriteItems, "Errors"). Here a transaction applies while holding its tables' write locks,
and every other call on those tables waits for it to finish: none ever sees one in flight, so
each conflicting request simply runs after it, against its result (what DynamoDB's serializable
isolation also guarantees for requests that do not overlap in time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: Data-plane operations and whether each writes.
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class RWLock:
    """Many readers or one writer; a waiting writer keeps new readers out (writer preference).

    Readers and writers wait on conditions of their own, and a release wakes only those who can
    go in (one writer, or every reader once no writer waits): with one condition each release
    woke every waiter, and under load each of them waited for the GIL only to find it must wait
    again."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._readers_ok = threading.Condition(self._mutex)
        self._writers_ok = threading.Condition(self._mutex)
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        with self._mutex:
            while self._writer or self._writers_waiting:
                self._readers_ok.wait()
            self._readers += 1

    def release_read(self) -> None:
        with self._mutex:
            self._readers -= 1
            if not self._readers and self._writers_waiting:
                self._writers_ok.notify()

    def acquire_write(self) -> None:
        with self._mutex:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._writers_ok.wait()
            except BaseException:  # (interrupted) it no longer keeps readers out
                self._writers_waiting -= 1
                if not self._writers_waiting and not self._writer:
                    self._readers_ok.notify_all()
                raise
            self._writers_waiting -= 1
            self._writer = True

    def release_write(self) -> None:
        with self._mutex:
            self._writer = False
            if self._writers_waiting:
                self._writers_ok.notify()
            else:
                self._readers_ok.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self.acquire_write()
        try:
            yield
        finally:
            self.release_write()

    def __enter__(self) -> RWLock:
        """``with lock:`` owns it exclusively (what the single lock meant to its users)."""
        self.acquire_write()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_write()


def tables_of(operation: str, params: Mapping[str, Any]) -> list[str] | None:
    """The tables a data-plane call names, sorted; ``None`` when it must run alone (not a data
    call, a ``ClientRequestToken`` transaction, a name that is not a plain string)."""
    if operation not in READS and operation not in WRITES:
        return None
    names: set[Any] = set()
    if operation in ("BatchGetItem", "BatchWriteItem"):
        requests = params.get("RequestItems")
        if not isinstance(requests, Mapping):
            return None
        names.update(requests)
    elif operation in ("TransactGetItems", "TransactWriteItems"):
        if operation == "TransactWriteItems" and params.get("ClientRequestToken") is not None:
            return None
        for action in params.get("TransactItems") or ():
            if not isinstance(action, Mapping):
                return None
            for body in action.values():
                if not isinstance(body, Mapping):
                    return None
                names.add(body.get("TableName"))
    else:
        names.add(params.get("TableName"))
    if not names or not all(isinstance(n, str) and n and not n.startswith("arn:") for n in names):
        return None
    return sorted(names)


class TableLocks:
    """The registry lock and one ``RWLock`` per table name."""

    def __init__(self) -> None:
        self.registry = RWLock()
        self._tables: dict[str, RWLock] = {}

    @contextmanager
    def data_call(self, names: list[str], write: bool, exists: Any) -> Iterator[bool]:
        """Hold the registry shared and each of ``names`` (sorted) for reading or writing; yields
        False (holding nothing) when ``exists(name)`` is false for one of them, so that the caller
        runs the call exclusively instead."""
        self.registry.acquire_read()
        held: list[RWLock] = []
        try:
            if not all(exists(name) for name in names):
                yield False
                return
            for name in names:
                lock = self._tables.get(name)
                if lock is None:
                    lock = self._tables.setdefault(name, RWLock())
                (lock.acquire_write if write else lock.acquire_read)()
                held.append(lock)
            yield True
        finally:
            for lock in reversed(held):
                (lock.release_write if write else lock.release_read)()
            self.registry.release_read()
