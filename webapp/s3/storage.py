"""The local S3's durable state: buckets and objects as files under ``<data>/s3``.

moto keeps S3 in memory; this keeps what it holds on disk, so the stack's buckets survive a
restart and a ``kill -9``. The layout (one directory per bucket, one file per object, named by
the SHA-256 of its key because a key may be 1,024 bytes and hold any character)::

    <data>/s3/<bucket>/bucket.json           {"name", "region", "created"}
    <data>/s3/<bucket>/objects/<sha256>.obj  one JSON header line (key, metadata, ETag, ...) + the bytes

Every change is written before the request is answered (S3 User Guide: "Amazon S3 never adds
partial objects; if you receive a success response, Amazon S3 added the entire object"): an
object file is written whole to a temporary sibling, ``fsync``-ed, renamed over the old one and the
directory ``fsync``-ed (``webapp.files.write_private``), so after a crash a key has its old
object or its new one, never a mix. A deletion is an ``unlink`` and a directory ``fsync``.
Multipart uploads still in progress live in memory only: a restart forgets them, as if aborted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.files import fsync_directory, write_private


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    value: bytes
    etag: str
    last_modified: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None
    checksum_value: str | None = None


@dataclass(frozen=True)
class StoredBucket:
    name: str
    region: str
    created: str


class DiskStore:
    """Buckets and objects under one directory; every method returns once the change is durable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    # Writes ------------------------------------------------------------------------------------

    def put_bucket(self, bucket: StoredBucket) -> None:
        document = {"name": bucket.name, "region": bucket.region, "created": bucket.created}
        write_private(self.root / bucket.name / "bucket.json", json.dumps(document).encode())

    def delete_bucket(self, name: str) -> None:
        folder = self.root / name
        if not folder.exists():
            return
        # The marker goes first: a crash half way through leaves no bucket.json, so no bucket.
        (folder / "bucket.json").unlink(missing_ok=True)
        fsync_directory(folder)
        shutil.rmtree(folder, ignore_errors=True)
        fsync_directory(self.root)

    def put_object(self, stored: StoredObject) -> None:
        header = {
            "key": stored.key, "etag": stored.etag, "last_modified": stored.last_modified,
            "metadata": dict(stored.metadata), "checksum_algorithm": stored.checksum_algorithm,
            "checksum_value": stored.checksum_value, "size": len(stored.value),
        }
        write_private(self._object_path(stored.bucket, stored.key),
                      json.dumps(header).encode() + b"\n" + stored.value)

    def delete_object(self, bucket: str, key: str) -> None:
        path = self._object_path(bucket, key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_directory(path.parent)

    # Reads -------------------------------------------------------------------------------------

    def buckets(self) -> Iterator[StoredBucket]:
        for marker in sorted(self.root.glob("*/bucket.json")):
            try:
                data: Any = json.loads(marker.read_text())
                yield StoredBucket(str(data["name"]), str(data["region"]), str(data["created"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue

    def objects(self, bucket: str) -> Iterator[StoredObject]:
        for path in sorted((self.root / bucket / "objects").glob("*.obj")):
            raw = path.read_bytes()
            line, _, value = raw.partition(b"\n")
            try:
                header: Any = json.loads(line)
            except ValueError:
                continue  # not one of ours (a temporary file is never named *.obj)
            if header.get("size") != len(value):
                continue
            yield StoredObject(bucket, str(header["key"]), value, str(header["etag"]),
                               str(header["last_modified"]), dict(header.get("metadata") or {}),
                               header.get("checksum_algorithm"), header.get("checksum_value"))

    def _object_path(self, bucket: str, key: str) -> Path:
        name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / bucket / "objects" / f"{name}.obj"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
