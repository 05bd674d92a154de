"""Durable, owner-only writes of the files in the data directory.

The data directory holds secrets (the credential master key, service keys, the provider's signing
keys and client secrets) and state that must survive a crash (the IAM registry). Every such file
is written one way, so that none of them can be read by another user or found half-written:

- created ``0600`` (``os.open`` with the mode, so there is no moment when it is world-readable);
- written to a temporary sibling unique to this process and thread (two writers never share one),
  ``fsync``-ed, then ``os.replace``-d over the target: a reader sees the old or the new file,
  never a mix (POSIX ``rename(2)`` is atomic within a file system);
- the directory ``fsync``-ed after the rename, so the new name itself survives a power cut
  (``fsync(2)``: "calling fsync() on a file does not necessarily ensure that the entry in the
  directory containing the file has also reached disk").
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, readable by the owner only, atomically and durably."""
    tmp = stage_private(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_directory(path.parent)


def write_private_if_changed(path: Path, data: bytes) -> bool:
    """``write_private`` unless ``path`` already holds ``data``, owner-only: the files every start
    writes again (service keys, the admin profile and config) cost two ``fsync``s each when
    rewritten unchanged. Returns whether it wrote."""
    try:
        if path.read_bytes() == data and path.stat().st_mode & 0o077 == 0:
            return False
    except OSError:
        pass
    write_private(path, data)
    return True


def stage_private(path: Path, data: bytes) -> Path:
    """``data`` in ``path``'s temporary sibling for this process and thread, ``0600`` and
    ``fsync``-ed: the first half of ``write_private``, for a caller that orders the renames of
    several writers itself (``jobs/checkpoint.py``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def fsync_directory(directory: Path) -> None:
    """Make the names in ``directory`` (a file just created, renamed or removed) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
