"""A JSON document in the data directory, shared by the running stack and the CLI commands.

``python -m webapp dev-token`` and ``python -m webapp users add`` run in their own processes while
the stack may be serving, so every file the provider keeps is read fresh when it changed on disk
(a new inode, ``mtime`` or size) and written under an advisory lock (``fcntl.flock`` on a ``.lock``
sibling) as a read-modify-write, then replaced with ``webapp.files.write_private`` (atomic,
``0600``, fsync-ed): they hold private keys and client secrets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from webapp.files import write_private

Document = dict[str, Any]


class JsonFile:
    """One JSON object on disk, cached in memory until the file changes."""

    def __init__(self, path: Path, initial: Callable[[], Document]) -> None:
        self.path = path
        self._initial = initial
        self._mutex = threading.RLock()
        self._cache: Document | None = None
        self._stamp: tuple[int, int, int] | None = None

    def read(self) -> Document:
        """The current document; created from ``initial()`` if the file does not exist yet."""
        with self._mutex:
            stamp = self._stat()
            if stamp is None:
                return self.update(lambda doc: doc)
            if stamp != self._stamp or self._cache is None:
                self._cache = json.loads(self.path.read_text())
                self._stamp = stamp
            return self._cache

    def update(self, change: Callable[[Document], Document | None]) -> Document:
        """Apply ``change`` to the latest document under the lock and write the result."""
        with self._mutex, self._locked():
            stamp = self._stat()
            doc = json.loads(self.path.read_text()) if stamp is not None else self._initial()
            changed = change(doc)
            doc = doc if changed is None else changed
            write_private(self.path, json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n")
            self._cache = doc
            self._stamp = self._stat()
            return doc

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

