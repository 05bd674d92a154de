"""The snapshot in SQLite (``snapshot.db``): opened without replaying, brought up to date with
what changed since, never rewritten whole.

**Why SQLite** (issue 11 names the model: DynamoDB Local keeps its data in SQLite and opens it
without replaying it). The previous snapshot (``snapshot.jsonl``, format 2, ``snapshot.py``) was a
file written whole at every compaction: 29-39 MB for 100,000 small items, so a clean stop wrote
all of it under the lock (2.6-6 s) and each background compaction copied every item again, and
a restart kept every untouched item's line in memory (RSS ~185 MB against 99 MB empty). Here:

* **A compaction costs what changed, not what is stored.** The journal's records are the
  after-images of the items each write left (``local.py``); a compaction applies the records
  since the last one as ``INSERT ... ON CONFLICT DO UPDATE`` / ``DELETE`` rows in one SQLite
  transaction (atomic and durable: WAL, ``synchronous=FULL``), together with the table
  descriptions and idempotency tokens as of its last record, then the journal drops them. A
  clean stop after 2,000 writes writes 2,000 rows, whatever the table holds.
* **Items stay on disk until read.** Start-up reads each row's key (what moto's dictionaries are
  indexed by) and keeps the row's id, not its text; ``snapshot.StoredItem`` fetches and decodes
  the attributes the first time anything reads them. An untouched row is never rewritten, so its
  id stays valid for the life of the process (a full rewrite, below, decodes every item first).
* **A damaged file is refused at start, not served in part.** SQLite reports a broken page
  structure itself (``DatabaseError``); each row carries a CRC-32 of its key and attributes,
  checked as start-up reads it, and the header row a CRC-32 of itself and the item count.

Compared with an mmap'd ``snapshot.jsonl`` plus an offset index (the other design considered):
the memory saving is the same (an int per item instead of its line), but every compaction would
still rewrite the whole file, and offsets into the old file would have to be carried over to the
new one. Start-up costs about the same either way: building moto's item dictionaries (one object
per item and per range key) is what grows with the data, not reading the file.

**Rewriting whole** is left for what the journal cannot express as rows: the first snapshot of a
data directory written by a previous version (``snapshot.jsonl`` or ``snapshot.json``), and a
table restored from a backup or imported (a request replayed through moto, without
after-images). It runs with every table at rest.

**Keys as text.** A row is found by its table and the canonical JSON of its keys: strings and
binaries as DynamoDB JSON (binaries base64), numbers normalised (``1.0``, ``1E0`` and ``1`` are one
key to DynamoDB and to moto, so they must be one row).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from webapp.backend import snapshot
from webapp.backend.journal import Record
from webapp.backend.snapshot import Loaded, SnapshotDamaged

FORMAT = 3
NAME = "snapshot.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS header (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL, crc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, h TEXT NOT NULL, r TEXT NOT NULL,
    attrs BLOB NOT NULL, crc INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS items_key ON items (tbl, h, r);
"""
_UPSERT = ("INSERT INTO items (tbl, h, r, attrs, crc) VALUES (?, ?, ?, ?, ?) "
           "ON CONFLICT (tbl, h, r) DO UPDATE SET attrs = excluded.attrs, crc = excluded.crc")
_DELETE = "DELETE FROM items WHERE tbl = ? AND h = ? AND r = ?"

#: Journaled requests (table changes, replayed through moto) that add or change no item.
#: ``DeleteTable`` removes the table's rows; any other request (a restore, an import) makes the
#: next compaction a rewrite.
NO_ITEM_EFFECT = frozenset({
    "CreateTable", "UpdateTable", "UpdateTimeToLive", "TagResource", "UntagResource",
    "UpdateContinuousBackups", "CreateBackup", "DeleteBackup", "PutResourcePolicy",
    "DeleteResourcePolicy", "UpdateContributorInsights", "EnableKinesisStreamingDestination",
    "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination",
    "ExportTableToPointInTime", "UpdateTableReplicaAutoScaling", "CreateGlobalTable",
    "UpdateGlobalTable", "UpdateGlobalTableSettings",
})


class RewriteNeeded(Exception):
    """The records since the last compaction hold a change rows cannot express."""


def key_text(value: DynamoType | dict[str, Any] | None) -> str:
    """The canonical JSON of a key attribute (``""`` for a table without a range key)."""
    if value is None:
        return ""
    wire = snapshot._wire_value(value) if isinstance(value, DynamoType) else value
    number = wire.get("N")
    if number is not None:
        parsed = Decimal(number)
        wire = {"N": "0" if parsed == 0 else format(parsed.normalize(), "f")}
    return snapshot._dumps(wire)


def _crc(h: str, r: str, attrs: bytes) -> int:
    return zlib.crc32(attrs, zlib.crc32(f"{h}\t{r}".encode()))


def _row(table: str, h: str, r: str, attrs: bytes) -> tuple[str, str, str, bytes, int]:
    return table, h, r, attrs, _crc(h, r, attrs)


@dataclass(frozen=True)
class Previous:
    """A previous version's snapshot (``snapshot.jsonl``, format 2, or ``snapshot.json``, format
    1) as this file's header and rows: what the first compaction of such a data directory writes."""

    seq: int
    tables: list[dict[str, Any]]
    tokens: list[dict[str, Any]]
    rows: list[tuple[str, str, str, bytes, int]]


def previous(data: bytes, legacy: bool, origin: str) -> Previous:
    """The rows of a previous version's snapshot, read from its bytes alone (not from the state
    in memory, which requests change meanwhile): an item's attributes are its text in the file."""
    rows: list[tuple[str, str, str, bytes, int]] = []
    if legacy:
        document = json.loads(data)
        if document.get("format", 1) != 1:
            raise SnapshotDamaged(f"{origin} has format {document.get('format')!r}; this version reads 2 and 1")
        tables = []
        for spec in document.get("tables", []):
            tables.append({name: value for name, value in spec.items() if name != "items"})
            keys = {key["KeyType"]: key["AttributeName"] for key in spec["schema"]}
            for attributes in spec.get("items", []):
                range_value = attributes[keys["RANGE"]] if "RANGE" in keys else None
                rows.append(_row(spec["name"], key_text(attributes[keys["HASH"]]), key_text(range_value),
                                 snapshot._dumps(attributes).encode()))
        return Previous(int(document.get("seq", 0)), tables, list(document.get("tokens", [])), rows)
    header, lines, _ = snapshot._checked(data, origin)
    name = ""
    for line in lines[1:]:
        if not line:
            continue
        if line[0] == "#":
            name = line[1:]
            continue
        hash_json, range_json, attributes = line.split("\t", 2)
        rows.append(_row(name, key_text(json.loads(hash_json)),
                         "" if range_json == "null" else key_text(json.loads(range_json)), attributes.encode()))
    return Previous(int(header["seq"]), list(header["tables"]), list(header.get("tokens", [])), rows)


class SnapshotDB:
    """``snapshot.db`` in one data directory: one connection reads items on first use, another
    writes compactions (WAL: a reader never waits for a compaction, nor a compaction for one)."""

    def __init__(self, path: Path, *, sync: bool = True) -> None:
        self.path = path
        self.sync = sync
        #: The journal record the file covers, once loaded or written by this process (``None``:
        #: the state in memory did not come from it, so only a rewrite can bring it up to date).
        self.seq: int | None = None
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._reading = threading.Lock()
        #: Items decoded from rows are of this class: it knows where to read them.
        self.item_class: type[snapshot.StoredItem] = type("StoredItem", (snapshot.StoredItem,), {"_store": self})

    def exists(self) -> bool:
        return self.path.exists()

    def _connect(self, path: Path | None = None) -> sqlite3.Connection:
        connection = sqlite3.connect(path or self.path, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {'FULL' if self.sync else 'OFF'}")
        connection.execute("PRAGMA busy_timeout = 60000")
        return connection

    # Start-up ----------------------------------------------------------------------------------

    def load(self, models: DynamoDBBackend) -> Loaded:
        """Rebuild the tables into ``models``, each item a row id until first read."""
        origin = str(self.path)
        try:
            self._reader = reader = self._connect()
            found = reader.execute("SELECT body, crc FROM header WHERE id = 1").fetchone()
            if found is None or zlib.crc32(found[0].encode()) != found[1]:
                raise SnapshotDamaged(f"{origin}: its header is missing or damaged")
            header = json.loads(found[0])
            if header.get("format") != FORMAT:
                raise SnapshotDamaged(f"{origin} has format {header.get('format')!r}; this version reads {FORMAT}")
            tables = {spec["name"]: snapshot.create_table(models, spec) for spec in header["tables"]}
            loaded = self._load_items(reader, tables)
        except sqlite3.DatabaseError as error:
            raise SnapshotDamaged(f"{origin}: {error}") from None
        if loaded != header["items"]:
            raise SnapshotDamaged(f"{origin}: {loaded} items where its header says {header['items']}")
        self.seq = int(header["seq"])
        return Loaded(self.seq, list(header["tokens"]), loaded)

    def _load_items(self, reader: sqlite3.Connection, tables: dict[str, Table]) -> int:
        """The loop of a restart, kept to plain local operations: one pass over the rows in the
        order they are stored, one item object and one range key per row, one hash key per
        partition (the order of moto's dictionaries is not what Scan and Query answer in:
        ``moto_models.py`` sorts)."""
        new, item_class, parse, crc32 = object.__new__, self.item_class, snapshot._key, zlib.crc32
        count = 0
        name: str | None = None
        store: Any = None
        has_range = False
        partitions: dict[str, tuple[DynamoType, Any]] = {}
        by_table: dict[str, dict[str, tuple[DynamoType, Any]]] = {}
        for tbl, row_id, h, r, attrs, crc in reader.execute("SELECT tbl, id, h, r, attrs, crc FROM items"):
            if tbl != name:
                if tbl not in tables:
                    raise SnapshotDamaged(f"{self.path}: item {row_id} belongs to no table ({tbl!r})")
                name, table = tbl, tables[tbl]
                store, has_range = table.items, table.range_key_attr is not None
                partitions = by_table.setdefault(tbl, {})
            if crc32(attrs, crc32(f"{h}\t{r}".encode())) != crc:
                raise SnapshotDamaged(f"{self.path}: item {row_id} of {name} fails its checksum")
            found = partitions.get(h)
            if found is None:
                hash_key = parse(h)
                found = partitions[h] = (hash_key, store[hash_key] if has_range else None)
            item: Any = new(item_class)
            item.hash_key = found[0]
            if has_range:
                range_key = item.range_key = parse(r)
                found[1][range_key] = item
            else:
                item.range_key = None
                store[found[0]] = item
            item._row = row_id
            count += 1
        return count

    def attributes(self, row_id: int) -> bytes:
        """The attributes of an item not read since start-up (its row is unchanged since)."""
        with self._reading:
            if self._reader is None:
                raise SnapshotDamaged(f"{self.path} is closed")
            found = self._reader.execute("SELECT attrs FROM items WHERE id = ?", (row_id,)).fetchone()
        if found is None:
            raise SnapshotDamaged(f"{self.path}: item {row_id} is gone")
        attrs: bytes = found[0]
        return attrs

    # Compaction --------------------------------------------------------------------------------

    def apply(self, records: Iterable[Record], seq: int, tables: list[dict[str, Any]],
              tokens: list[dict[str, Any]]) -> int:
        """Bring the file up to record ``seq``: the item writes of ``records`` (those after what
        it covers) as rows, and the tables and tokens as of ``seq``, in one transaction. Returns
        how many rows were written. Raises ``RewriteNeeded`` (having changed nothing) when a
        record is a change rows cannot express."""
        if self.seq is None:
            raise RewriteNeeded("the file is not what this process loaded")
        upserts: dict[tuple[str, str, str], bytes | None] = {}
        dropped: list[str] = []
        for record in records:
            if record.seq <= self.seq:
                continue  # a crash came between the previous compaction's commit and journal cut
            body = record.body
            if "w" in body:
                for name, key, image in body["w"]:
                    upserts[name, key_text(key[0]), key_text(key[1])] = (
                        None if image is None else snapshot._dumps(image).encode())
            elif body.get("op") == "DeleteTable":
                name = body["params"].get("TableName", "")
                name = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
                upserts = {k: v for k, v in upserts.items() if k[0] != name}
                dropped.append(name)
            elif body.get("op") not in NO_ITEM_EFFECT:
                raise RewriteNeeded(f"record {record.seq} ({body.get('op')}) is replayed through moto")

        def fill(writer: sqlite3.Connection) -> None:
            for name in dropped:
                writer.execute("DELETE FROM items WHERE tbl = ?", (name,))
            writer.executemany(_DELETE, [k for k, v in upserts.items() if v is None])
            writer.executemany(_UPSERT, [_row(*k, v) for k, v in upserts.items() if v is not None])
            self._write_header(writer, seq, tables, tokens)

        self._commit(fill)
        self.seq = seq
        return len(upserts)

    def rewrite(self, models: DynamoDBBackend, seq: int, tokens: list[dict[str, Any]]) -> int:
        """Replace every row with the state in ``models`` (the caller holds every table still).
        Items still on disk are decoded first: their row ids do not survive."""
        tables = list(models.tables.values())
        rows: list[tuple[str, str, str, bytes, int]] = []
        for table in tables:
            for item in _items(table):
                if "_row" in item.__dict__:
                    item.attrs  # noqa: B018 - decoded before its row goes
                rows.append(_row(table.name, key_text(item.hash_key), key_text(item.range_key), _attributes(item)))

        def fill(writer: sqlite3.Connection) -> None:
            writer.execute("DELETE FROM items")
            writer.executemany("INSERT INTO items (tbl, h, r, attrs, crc) VALUES (?, ?, ?, ?, ?)", rows)
            self._write_header(writer, seq, [snapshot.table_spec(t) for t in tables], tokens)

        self._commit(fill)
        self.seq = seq
        return len(rows)

    def install(self, contents: Previous) -> int:
        """Write a previous version's snapshot as this file (``previous``): the file then covers
        what that snapshot did, and the journal's records after it are applied as usual. Needs
        no lock: it reads nothing in memory. Returns how many rows were written."""

        def fill(writer: sqlite3.Connection) -> None:
            writer.execute("DELETE FROM items")
            writer.executemany("INSERT INTO items (tbl, h, r, attrs, crc) VALUES (?, ?, ?, ?, ?)", contents.rows)
            self._write_header(writer, contents.seq, contents.tables, contents.tokens)

        self._commit(fill)
        self.seq = contents.seq
        return len(contents.rows)

    def _commit(self, fill: Callable[[sqlite3.Connection], None]) -> None:
        """One transaction. The file's first is written to a temporary file renamed into place
        once committed, so a crash never leaves a ``snapshot.db`` without a header."""
        creating = not self.path.exists()
        target = Path(f"{self.path}.tmp") if creating else self.path
        if creating:
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        writer = self._writer if self._writer is not None and not creating else self._connect(target)
        writer.executescript(_SCHEMA)
        try:
            writer.execute("BEGIN IMMEDIATE")
            fill(writer)
            writer.execute("COMMIT")
        except BaseException:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            if creating:
                writer.close()
                target.unlink(missing_ok=True)
            raise
        if not creating:
            self._writer = writer
            return
        writer.close()  # the last connection: its checkpoint folds the WAL into the file, synced
        os.replace(target, self.path)
        if self.sync:
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    @staticmethod
    def _write_header(writer: sqlite3.Connection, seq: int, tables: list[dict[str, Any]],
                      tokens: list[dict[str, Any]]) -> None:
        count = writer.execute("SELECT count(*) FROM items").fetchone()[0]
        body = snapshot._dumps({"format": FORMAT, "seq": seq, "items": count, "tables": tables, "tokens": tokens})
        writer.execute("INSERT OR REPLACE INTO header (id, body, crc) VALUES (1, ?, ?)",
                       (body, zlib.crc32(body.encode())))

    def close(self) -> None:
        """Close both connections (the last one to close folds the WAL into the file)."""
        with self._reading:
            for connection in (self._reader, self._writer):
                if connection is not None:
                    connection.close()
            self._reader = self._writer = None


def _items(table: Table) -> Iterable[Item]:
    if table.range_key_attr is None:
        yield from table.items.values()  # type: ignore[misc]  # moto's own layout
    else:
        for partition in table.items.values():
            yield from partition.values()


def _attributes(item: Item) -> bytes:
    raw: str | None = item.__dict__.get("_raw")
    if raw is not None:  # untouched since a format-2 snapshot was loaded
        return raw.split("\t", 2)[2].encode()
    return snapshot._dumps(snapshot.item_image(item)).encode()
