"""A write-ahead journal and snapshot: no acknowledged write is lost, even to ``kill -9``.

Every call that may change state is appended as one JSON line, flushed and ``fsync``-ed *before*
the caller is answered; at start-up the snapshot is loaded and the journal replayed in order
into a fresh moto. moto is deterministic for a given sequence of calls, so replay rebuilds the
same tables (conditional writes take the same branch, transactions fail the same way).

Each line is ``<crc32 hex> <json>\\n``. A crash can tear only the last line (appends are
sequential and each is synced before the next starts), so a last line that lacks its newline,
fails its checksum or does not parse is dropped and cut off; a bad line *followed by* good ones
is corruption, and start-up stops rather than silently losing writes.

**Group commit.** ``write`` appends a record and hands it to the OS without waiting for the
disk; ``sync_through(seq)`` returns once every record up to ``seq`` is on disk. One ``fsync`` at a
time runs, outside the backend's lock, and covers every record written before it started: the
writers that queued behind it find their records already durable and return without one of their
own (``append`` = ``write`` + ``sync_through``). The backend answers a caller only after
``sync_through`` has covered everything its answer depends on.

Compaction writes the whole state to ``snapshot.json`` (temporary file, ``fsync``, ``rename``,
``fsync`` of the directory: POSIX ``rename(2)`` is atomic), then truncates the journal. Records
carry a sequence number and the snapshot the last one it covers, so a crash between the rename
and the truncation replays nothing twice.
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
SNAPSHOT_NAME = "snapshot.json"
LOCK_NAME = "lock"


class JournalCorrupted(RuntimeError):
    """A damaged record in the middle of the journal: refuse to start rather than lose data."""


class JournalInUse(RuntimeError):
    """Another process holds the journal: two writers would interleave and diverge."""


@dataclass(frozen=True)
class Record:
    seq: int
    body: dict[str, Any]


def encode(seq: int, body: dict[str, Any]) -> bytes:
    text = json.dumps({"seq": seq, **body}, separators=(",", ":"), sort_keys=True)
    data = text.encode("utf-8")
    return b"%08x " % zlib.crc32(data) + data + b"\n"


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
        self.snapshot_path = directory / SNAPSHOT_NAME
        self._file: BinaryIO | None = None
        self.last_seq = 0
        #: Every record up to this sequence number is on disk.
        self.durable_seq = 0
        #: Held by the one ``fsync`` (or compaction) in progress.
        self._flushing = threading.Lock()
        #: Records appended since the last compaction (what start-up has to replay).
        self.pending = 0

    # Start-up ----------------------------------------------------------------------------------

    def load_snapshot(self) -> dict[str, Any] | None:
        if not self.snapshot_path.exists():
            return None
        snapshot: dict[str, Any] = json.loads(self.snapshot_path.read_text("utf-8"))
        self.last_seq = max(self.last_seq, int(snapshot.get("seq", 0)))
        return snapshot

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
                self.pending += 1
                yield record
        if good_end != self.path.stat().st_size:
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
                self._fsync(handle)

    # Appending ---------------------------------------------------------------------------------

    def append(self, body: dict[str, Any]) -> int:
        """Write one record durably; returns its sequence number."""
        seq = self.write(body)
        self.sync_through(seq)
        return seq

    def write(self, body: dict[str, Any]) -> int:
        """Append one record, handed to the OS but not yet synced; returns its sequence number.
        Callers serialise writes (the backend's lock); ``sync_through`` may run concurrently."""
        if self._file is None:
            created = not self.path.exists()
            self._file = open(self.path, "ab")  # noqa: SIM115 - held open until close()
            if created:  # the new directory entry must be durable too
                self._fsync_directory()
        self._file.write(encode(self.last_seq + 1, body))
        self._file.flush()
        self.last_seq += 1  # only once the record is in the OS's hands (see sync_through)
        self.pending += 1
        return self.last_seq

    def sync_through(self, seq: int) -> None:
        """Return once every record up to ``seq`` is on disk (group commit, see above)."""
        if seq <= self.durable_seq:
            return
        with self._flushing:
            if seq <= self.durable_seq:  # the fsync we waited for covered it
                return
            target = self.last_seq  # everything written so far is flushed to the OS
            if self._file is not None:
                self._fsync(self._file)
            self.durable_seq = max(self.durable_seq, target)

    # Compaction --------------------------------------------------------------------------------

    def compact(self, state: dict[str, Any]) -> None:
        """Persist ``state`` (everything up to ``last_seq``) and empty the journal."""
        with self._flushing:  # no fsync of the journal file while it is replaced
            self._compact(state)
            self.durable_seq = self.last_seq

    def _compact(self, state: dict[str, Any]) -> None:
        temporary = self.snapshot_path.with_suffix(".tmp")
        data = json.dumps({"seq": self.last_seq, **state}, separators=(",", ":")).encode("utf-8")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            self._fsync(handle)
        os.replace(temporary, self.snapshot_path)
        self._fsync_directory()
        if self._file is not None:
            self._file.close()
            self._file = None
        with open(self.path, "wb") as handle:
            self._fsync(handle)
        self._fsync_directory()
        self.pending = 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    def _fsync(self, handle: BinaryIO) -> None:
        if self.sync:
            os.fsync(handle.fileno())

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
