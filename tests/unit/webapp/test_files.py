"""``write_private``: the one way the data directory's secrets and state reach the disk."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from webapp.files import write_private, write_private_if_changed


def test_creates_the_file_and_its_parents_readable_by_the_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "nested" / "secret.key"
    write_private(target, b"k" * 32)
    assert target.read_bytes() == b"k" * 32
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_replaces_an_existing_file_and_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_private(target, b"old")
    inode = target.stat().st_ino
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_world_readable_file_becomes_owner_only_when_replaced(tmp_path: Path) -> None:
    target = tmp_path / "service-keys.json"
    target.write_bytes(b"{}")
    target.chmod(0o644)
    write_private(target, b'{"a": 1}')
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_fsyncs_the_file_and_then_its_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    write_private(tmp_path / "registry.json", b"{}")
    assert synced == ["file", "dir"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "registry.json"
    write_private(target, b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.json"]


def test_concurrent_writers_never_leave_a_mixed_file(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    payloads = [bytes([65 + n]) * 65536 for n in range(6)]
    errors: list[BaseException] = []

    def writer(data: bytes) -> None:
        try:
            for _ in range(5):
                write_private(target, data)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_bytes() in payloads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]


@pytest.mark.parametrize(("before", "mode", "written"), [
    (None, None, True),            # no file yet
    (b"old", 0o600, True),         # other contents
    (b"same", 0o644, True),        # the same contents, readable by others: made private
    (b"same", 0o600, False),       # the same, private: left alone (what a restart finds)
])
def test_write_private_if_changed_writes_only_what_differs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: bytes | None, mode: int | None, written: bool) -> None:
    target = tmp_path / "admin-config"
    if before is not None and mode is not None:
        target.write_bytes(before)
        target.chmod(mode)
    inode = target.stat().st_ino if before is not None else None
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    assert write_private_if_changed(target, b"same") is written
    assert target.read_bytes() == b"same" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (target.stat().st_ino != inode and len(synced) == 2) if written else (target.stat().st_ino == inode and not synced)
