"""The local DynamoDB: moto in process, locked per table, journaled, idempotent, optionally throttled.

Why each part (security-anchors §5):

* **Locks per table** (``locking.py``). moto's models have no locks, and ``transact_write_items``
  rolls a failed transaction back by restoring a deep copy of each touched *table*, which
  drops any write another thread made meanwhile (lost acknowledged writes, R-3) and crashes
  ``deepcopy`` with "dictionary changed size during iteration" (HTTP 500). So a write holds its
  tables' write locks, reads of a table share its read lock, calls on different tables run
  together, and everything else runs alone: single-item writes and transactions serializable
  with each other, no lost updates (R-1, R-2, R-3), and a GetItem no longer waits for another
  table's Query.
* **All or nothing per call** (``moto_models.py``): a call moto answers with an error leaves
  no trace (moto can half-apply a failed UpdateItem, BatchWriteItem or PartiQL transaction),
  so only successful calls change state.
* **A write-ahead journal** (``journal.py``) so that a restart or ``kill -9`` loses no
  acknowledged write: every successful state-changing call is synced to disk before ``call``
  returns. The record is numbered and kept in memory under the call's locks, and written and
  synced after them (group commit: one ``fsync`` covers every write that arrived meanwhile, and
  no lock is held during any I/O, so a writer never waits for another writer's ``fsync``). Every
  answer, reads and refusals included, waits until everything it may depend on is on disk, so no
  caller ever sees state a crash could take back: for a GetItem of a string partition key, or a
  Query of one on a table or a local index, the last record that changed that partition or
  anything but items (``_read_depends``); for every other call, everything applied before it.
  (A GetItem used to wait for every other user's write to reach the disk: under
  ``benchmarks/load.py`` the request threads spent most of their time in ``sync_through``; a
  Query did until issue 11's second round.)
* **Restart proportional to what happened since the snapshot** (issue 11): an item write is
  journaled as the after-images of the items it wrote (one record per call, so a transaction
  survives a crash whole or not at all) and replayed as dictionary work; the snapshot is an
  SQLite file (``snapshot_db.py``) opened without moto's API, each item read from it on first
  use; start-up compacts nothing. A compaction writes the journal's after-images into the
  snapshot as rows (what changed, not what is stored), in the background for a large state, and
  a clean stop does the same with the few records since the last one.
* **No full garbage collection over the whole data set**: the items are long-lived and acyclic,
  so after start-up and after each compaction what exists is moved out of the cyclic
  collector's generations (``gc.freeze``); a full collection then walks only what came since.
* **ClientRequestToken** (``idempotency.py``), which moto ignores (R-4).
* **Provisioned throughput** (``throttling.py``), off unless configured, so that SDK retry and
  backoff paths can be exercised locally (R-7).
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iam_policies.schema import TableSchema
from webapp.backend import snapshot, snapshot_db
from webapp.backend.errors import DynamoDBError, InternalServerError
from webapp.backend.idempotency import IdempotencyCache, fingerprint
from webapp.backend.journal import Journal, Mark, Record
from webapp.backend.lifecycle import Lifecycle
from webapp.backend.locking import WRITES, TableLocks, tables_of
from webapp.backend.metering import CapacityMeter, tidy
from webapp.backend.moto_engine import MotoEngine
from webapp.backend.moto_models import SerialDynamoDBBackend, queried
from webapp.backend.snapshot_db import RewriteNeeded, SnapshotDB
from webapp.backend.watch import Watch
from webapp.clock import Clock

log = logging.getLogger(__name__)

#: Operations that never change state (PartiQL is decided by its statements).
READ_PREFIXES = ("Get", "BatchGet", "TransactGet", "Describe", "List", "Query", "Scan")
#: Operations after which the cached key schemas may be stale.
SCHEMA_CHANGES = frozenset({
    "CreateTable", "UpdateTable", "DeleteTable", "RestoreTableFromBackup",
    "RestoreTableToPointInTime", "ImportTable",
})
DEFAULT_COMPACT_EVERY = 5000
#: Partitions whose last change ``_read_depends`` keeps before dropping those already on disk.
PARTITIONS_REMEMBERED = 50_000
#: Operations whose journal record is the after-image of every item they wrote (replayed as
#: dictionary work); any other change is recorded as its request and replayed through moto.
ITEM_WRITES = frozenset({
    "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
    "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
})
#: Up to this many items, a compaction runs under the lock in the call that reached
#: ``compact_every``; above it, in a background thread that takes the lock only to note where it
#: starts (``_compact_in_background``).
COMPACT_CHUNK = 500


def is_mutating(operation: str, params: Mapping[str, Any]) -> bool:
    if operation.startswith(READ_PREFIXES):
        return False
    if operation == "ExecuteStatement":
        return not _is_select(params.get("Statement"))
    if operation in ("BatchExecuteStatement", "ExecuteTransaction"):
        key = "Statements" if operation == "BatchExecuteStatement" else "TransactStatements"
        return not all(_is_select(s.get("Statement")) for s in params.get(key) or () if isinstance(s, Mapping))
    return True


def _is_select(statement: Any) -> bool:
    return isinstance(statement, str) and statement.lstrip().upper().startswith("SELECT")


class LocalBackend:
    """``Backend`` over a private in-process moto, persisted in ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        region: str,
        account_id: str,
        clock: Clock,
        capacity: CapacityMeter | None = None,
        table_status_seconds: float = 0.0,
        sync: bool = True,
        compact_every: int = DEFAULT_COMPACT_EVERY,
    ) -> None:
        self.clock = clock
        self.engine = MotoEngine(region, account_id)
        self.lifecycle = Lifecycle(self.engine.models, table_status_seconds)
        self.journal = Journal(directory, sync=sync)
        self.store = SnapshotDB(self.journal.db_path, sync=sync)
        self.tokens = IdempotencyCache()
        self.capacity = capacity or CapacityMeter()
        self.compact_every = compact_every
        self._locks = TableLocks()
        #: Held by a call that must run alone, compaction and shutdown: every call waits for it.
        self._lock = self._locks.registry
        self._schemas: dict[str, TableSchema | None] = {}
        #: What a GetItem's answer may depend on (``_read_depends``): the last journal record that
        #: changed an item of each (table, string partition key), and the last record of any other
        #: kind (a table created, changed or deleted, PartiQL, a key of another type).
        self._partition_seq: dict[tuple[str, str], int] = {}
        self._unkeyed_seq = 0
        self._seq_lock = threading.Lock()
        self._closed = False
        self._closing = False
        #: The background compaction in progress (``_compact_in_background``), if any.
        self._compactor: threading.Thread | None = None
        try:
            self._recover()
        except BaseException:
            self.store.close()
            self.journal.close()
            raise

    # Start-up -----------------------------------------------------------------------------------

    def _recover(self) -> None:
        """The snapshot, then the journal records after it. Nothing is compacted here, so a
        restart costs reading what is on disk; the next compaction runs in the background."""
        loaded: snapshot.Loaded | None = None
        if self.store.exists():
            loaded = self.store.load(self.engine.models)
        elif (found := self.journal.read_snapshot()) is not None:  # a previous version's
            data, legacy = found
            origin = str(self.journal.legacy_snapshot_path if legacy else self.journal.snapshot_path)
            if legacy:
                loaded = snapshot.load_legacy(self.engine.models, json.loads(data))
            else:
                loaded = snapshot.load(self.engine.models, data, origin)
        else:  # a new directory: the journal holds every change since it began
            self.store.seq = 0
        after = 0
        if loaded is not None:
            after = loaded.seq
            self.journal.covered(after)
            self.tokens.load(loaded.tokens)
        replayed = 0
        for record in self.journal.replay(after):
            self._replay(record)
            replayed += 1
        if replayed:
            log.info("replayed %d journal records", replayed)
        # What was loaded is long-lived and acyclic: out of the cyclic collector's way (see above).
        gc.freeze()
        with self._lock:
            if loaded is not None and self.store.seq is None:  # a previous version's snapshot
                self._compactor = threading.Thread(target=self._upgrade_in_background, name="snapshot upgrade",
                                                   daemon=True)
                self._compactor.start()
            else:
                self._maybe_compact()

    def _replay(self, record: Record) -> None:
        body = record.body
        if "w" in body:  # after-images (see _journal_call)
            for name, key, image in body["w"]:
                snapshot.apply_image(self.engine.models.tables[name], key, image)
            if body.get("token"):
                self.tokens.remember(body["token"], body["fp"], float(body["t"]), body["response"])
            return
        try:  # a request, replayed through moto
            response = self.engine.call(body["op"], body["params"])
        except DynamoDBError as error:  # moto state that replay cannot rebuild (e.g. backup ARNs)
            log.error("replay of record %d (%s) diverged: %s", record.seq, body["op"], error)
            return
        finally:
            self._take_changes()
        response = tidy(body["op"], body["params"], response)
        if body["op"] == "CreateTable" and "t" in body:
            self._set_created_at(body["params"].get("TableName"), float(body["t"]))
        token = body.get("token")
        if token:
            self.tokens.remember(token, fingerprint(body["params"]), float(body["t"]), response)

    def _set_created_at(self, name: Any, at: float) -> None:
        table = self.engine.models.tables.get(name) if isinstance(name, str) else None
        if table is not None:  # moto keeps naive UTC datetimes
            table.created_at = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)

    # Calls --------------------------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """The answer of one call; data-plane calls on different tables run together, reads of a
        table together, anything else alone (``locking.py``)."""
        failure: DynamoDBError | None = None
        names = tables_of(operation, params)
        ran = False
        if names is not None:
            with self._locks.data_call(names, operation in WRITES, self.engine.models.tables.__contains__) as held:
                if held:
                    ran = True
                    response, failure, seen = self._call_held(operation, params)
        if not ran:
            with self._lock:
                response, failure, seen = self._call_held(operation, params)
                self._maybe_compact()
        elif operation in WRITES and self.journal.pending >= self.compact_every and self._compactor is None:
            with self._lock:  # after a write, as before; a compaction starts with every table at rest
                self._maybe_compact()
        self._durable(seen)
        if failure is not None:
            raise failure
        return response

    def _call_held(self, operation: str, params: dict[str, Any]) -> tuple[dict[str, Any], DynamoDBError | None, int]:
        """``_call`` under the locks ``call`` took: its response or error, and the last journal
        record its answer may depend on."""
        if self._closed:
            raise InternalServerError("The backend is shut down")
        response: dict[str, Any] = {}
        failure: DynamoDBError | None = None
        queried.partition = None
        try:
            response = self._call(operation, params)
        except DynamoDBError as error:
            failure = error
        return response, failure, self._read_depends(operation, params)

    def _read_depends(self, operation: str, params: Mapping[str, Any]) -> int:
        """The last journal record the answer may depend on (called under the call's locks).

        A GetItem of a string partition key reads one item of one partition, and a Query of a
        table or of a local index the items of one partition (``moto_models.queried``): each
        depends on the last record that wrote into that partition and on the last record of any
        other kind, not on other users' writes elsewhere. Anything else depends on everything so
        far. (Numbers and binary values have several spellings of one key, so they are not
        tracked.)
        """
        last = self.journal.last_seq
        if operation == "Query":
            partition = queried.partition
            if partition is None:
                return last
            name, value = partition[0], partition[1]
            if getattr(value, "type", None) != "S" or not isinstance(value.value, str):
                return last
            return max(self._unkeyed_seq, self._partition_seq.get((name, value.value), 0))
        if operation != "GetItem":
            return last
        name, key = params.get("TableName"), params.get("Key")
        table = self.engine.models.tables.get(name) if isinstance(name, str) else None
        if table is None or not isinstance(key, Mapping):
            return last
        value = key.get(table.hash_key_attr)
        if not isinstance(value, Mapping) or len(value) != 1 or not isinstance(value.get("S"), str):
            return last
        return max(self._unkeyed_seq, self._partition_seq.get((table.name, value["S"]), 0))

    def _remember_dependents(self, seq: int, partitions: list[tuple[str, str]] | None) -> None:
        """Record ``seq`` as the last change of each of ``partitions`` (``None``: of anything)."""
        with self._seq_lock:
            if partitions is None:
                self._unkeyed_seq = seq
                return
            known = self._partition_seq
            for partition in partitions:
                known[partition] = seq
            if len(known) > PARTITIONS_REMEMBERED:  # what is on disk constrains no read
                durable = self.journal.durable_seq
                self._partition_seq = {k: v for k, v in known.items() if v > durable}

    def _durable(self, seq: int) -> None:
        """Wait (outside the lock) until the journal is on disk up to ``seq``."""
        try:
            self.journal.sync_through(seq)
        except OSError as error:  # the change is in memory but not on disk: say so, like a 500
            log.error("journal sync failed: %s", error)
            raise InternalServerError("Internal server error (the write could not be made durable)") from error

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        token = params.get("ClientRequestToken") if operation == "TransactWriteItems" else None
        if isinstance(token, str) and 1 <= len(token) <= 36:
            repeat = self.tokens.lookup(token, params, now)
            if repeat is not None:
                return dict(repeat)
        else:
            token = None
        listed = self.lifecycle.before(operation, params, now)
        if listed is not None:
            return listed
        mutating = is_mutating(operation, params)
        params, unprocessed = self.capacity.split_batch(self.engine, operation, params, now)
        plan = self.capacity.admit(self.engine, operation, params, now)
        try:
            response = self.engine.call(operation, params)
        except DynamoDBError as error:  # the engine has undone whatever moto began: journal nothing
            self._take_changes()
            if plan is not None:
                self.capacity.settle_failure(self.engine, plan, error, now)
            raise
        if plan is not None:
            response = self.capacity.settle(self.engine, plan, response, now)
        response = tidy(operation, params, response)
        if operation == "CreateTable":  # the journal's time, so the TableId survives a restart
            self._set_created_at(params.get("TableName"), now)
            response.get("TableDescription", {})["CreationDateTime"] = now
        response = self.lifecycle.after(operation, params, response, now)
        if unprocessed:
            response["UnprocessedItems" if operation == "BatchWriteItem" else "UnprocessedKeys"] = unprocessed
        if mutating:
            self._journal_call(operation, params, now, token, response)
            if token:  # a repeat is answered only once this record is durable (``call``)
                self.tokens.remember(token, fingerprint(params), now, response)
            self._after_change(operation)
        return response

    def _take_changes(self) -> list[tuple[Any, Any, Any]]:
        models = self.engine.models
        return models.take_changes() if isinstance(models, SerialDynamoDBBackend) else []

    def _journal_call(self, operation: str, params: dict[str, Any], now: float, token: str | None,
                      response: dict[str, Any]) -> None:
        """One record for the call: for an item write, the after-image of each item it wrote
        (``snapshot.apply_image`` replays it: no moto API, and a transaction's items travel in
        one record, so a crash keeps all of them or none); for anything else, the request."""
        changes = self._take_changes()
        record: dict[str, Any]
        partitions: list[tuple[str, str]] | None = None
        if operation in ITEM_WRITES:
            images: dict[tuple[str, Any, Any], list[Any]] = {}
            for table, hash_key, range_key in changes:
                if (table.name, hash_key, range_key) not in images:
                    partition = table.items.get(hash_key)
                    current = partition if range_key is None or partition is None else partition.get(range_key)
                    images[table.name, hash_key, range_key] = [
                        table.name, snapshot.key_image(hash_key, range_key), snapshot.item_image(current)]
            if not images and not token:
                return  # nothing was written (e.g. an update that only removes, of no item)
            record = {"op": operation, "t": now, "w": list(images.values())}
            if token:
                record.update(token=token, fp=fingerprint(params), response=response)
            partitions = [(table.name, hash_key.value) for table, hash_key, _ in changes]
            if any(getattr(hash_key, "type", None) != "S" for _, hash_key, _ in changes):
                partitions = None
        else:
            record = {"op": operation, "params": params, "t": now}
            if token:
                record["token"] = token
        self._remember_dependents(self._journal(record), partitions)

    def _journal(self, record: dict[str, Any]) -> int:
        try:
            return self.journal.write(record)
        except OSError as error:  # the change is in memory but not on disk: say so, like a 500
            log.error("journal append failed: %s", error)
            raise InternalServerError("Internal server error (the write could not be made durable)") from error

    def _after_change(self, operation: str) -> None:
        if operation in SCHEMA_CHANGES:
            self._schemas.clear()
            self.capacity.forget_tables()
        # (``call`` then compacts if due, holding ``_lock``: every table at rest)

    # Compaction ---------------------------------------------------------------------------------

    def _maybe_compact(self) -> None:
        """Once ``compact_every`` item images (or other records) wait in the journal (the caller
        holds ``_lock``)."""
        if self.journal.pending < self.compact_every or self._compactor is not None or self._closing:
            return
        if self.store.seq is None or self._item_count() <= COMPACT_CHUNK:
            self._compact()
            return
        self._compactor = threading.Thread(target=self._compact_in_background, name="compaction", daemon=True)
        self._compactor.start()

    def _item_count(self) -> int:
        return sum(len(t.items) if t.range_key_attr is None else sum(len(p) for p in t.items.values())
                   for t in self.engine.models.tables.values())

    def _compact(self) -> None:
        """Bring the snapshot up to the last record (the caller holds the lock: for a small
        state, a clean stop, and the rare rewrite)."""
        mark = self.journal.mark()
        tables = [snapshot.table_spec(t) for t in self.engine.models.tables.values()]
        tokens = self.tokens.export(self.clock())
        try:
            self._apply(mark, tables, tokens)
        except RewriteNeeded as reason:
            log.info("rewriting the snapshot: %s", reason)
            self.journal.sync_through(mark.seq)
            self.store.rewrite(self.engine.models, mark.seq, tokens)
            self._dropped(mark)

    def _apply(self, mark: Mark, tables: list[dict[str, Any]], tokens: list[dict[str, Any]]) -> None:
        """The records up to ``mark`` into the snapshot, then out of the journal (no lock
        needed: they are on disk and no longer change; the snapshot applies them in order)."""
        self.journal.sync_through(mark.seq)
        written = self.store.apply(self.journal.records_through(mark), mark.seq, tables, tokens)
        self._dropped(mark)
        log.info("compacted through record %d (%d items written)", mark.seq, written)

    def _dropped(self, mark: Mark) -> None:
        self.journal.drop_through(mark)
        self.journal.remove_legacy_snapshots()
        gc.freeze()  # what the records built is long-lived too (see the module doc)

    def _compact_in_background(self) -> None:
        try:
            self._compact_outside_lock()
        except Exception:  # the journal still holds every record: nothing is lost, retried later
            log.exception("background compaction failed")
        finally:
            with self._lock:
                self._compactor = None

    def _compact_outside_lock(self) -> None:
        """A compaction that does not stop requests: the lock is taken to note the last record it
        covers and the tables and tokens as of it; the rows are written outside it (records up to
        the mark no longer change). If those records hold a change rows cannot express (a restore
        or an import), the snapshot is rewritten whole, with every table at rest."""
        with self._lock:
            mark = self.journal.mark()
            tables = [snapshot.table_spec(t) for t in self.engine.models.tables.values()]
            tokens = self.tokens.export(self.clock())
        try:
            self._apply(mark, tables, tokens)
        except RewriteNeeded:
            with self._lock:
                if not self._closed:
                    self._compact()

    def _upgrade_in_background(self) -> None:
        """A data directory a previous version wrote (``snapshot.jsonl`` or ``snapshot.json``)
        gets its ``snapshot.db`` from that file's own bytes, so no lock is held while its rows
        are built and written: the state in memory is not read, and requests go on. (It was
        rewritten whole from memory under the lock at the first compaction: 9.3 s per 100,000
        items during which every request waited, ``benchmarks/compaction.py``.) The journal's
        records since that snapshot are then applied as by any background compaction, which
        removes the old file. A crash in between leaves either no ``snapshot.db`` (the old file
        is read again) or one covering what the old file did (read, the old file ignored)."""
        try:
            found = self.journal.read_snapshot()
            if found is not None:
                data, legacy = found
                origin = str(self.journal.legacy_snapshot_path if legacy else self.journal.snapshot_path)
                written = self.store.install(snapshot_db.previous(data, legacy, origin))
                del data, found
                log.info("snapshot.db written from %s (%d items)", origin, written)
                self._compact_outside_lock()
        except Exception:  # the old snapshot and the journal are untouched: the next compaction rewrites
            log.exception("converting the previous version's snapshot failed")
        finally:
            with self._lock:
                self._compactor = None

    @property
    def watch(self) -> Watch:
        """Units and throttles per table, index and partition key (``watch.py``)."""
        return self.capacity.watch

    # Schemas ------------------------------------------------------------------------------------

    def table_schema(self, name: str) -> TableSchema | None:
        if name in self._schemas:  # every request's derive step: no lock once known
            try:
                return self._schemas[name]
            except KeyError:  # cleared meanwhile by a table change
                pass
        with self._lock:
            if name not in self._schemas:
                try:
                    table = self.engine.call("DescribeTable", {"TableName": name})["Table"]
                except DynamoDBError:
                    self._schemas[name] = None
                else:
                    self._schemas[name] = TableSchema.from_description(table)
            return self._schemas[name]

    def close(self) -> None:
        """Stop: the records since the last compaction go into the snapshot (as many rows as they
        wrote, not the whole state), so the next start replays nothing."""
        with self._lock:
            if self._closed:
                return
            self._closing = True  # no new background compaction
            running = self._compactor
        if running is not None:
            running.join()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self.journal.pending or self.journal.legacy_snapshots():
                    self._compact()
            finally:
                self.store.close()
                self.journal.close()
