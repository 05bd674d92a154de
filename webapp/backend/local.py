"""The local DynamoDB: moto in process, serialised, journaled, idempotent, optionally throttled.

Why each part (security-anchors §5):

* **One lock around every call.** moto's models have no locks, and ``transact_write_items``
  rolls a failed transaction back by restoring a deep copy of each touched *table*, which
  drops any write another thread made meanwhile (lost acknowledged writes, R-3) and crashes
  ``deepcopy`` with "dictionary changed size during iteration" (HTTP 500). Serialising every
  call gives DynamoDB's guarantees: single-item writes and transactions serializable with each
  other, no lost updates (R-1, R-2, R-3).
* **All or nothing per call** (``moto_models.py``): a call moto answers with an error leaves
  no trace (moto can half-apply a failed UpdateItem, BatchWriteItem or PartiQL transaction),
  so only successful calls change state.
* **A write-ahead journal** (``journal.py``) so that a restart or ``kill -9`` loses no
  acknowledged write: every successful state-changing call is synced to disk before ``call``
  returns, and replayed in order at start-up. The record is written under the lock and synced
  after it (group commit: one ``fsync`` covers every write that arrived meanwhile, and the lock is
  not held during any). Every answer, reads and refusals included, waits until everything applied
  before it is on disk, so no caller ever sees state a crash could take back.
* **ClientRequestToken** (``idempotency.py``), which moto ignores (R-4).
* **Provisioned throughput** (``throttling.py``), off unless configured, so that SDK retry and
  backoff paths can be exercised locally (R-7).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iam_policies.schema import TableSchema
from webapp.backend.errors import DynamoDBError, InternalServerError
from webapp.backend.idempotency import IdempotencyCache, fingerprint
from webapp.backend.journal import Journal
from webapp.backend.lifecycle import Lifecycle
from webapp.backend.metering import CapacityMeter, tidy
from webapp.backend.moto_engine import MotoEngine
from webapp.backend.snapshot import export_tables, import_tables
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
#: Version of ``snapshot.json``'s layout (``snapshot.py``).
SNAPSHOT_FORMAT = 1


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
        self.tokens = IdempotencyCache()
        self.capacity = capacity or CapacityMeter()
        self.compact_every = compact_every
        self._lock = threading.Lock()
        self._schemas: dict[str, TableSchema | None] = {}
        self._closed = False
        try:
            self._recover()
        except BaseException:
            self.journal.close()
            raise

    # Start-up -----------------------------------------------------------------------------------

    def _recover(self) -> None:
        snapshot = self.journal.load_snapshot()
        after = 0
        if snapshot is not None:
            if snapshot.get("format", SNAPSHOT_FORMAT) != SNAPSHOT_FORMAT:
                raise RuntimeError(
                    f"{self.journal.snapshot_path} has format {snapshot.get('format')!r}; this version "
                    f"reads format {SNAPSHOT_FORMAT}"
                )
            after = int(snapshot["seq"])
            import_tables(self.engine, snapshot.get("tables", []))
            self.tokens.load(snapshot.get("tokens", []))
        replayed = 0
        for record in self.journal.replay(after):
            body = record.body
            try:
                response = self.engine.call(body["op"], body["params"])
            except DynamoDBError as error:  # moto state that replay cannot rebuild (e.g. backup ARNs)
                log.error("replay of record %d (%s) diverged: %s", record.seq, body["op"], error)
                continue
            response = tidy(body["op"], body["params"], response)
            if body["op"] == "CreateTable" and "t" in body:
                self._set_created_at(body["params"].get("TableName"), float(body["t"]))
            token = body.get("token")
            if token:
                self.tokens.remember(token, fingerprint(body["params"]), float(body["t"]), response)
            replayed += 1
        if self.journal.pending:
            log.info("replayed %d journal records; compacting", replayed)
            self._compact()

    def _set_created_at(self, name: Any, at: float) -> None:
        table = self.engine.models.tables.get(name) if isinstance(name, str) else None
        if table is not None:  # moto keeps naive UTC datetimes
            table.created_at = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)

    # Calls --------------------------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        failure: DynamoDBError | None = None
        with self._lock:
            if self._closed:
                raise InternalServerError("The backend is shut down")
            try:
                response = self._call(operation, params)
            except DynamoDBError as error:
                failure = error
            seen = self.journal.last_seq  # what this answer may depend on
        self._durable(seen)
        if failure is not None:
            raise failure
        return response

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
            record: dict[str, Any] = {"op": operation, "params": params, "t": now}
            if token:
                record["token"] = token
            self._journal(record)
            if token:  # a repeat is answered only once this record is durable (``call``)
                self.tokens.remember(token, fingerprint(params), now, response)
            self._after_change(operation)
        return response

    def _journal(self, record: dict[str, Any]) -> None:
        try:
            self.journal.write(record)
        except OSError as error:  # the change is in memory but not on disk: say so, like a 500
            log.error("journal append failed: %s", error)
            raise InternalServerError("Internal server error (the write could not be made durable)") from error

    def _after_change(self, operation: str) -> None:
        if operation in SCHEMA_CHANGES:
            self._schemas.clear()
            self.capacity.forget_tables()
        if self.journal.pending >= self.compact_every:
            self._compact()

    def _compact(self) -> None:
        self.journal.compact({
            "format": SNAPSHOT_FORMAT,
            "tables": export_tables(self.engine.models),
            "tokens": self.tokens.export(self.clock()),
        })

    # Schemas ------------------------------------------------------------------------------------

    def table_schema(self, name: str) -> TableSchema | None:
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
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.journal.pending:
                self._compact()
            self.journal.close()
