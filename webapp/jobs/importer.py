"""Import an export into a table: ``BatchWriteItem`` in 25s, resumable and idempotent.

Before writing anything the files are checked against ``manifest.json`` (size, SHA-256, item
count), so a truncated or edited export is refused rather than half imported. Each file is then
written in batches of 25 ``PutRequest``s (the ``BatchWriteItem`` limit); what DynamoDB returns
as ``UnprocessedItems`` is sent again with backoff until none is left ("BatchWriteItem",
DynamoDB API Reference: "If any requested operations fail because the table's provisioned
throughput is exceeded ... the failed operations are returned in the UnprocessedItems response
parameter"). After every few batches the checkpoint records how many lines of each file are in
the table; a resumed import skips them.

The target must have the exported table's keys (checked against the manifest before anything is
written); ``--create`` makes a missing target from the manifest (``webapp.jobs.schema``).

A ``PutRequest`` replaces the whole item, so writing a line twice leaves the same table: a rerun,
or the few batches redone after a kill, change nothing.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from webapp.jobs.checkpoint import Checkpoint, JobError
from webapp.jobs.export import MANIFEST, sha256_of
from webapp.jobs.pacing import Backoff, UnitRate
from webapp.jobs.progress import Progress
from webapp.jobs.schema import MANIFEST_KEY, check_target, create_table
from webapp.jobs.segments import describe, run_parallel
from webapp.jobs.wire import Item, from_json, key_of

BATCH = 25
#: batches between checkpoints: what a resumed import may write again, at most
CHECKPOINT_EVERY = 4


@dataclass(frozen=True)
class ImportResult:
    table: str
    items: int
    seconds: float
    write_units: float
    throttled_retries: int
    resumed: bool


def checkpoint_path(directory: Path, table: str) -> Path:
    return directory / f"import-{table}.checkpoint.json"


def import_export(client: Any, directory: Path, table: str, *, resume: bool = False, create: bool = False,
                  rate: float | None = None, progress: bool | None = None,
                  backoff: Backoff | None = None) -> ImportResult:
    """Write the export in ``directory`` into ``table``; with ``create``, make the table first when it
    does not exist, with the keys and indexes the manifest records (``webapp.jobs.schema``)."""
    started = time.monotonic()
    manifest = verified_manifest(directory)
    files = manifest["files"]
    key_names = _key_names(client, table, manifest, create=create)
    path = checkpoint_path(directory, table)
    if resume:
        checkpoint = Checkpoint.load(path, job="import")
        if checkpoint.table != table or len(checkpoint.segments) != len(files):
            raise JobError(f"{path} belongs to another import; remove it to start over")
    elif path.exists():
        raise JobError(f"an unfinished import into {table} from {directory} exists: add --resume "
                       f"to finish it, or remove {path.name} to start over")
    else:
        checkpoint = Checkpoint.new(path, job="import", table=table, segments=len(files))
        checkpoint.save()
    backoff = backoff or Backoff()
    units = UnitRate(rate)
    stop = threading.Event()
    bars = Progress(len(files), total_items=manifest["itemCount"], label=f"import {table}",
                    enabled=progress, done_items=sum(s.items for s in checkpoint.segments))

    def import_file(index: int) -> None:
        state = checkpoint.segments[index]
        lines = _items(directory / files[index]["dataFile"], skip=state.items)
        pending = 0
        for batch in _batches(lines, key_names):
            if stop.is_set():
                break
            units.wait()
            units.charge(_write_batch(client, table, batch, backoff))
            pending += 1
            state.items += len(batch)  # in memory; durable at the next checkpoint
            bars.advance(index, len(batch))
            if pending == CHECKPOINT_EVERY:
                checkpoint.update(index, items=state.items)
                pending = 0
        else:
            checkpoint.update(index, items=state.items, done=True)
            return
        checkpoint.update(index, items=state.items)

    try:
        run_parallel(range(len(files)), import_file, stop)
    finally:
        bars.close()
    path.unlink()
    return ImportResult(table, manifest["itemCount"], time.monotonic() - started, units.consumed,
                        backoff.retries, resume)


def verified_manifest(directory: Path) -> dict[str, Any]:
    """``manifest.json``, once every file it lists is there with its recorded size and SHA-256."""
    try:
        manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text())
        files = manifest["files"]
        for entry in files:
            data = directory / entry["dataFile"]
            if not data.is_file():
                raise JobError(f"{data} is missing: the export is incomplete")
            if data.stat().st_size != entry["bytes"] or sha256_of(data) != entry["sha256"]:
                raise JobError(f"{data} does not match manifest.json (size or SHA-256): "
                               "it was changed or truncated after the export")
    except FileNotFoundError:
        raise JobError(f"{directory} has no {MANIFEST}: not a finished export "
                       "(an unfinished one has checkpoint.json: finish it with export --resume)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise JobError(f"{directory / MANIFEST} is not an export manifest ({exc})") from None
    return manifest


def _items(path: Path, *, skip: int) -> Iterator[Item]:
    with open(path, "rb") as handle:
        for number, line in enumerate(itertools.islice(handle, skip, None), start=skip + 1):
            try:
                yield from_json(json.loads(line)["Item"])
            except (ValueError, KeyError, TypeError) as exc:
                raise JobError(f"{path}:{number} is not an exported item ({exc})") from None


def _batches(items: Iterator[Item], key_names: tuple[str, ...]) -> Iterator[list[Item]]:
    """Runs of at most 25 items; a key met twice starts a new batch (BatchWriteItem refuses
    "Provided list of item keys contains duplicates"), so the later line still wins."""
    batch: list[Item] = []
    keys: set[str] = set()
    for item in items:
        key = json.dumps(key_of(item, key_names), sort_keys=True, default=bytes.hex)
        if len(batch) == BATCH or key in keys:
            yield batch
            batch, keys = [], set()
        batch.append(item)
        keys.add(key)
    if batch:
        yield batch


def _write_batch(client: Any, table: str, batch: list[Item], backoff: Backoff) -> float:
    """Write ``batch``, sending ``UnprocessedItems`` again (with backoff) until none is left."""
    requests: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
    consumed = 0.0
    attempt = 0
    while requests:
        response: dict[str, Any] = backoff.call(partial(
            client.batch_write_item, RequestItems=requests, ReturnConsumedCapacity="TOTAL"))
        consumed += sum(float(c.get("CapacityUnits", 0.0)) for c in response.get("ConsumedCapacity", []))
        requests = response.get("UnprocessedItems") or {}
        if requests:
            backoff.pause(attempt)
            attempt += 1
    return consumed


def _key_names(client: Any, table: str, manifest: dict[str, Any], *, create: bool) -> tuple[str, ...]:
    """The target's key attributes, once it exists (made now with ``create``) with the export's keys."""
    try:
        if create:
            try:
                description = describe(client, table)
            except JobError:  # no such table: make it from the manifest
                create_table(client, table, manifest)
                description = describe(client, table)
        else:
            description = describe(client, table, missing=(
                "; add --create to make it with the exported table's keys and indexes, or create it "
                "first (python -m webapp tables create makes the app's tables)"))
        check_target(manifest, description, table)
    except (KeyError, TypeError, AttributeError) as exc:
        raise JobError(f"{MANIFEST}'s {MANIFEST_KEY} is not CreateTable's parameters ({exc!r})") from None
    return tuple(k["AttributeName"] for k in description["KeySchema"])
