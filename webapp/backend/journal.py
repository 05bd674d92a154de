"""A write-ahead journal and snapshot: no acknowledged write is lost, even to ``kill -9``.

Every call that changed state is appended as one JSON line, flushed and ``fsync``-ed *before*
the caller is answered; at start-up the snapshot is loaded and the records after it replayed in
order. What a record holds is the backend's (``local.py``): for an item write, the after-image
of every item it wrote, put back as dictionary work (idempotent, and a transaction is one line,
so it survives a crash whole or not at all); for a table change, the request, replayed through
moto, which is deterministic for a given sequence of calls.

Each line is ``<crc32 hex> <json>\\n``. A crash can tear only the last line (appends are
sequential and each is synced before the next starts), so a last line that lacks its newline,
fails its checksum or does not parse is dropped and cut off; a bad line *followed by* good ones
is corruption, and start-up stops rather than silently losing writes.

**Group commit.** ``write`` numbers a record and keeps its line in memory: it is called under
the backend's table locks, and a ``write(2)`` to a file that is being ``fsync``-ed can block
until the disk is done (a journal line's write took up to 70 ms under ``benchmarks/load.py``,
holding the table's write lock, so every reader of the table waited too: the pattern that slowed
the audit log before it became one lock-free write). ``sync_through(seq)`` returns once every
record up to ``seq`` is on disk: one flush at a time runs, outside the backend's locks; it writes
every line kept so far in one ``write`` and ``fsync``-s them, so the writers that queued behind
it find their records already durable and return without one of their own (``append`` =
``write`` + ``sync_through``). The backend answers a caller only after ``sync_through`` has
covered everything its answer depends on, so a record still in memory was never acknowledged:
a crash loses only calls nobody was answered for, as before, when it could lose the lines not
yet synced. Lines reach the file in sequence order (one flusher at a time takes them all).

Compaction (``records_through`` then ``drop_through``) hands the records up to a mark to the
snapshot (``snapshot.db``, ``snapshot_db.py``), which commits them, then rewrites the journal
keeping only the records after the mark (those written while a background compaction ran), by a
temporary file, ``fsync``, ``rename`` and ``fsync`` of the directory (POSIX ``rename(2)`` is
atomic). Records carry a sequence number and the snapshot the last one it covers, so a crash
between the two steps replays nothing twice. Snapshots of previous versions (``snapshot.jsonl``,
``snapshot.json``, ``snapshot.py``) are still read, and removed once ``snapshot.db`` holds them.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

JOURNAL_NAME = "journal.jsonl"
#: The snapshot (``snapshot_db.py``).
DB_NAME = "snapshot.db"
#: Previous versions' snapshots (format 2, then format 1), read when there is no ``snapshot.db``.
SNAPSHOT_NAME = "snapshot.jsonl"
LEGACY_SNAPSHOT_NAME = "snapshot.json"
LOCK_NAME = "lock"


class JournalCorrupted(RuntimeError):
    """A damaged record in the middle of the journal: refuse to start rather than lose data."""


class JournalInUse(RuntimeError):
    """Another process holds the journal: two writers would interleave and diverge."""


@dataclass(frozen=True)
class Record:
    seq: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Mark:
    """Where a compaction starts: the last record its snapshot covers, where the next one will
    begin in the file, and the ``pending`` weight of the records since the previous snapshot."""

    seq: int
    offset: int
    pending: int


def encode(seq: int, body: dict[str, Any]) -> bytes:
    text = json.dumps({"seq": seq, **body}, separators=(",", ":"), sort_keys=True)
    data = text.encode("utf-8")
    return b"%08x " % zlib.crc32(data) + data + b"\n"


def weight(body: dict[str, Any]) -> int:
    """What a record adds to ``Journal.pending``: its item images, or 1."""
    return max(1, len(body.get("w") or ()))


def decode(line: bytes) -> Record | None:
    """The record of one complete line, or ``None`` if it is torn or damaged."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    data = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(data):
            return None
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("seq"), int):
        return None
    seq = body.pop("seq")
    return Record(seq, body)


class Journal:
    """The journal file and the snapshot beside it, in one directory."""

    def __init__(self, directory: Path, *, sync: bool = True) -> None:
        self.directory = directory
        self.sync = sync
        directory.mkdir(parents=True, exist_ok=True)
        self._lock: BinaryIO | None = _exclusive_lock(directory / LOCK_NAME)
        self.path = directory / JOURNAL_NAME
        self.db_path = directory / DB_NAME
        self.snapshot_path = directory / SNAPSHOT_NAME
        self.legacy_snapshot_path = directory / LEGACY_SNAPSHOT_NAME
        self._file: BinaryIO | None = None
        self.last_seq = 0
        #: Bytes in the journal file up to ``last_seq`` (the lines still in memory included).
        self.size = 0
        #: Lines numbered by ``write`` and not yet in the file, in order (``sync_through``).
        self._lines: list[bytes] = []
        #: Every record up to this sequence number is on disk.
        self.durable_seq = 0
        #: Held by the one flush and ``fsync`` (or journal rewrite) in progress.
        self._flushing = threading.Lock()
        #: Guards ``_committing`` and ``durable_seq``; the writers that wait for a commit wait on
        #: it, all woken at once when it ends (see ``sync_through``).
        self._commit = threading.Condition(threading.Lock())
        self._committing = False
        #: Held while a record is numbered and kept, or the kept lines taken (or the file rewritten).
        self._writing = threading.Lock()
        #: What start-up would replay since the last compaction: each record counts its item
        #: images (a 25-item BatchWriteItem is 25 rows for the next compaction), at least 1.
        self.pending = 0
        db_temporary = Path(f"{self.db_path}.tmp")
        for leftover in (self.snapshot_path.with_suffix(".tmp"), self.path.with_suffix(".tmp"), db_temporary,
                         Path(f"{db_temporary}-wal"), Path(f"{db_temporary}-shm"), Path(f"{db_temporary}-journal")):
            leftover.unlink(missing_ok=True)  # a compaction a crash interrupted: never renamed, never read

    # Start-up ----------------------------------------------------------------------------------

    def read_snapshot(self) -> tuple[bytes, bool] | None:
        """A previous version's snapshot: its bytes and whether it is the format-1 file."""
        for path, legacy in ((self.snapshot_path, False), (self.legacy_snapshot_path, True)):
            try:
                return path.read_bytes(), legacy
            except FileNotFoundError:
                continue
        return None

    def covered(self, seq: int) -> None:
        """The loaded snapshot covers every record up to ``seq``: new ones are numbered after it."""
        self.last_seq = max(self.last_seq, seq)

    def replay(self, after: int = 0) -> Iterator[Record]:
        """Records with ``seq > after``, in order; cuts off a torn tail so appends stay clean."""
        if not self.path.exists():
            return
        good_end = 0
        with open(self.path, "rb") as handle:
            lines = handle.readlines()
        for index, line in enumerate(lines):
            record = decode(line)
            if record is None:
                if any(decode(later) is not None for later in lines[index + 1 :]):
                    raise JournalCorrupted(
                        f"{self.path}: record {index + 1} is damaged but later records are intact; "
                        "refusing to start (move the file aside to recover what precedes it)"
                    )
                break
            good_end += len(line)
            self.last_seq = max(self.last_seq, record.seq)
            if record.seq > after:
                self.pending += weight(record.body)
                yield record
        if good_end != self.path.stat().st_size:
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                self._fsync(handle)
        self.size = good_end

    # Appending ---------------------------------------------------------------------------------

    def append(self, body: dict[str, Any]) -> int:
        """Write one record durably; returns its sequence number."""
        seq = self.write(body)
        self.sync_through(seq)
        return seq

    def write(self, body: dict[str, Any]) -> int:
        """Number one record and keep its line for the next flush (no I/O: see "Group commit");
        returns its sequence number. ``sync_through`` may run concurrently."""
        with self._writing:
            seq = self.last_seq + 1
            line = encode(seq, body)
            self._lines.append(line)
            self.size += len(line)
            self.last_seq = seq
            self.pending += weight(body)
            return seq

    def sync_through(self, seq: int) -> None:
        """Return once every record up to ``seq`` is on disk (group commit, see above).

        One caller at a time commits (writes the kept lines and ``fsync``-s); the others wait
        on ``_commit`` and are all woken when it ends: those it covered return, and one of the
        rest commits next. (Waiting on the commit's lock itself woke them one by one, each
        passing the lock to the next only once it had the GIL: a chain as long as the queue.)"""
        if seq <= self.durable_seq:
            return
        with self._commit:
            while True:
                if seq <= self.durable_seq:  # the commit we waited for covered it
                    return
                if not self._committing:
                    self._committing = True
                    break
                self._commit.wait()
        durable = 0
        try:
            with self._flushing:
                target = self._flush()
                if self._file is not None:
                    self._fsync(self._file)
                durable = target
        finally:
            with self._commit:
                self._committing = False
                self.durable_seq = max(self.durable_seq, durable)
                self._commit.notify_all()

    def _flush(self) -> int:
        """Write every kept line to the file (the caller holds ``_flushing``); returns the last
        sequence number written."""
        with self._writing:
            lines, self._lines = self._lines, []
            target = self.last_seq
        try:
            self._write_lines(lines)
        except OSError:
            with self._writing:
                self._lines[:0] = lines
            raise
        return target

    def _write_lines(self, lines: list[bytes]) -> None:
        """Append ``lines`` in one write. On failure the file is cut back to where they began
        and the caller keeps them, so that the next flush writes them whole again (never a damaged
        line before good ones)."""
        if not lines:
            return
        start: int | None = None
        try:
            if self._file is None:
                created = not self.path.exists()
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - held open until close()
                if created:  # the new directory entry must be durable too
                    self._fsync_directory()
            start = self._file.seek(0, os.SEEK_END)
            view = memoryview(b"".join(lines))
            while view:
                view = view[self._file.write(view) or 0:]
        except OSError:
            if self._file is not None and start is not None:
                try:
                    self._file.truncate(start)
                except OSError:
                    pass
            raise

    # Compaction --------------------------------------------------------------------------------

    def mark(self) -> Mark:
        """Where a compaction starting now begins (the caller stops writes while it asks)."""
        with self._writing:
            return Mark(self.last_seq, self.size, self.pending)

    def records_through(self, mark: Mark) -> list[Record]:
        """The records in the file before ``mark`` (all complete and synced: they were written
        before it); a damaged one is corruption."""
        if mark.offset == 0:
            return []
        with open(self.path, "rb") as handle:
            lines = handle.read(mark.offset).splitlines(keepends=True)
        records = []
        for line in lines:
            record = decode(line)
            if record is None:
                raise JournalCorrupted(f"{self.path}: a record before {mark.seq} no longer reads back")
            records.append(record)
        return records

    def legacy_snapshots(self) -> list[Path]:
        return [path for path in (self.snapshot_path, self.legacy_snapshot_path) if path.exists()]

    def remove_legacy_snapshots(self) -> None:
        """``snapshot.db`` now holds what they held: never read again."""
        for path in self.legacy_snapshots():
            path.unlink()
            self._fsync_directory()

    def drop_through(self, mark: Mark) -> None:
        """Remove the records up to ``mark`` (the installed snapshot covers them) and keep those
        after it, by rewriting the journal to a temporary file renamed over it.

        Only ``_flushing`` is held while the file is copied and synced (two ``fsync``s and a
        rename): the file is written only under it, and ``write`` touches memory alone, so calls
        go on numbering and keeping their lines meanwhile. (Holding ``_writing`` too, as before,
        stopped every writer inside its table locks, and so every reader of those tables, for the
        whole rewrite.) Those lines reach the new file at the next flush."""
        with self._flushing:
            target = self._flush()  # every record up to ``target`` is in the file, nothing after it
            tail = b""
            if self.path.exists():
                with open(self.path, "rb") as handle:
                    handle.seek(mark.offset)
                    tail = handle.read()
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "wb") as handle:
                handle.write(tail)
                handle.flush()
                self._fsync(handle)
            os.replace(temporary, self.path)
            self._fsync_directory()
            if self._file is not None:
                self._file.close()
            self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - held open until close()
            with self._writing:
                self.size -= mark.offset  # the file lost its first ``mark.offset`` bytes; kept lines count still
                self.pending -= mark.pending
            with self._commit:  # the tail was synced in its new file
                self.durable_seq = max(self.durable_seq, target)
                self._commit.notify_all()

    def close(self) -> None:
        """Close the file (lines still kept belong to calls nobody was answered for: every answer
        waits for ``sync_through``; they are written, as a crash now would not have)."""
        if self._lines:
            with self._flushing:
                self._flush()
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    def _fsync(self, handle: BinaryIO) -> None:
        if self.sync:
            os.fsync(handle.fileno())

    def fsync_directory(self) -> None:
        self._fsync_directory()

    def _fsync_directory(self) -> None:
        if not self.sync:
            return
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exclusive_lock(path: Path) -> BinaryIO:
    """``flock`` the directory's lock file for this process (the kernel drops it on exit, even
    on ``kill -9``)."""
    import fcntl

    handle = open(path, "ab")  # noqa: SIM115 - held for the journal's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalInUse(
            f"{path.parent} is in use by another process (is another local stack running on this "
            "data directory?)"
        ) from None
    return handle
