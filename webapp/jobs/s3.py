"""Exports in S3: ``export --to s3://bucket/prefix`` and ``import s3://bucket/prefix``.

An S3 export is a directory export (``export``: resumable, checksummed) made in a local staging
directory and then uploaded: the segment files first, ``manifest.json`` last, so a reader that
finds the manifest finds every file it lists (S3 has strong read-after-write consistency, S3 User
Guide "Amazon S3 data consistency model"). The objects are named ``<prefix>/segment-NNNN.jsonl``
and ``<prefix>/manifest.json``, the layout of a directory export. An upload cut short is
finished by ``--resume``, which redoes the upload (each object is replaced whole).

An import downloads the manifest and the files it lists into a staging directory (a file
already there with the manifest's SHA-256 is not fetched again) and imports that directory with
``importer``, whose checks and checkpoint apply unchanged.

The client is any boto3 S3 client: AWS's with the usual credential chain, or the local stack's
(``--s3-endpoint-url``, found automatically for a stack whose DynamoDB ``--endpoint-url`` is used).
Nothing here knows which.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.jobs.checkpoint import JobError
from webapp.jobs.export import MANIFEST, sha256_of


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


def parse_s3_url(text: str) -> S3Location:
    """``s3://bucket/prefix`` (the prefix may be empty; a trailing ``/`` is dropped)."""
    if not text.startswith("s3://"):
        raise JobError(f"{text!r} is not an s3:// URL")
    bucket, _, prefix = text[len("s3://"):].partition("/")
    if not bucket:
        raise JobError(f"{text!r} names no bucket: use s3://BUCKET/PREFIX")
    return S3Location(bucket, prefix.strip("/"))


def is_s3_url(text: str) -> bool:
    return text.startswith("s3://")


def staging_for(kind: str, location: S3Location, table: str) -> Path:
    """The default staging directory of a job: the same for the same job, so ``--resume`` finds it."""
    digest = hashlib.sha256(f"{location.url}\n{table}".encode()).hexdigest()[:12]
    return Path(f".{kind}-{table}-{digest}.staging")


def check_destination(s3: Any, location: S3Location) -> None:
    """Fail before any scan if the bucket is missing or the prefix already holds an export."""
    _call(s3.head_bucket, location, Bucket=location.bucket)
    listing = _call(s3.list_objects_v2, location, Bucket=location.bucket, Prefix=location.key(MANIFEST), MaxKeys=1)
    if any(o.get("Key") == location.key(MANIFEST) for o in listing.get("Contents", [])):
        raise JobError(f"{location.url} already holds a finished export ({MANIFEST}); choose another prefix")


def upload_export(s3: Any, directory: Path, location: S3Location) -> int:
    """Upload a finished export's files, the manifest last; returns the bytes uploaded."""
    manifest = json.loads((directory / MANIFEST).read_text())
    sent = 0
    for entry in manifest["files"]:
        path = directory / entry["dataFile"]
        _call(s3.upload_file, location, str(path), location.bucket, location.key(entry["dataFile"]))
        sent += path.stat().st_size
    _call(s3.upload_file, location, str(directory / MANIFEST), location.bucket, location.key(MANIFEST))
    return sent


def download_export(s3: Any, location: S3Location, directory: Path) -> int:
    """Fetch the manifest and the files it lists into ``directory``; returns the bytes fetched."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        body = _call(s3.get_object, location, Bucket=location.bucket, Key=location.key(MANIFEST))["Body"].read()
        manifest = json.loads(body)
        files = [str(entry["dataFile"]) for entry in manifest["files"]]
        expected = {str(entry["dataFile"]): str(entry["sha256"]) for entry in manifest["files"]}
    except JobError as exc:
        if "NoSuchKey" in str(exc) or "Not Found" in str(exc):
            raise JobError(f"{location.url} has no {MANIFEST}: not a finished export") from None
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise JobError(f"{location.url}/{MANIFEST} is not an export manifest ({exc})") from None
    fetched = 0
    for name in files:
        if "/" in name or name.startswith("."):
            raise JobError(f"{location.url}/{MANIFEST} lists {name!r}, not a file of the export")
        path = directory / name
        if path.is_file() and sha256_of(path) == expected[name]:
            continue
        _call(s3.download_file, location, location.bucket, location.key(name), str(path))
        fetched += path.stat().st_size
    (directory / MANIFEST).write_bytes(body)
    return fetched


def remove_staging(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def _call(function: Any, location: S3Location, *args: Any, **kwargs: Any) -> Any:
    """Call S3; its refusals become one line naming the bucket (``AccessDenied``, ``NoSuchBucket``)."""
    from boto3.exceptions import S3UploadFailedError  # type: ignore[import-untyped]
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        return function(*args, **kwargs)
    except S3UploadFailedError as exc:
        raise JobError(f"S3 upload to {location.url} failed: {exc}") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.get("Message") or ""
        if str(code) in ("404", "NoSuchBucket") and function.__name__ == "head_bucket":
            raise JobError(f"the bucket {location.bucket} does not exist: create it first "
                           f"(aws s3 mb s3://{location.bucket})") from None
        if str(code) == "403" and not message:
            message = "Access Denied"
        raise JobError(f"S3 {code} on {location.url}: {message}".rstrip(": ")) from None
