"""A job's progress, in one JSON file replaced atomically and durably after every page.

The file is what makes a job resumable: it says, per segment, the ``LastEvaluatedKey`` after the
last page whose effects are durable (for an export: the lines written and ``fsync``-ed, and the
byte offset they end at). A resumed job starts each segment from there, so the only work done
twice is the page that was in flight when the job died, and for an export not even that is
written twice: the segment file is cut back to the recorded offset first.

Writes follow ``webapp.files.write_private`` (temporary file, ``fsync``, ``rename``, directory
``fsync``), so a crash leaves the old state or the new one, never a torn file. The segments of a
job write their states side by side: each document is made under the lock (so it holds every
change recorded before it), written and ``fsync``-ed outside it, and renamed into place only if no
later document was renamed meanwhile, so the file never goes back; the directory ``fsync`` then
makes durable whichever document is in place, which holds the caller's change. (Holding the lock
for both fsyncs made the segments of an export take turns for them on every page.)
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from webapp.files import fsync_directory, stage_private

FORMAT_VERSION = 1


class JobError(Exception):
    """Something a person must act on: printed as one line, exit status 2."""


@dataclass
class SegmentState:
    """How far one segment got: resume the scan from ``last_key`` (``None``: from the start)."""

    last_key: dict[str, Any] | None = None
    done: bool = False
    pages: int = 0
    items: int = 0
    #: export: the size of the segment file up to the last durable page
    bytes: int = 0
    #: backfill: items rewritten, left as they were, or skipped after conflicts
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Checkpoint:
    """The state of one job, shared by its segment threads (every update is under ``lock``)."""

    path: Path
    job: str
    table: str
    segments: list[SegmentState]
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        #: Documents made and renamed into place (numbered under ``lock``), and the renames' lock.
        self._made = self._renamed = 0
        self._renaming = threading.Lock()

    @classmethod
    def new(cls, path: Path, *, job: str, table: str, segments: int,
            options: Mapping[str, Any] | None = None) -> Checkpoint:
        return cls(path, job, table, [SegmentState() for _ in range(segments)], dict(options or {}))

    @classmethod
    def load(cls, path: Path, *, job: str) -> Checkpoint:
        try:
            data = json.loads(path.read_text())
            if data.get("version") != FORMAT_VERSION or data.get("job") != job:
                raise ValueError(f"not a {job} checkpoint of version {FORMAT_VERSION}")
            segments = [SegmentState(**s) for s in data["segments"]]
            return cls(path, job, str(data["table"]), segments, dict(data.get("options", {})))
        except FileNotFoundError:
            raise JobError(f"no checkpoint at {path}: nothing to resume") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise JobError(f"{path} is not a checkpoint this command can resume ({exc})") from None

    def update(self, segment: int, **changes: Any) -> None:
        """Record a segment's progress and make it durable before returning."""
        with self.lock:
            state = self.segments[segment]
            for name, value in changes.items():
                setattr(state, name, value)
            made = self._document()
        self._write(*made)

    def save(self) -> None:
        with self.lock:
            made = self._document()
        self._write(*made)

    def _document(self) -> tuple[int, bytes]:
        """The next document (the caller holds ``lock``) and its number."""
        self._made += 1
        document = {"version": FORMAT_VERSION, "job": self.job, "table": self.table,
                    "options": self.options, "segments": [asdict(s) for s in self.segments]}
        return self._made, json.dumps(document, indent=1).encode()

    def _write(self, number: int, data: bytes) -> None:
        tmp = stage_private(self.path, data)
        with self._renaming:
            if number > self._renamed:
                os.replace(tmp, self.path)
                self._renamed = number
            else:  # a later document, holding this change too, is in place already
                tmp.unlink()
        fsync_directory(self.path.parent)

    @property
    def finished(self) -> bool:
        return all(s.done for s in self.segments)
