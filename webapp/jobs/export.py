"""Export a table to a directory: a parallel scan, one JSON Lines file per segment, resumable.

The files follow DynamoDB's own export to S3 in ``DYNAMODB_JSON`` format (DynamoDB Developer
Guide, "DynamoDB table export output format"): one item a line, ``{"Item": {...}}`` with every
attribute as a typed ``AttributeValue``. ``manifest.json`` lists each file with its item count,
size and SHA-256, which ``import`` checks before it writes anything, and the table's keys and
indexes as ``CreateTable`` takes them (``webapp.jobs.schema``), which ``import --create`` uses.

No gap and no duplicate across a crash: a segment's page is appended to its file and
``fsync``-ed *before* the checkpoint records the new end of the file and the page's
``LastEvaluatedKey``. A resumed export first cuts each file back to the recorded end (dropping a
page that was written but not recorded), then scans on from the recorded key. Work redone after a
kill: at most the one page per segment that was in flight.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.files import write_private
from webapp.jobs.checkpoint import Checkpoint, JobError
from webapp.jobs.pacing import Backoff, UnitRate
from webapp.jobs.progress import Progress
from webapp.jobs.schema import MANIFEST_KEY, TTL_KEY, creation_parameters, time_to_live
from webapp.jobs.segments import ScanSettings, describe, pages, run_parallel
from webapp.jobs.wire import json_lines, raw_scan_items

CHECKPOINT = "checkpoint.json"
MANIFEST = "manifest.json"

#: Called by each segment at ``"written"`` (page durable in the file, not yet checkpointed) and
#: ``"recorded"`` (checkpointed) with (segment, page number): the tests' way to fail a thread
#: at any point. Not used by the command.
FaultHook = Callable[[str, int, int], None]


def segment_file(segment: int) -> str:
    return f"segment-{segment:04d}.jsonl"


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    table: str
    items: int
    bytes: int
    files: int
    seconds: float
    read_units: float
    throttled_retries: int
    resumed: bool
    #: ``s3://bucket/prefix`` when the export was uploaded there (``webapp.jobs.s3``).
    location: str | None = None


def export_table(client: Any, table: str, directory: Path, *, segments: int = 4,
                 resume: bool = False, page_size: int | None = None, consistent_read: bool = False,
                 rate: float | None = None, progress: bool | None = None,
                 backoff: Backoff | None = None, fault: FaultHook | None = None) -> ExportResult:
    """Export ``table`` into ``directory`` (new, or an unfinished export's with ``resume``)."""
    started = time.monotonic()
    if (directory / MANIFEST).exists():
        if resume:  # killed after the manifest was written: nothing is left to do
            (directory / CHECKPOINT).unlink(missing_ok=True)
            return _finished(directory, started)
        raise JobError(f"{directory} already holds a finished export of "
                       f"{json.loads((directory / MANIFEST).read_text()).get('table')}; "
                       "choose another directory")
    if resume:
        checkpoint = Checkpoint.load(directory / CHECKPOINT, job="export")
        if checkpoint.table != table:
            raise JobError(f"{directory} holds an export of {checkpoint.table}, not {table}")
        settings = ScanSettings(table, len(checkpoint.segments), checkpoint.options.get("page_size"),
                                bool(checkpoint.options.get("consistent_read")))
    else:
        if directory.exists() and any(directory.iterdir()):
            hint = " (an unfinished export: add --resume to finish it)" \
                if (directory / CHECKPOINT).exists() else ""
            raise JobError(f"{directory} is not empty{hint}; export into a new directory")
        if segments < 1 or segments > 1_000_000:
            raise JobError("--segments must be between 1 and 1000000 (DynamoDB's TotalSegments)")
        settings = ScanSettings(table, segments, page_size, consistent_read)
        description = describe(client, table)
        directory.mkdir(parents=True, exist_ok=True)
        checkpoint = Checkpoint.new(directory / CHECKPOINT, job="export", table=table,
                                    segments=segments,
                                    options={"page_size": page_size, "consistent_read": consistent_read,
                                             "table_arn": description.get("TableArn"),
                                             "item_count": description.get("ItemCount"),
                                             "start_time": _now_iso(),
                                             "table_creation": creation_parameters(description),
                                             "time_to_live": time_to_live(client, table)})
        checkpoint.save()
    backoff = backoff or Backoff()
    units = UnitRate(rate)
    stop = threading.Event()
    done_items = sum(s.items for s in checkpoint.segments)
    bars = Progress(settings.total_segments, total_items=checkpoint.options.get("item_count"),
                    label=f"export {table}", enabled=progress, done_items=done_items)

    def export_segment(segment: int) -> None:
        state = checkpoint.segments[segment]
        if state.done:
            return
        path = directory / segment_file(segment)
        with open(path, "ab") as out:
            out.truncate(state.bytes)  # a page written after the last checkpoint is redone
            out.seek(state.bytes)
            for page in pages(client, settings, segment, state.last_key, backoff=backoff,
                              rate=units, stop=stop):
                data = json_lines(page.items)
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
                if fault:
                    fault("written", segment, state.pages)
                checkpoint.update(segment, last_key=page.next_key, done=page.next_key is None,
                                  pages=state.pages + 1, items=state.items + len(page.items),
                                  bytes=state.bytes + len(data))
                bars.advance(segment, len(page.items), len(data))
                if fault:
                    fault("recorded", segment, state.pages - 1)

    try:
        with raw_scan_items(client):
            run_parallel(range(settings.total_segments), export_segment, stop)
    finally:
        bars.close()
    manifest = _write_manifest(directory, checkpoint)
    (directory / CHECKPOINT).unlink()
    return ExportResult(directory, table, manifest["itemCount"], manifest["bytes"],
                        len(manifest["files"]), time.monotonic() - started, units.consumed,
                        backoff.retries, resume)


def _write_manifest(directory: Path, checkpoint: Checkpoint) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    for segment, state in enumerate(checkpoint.segments):
        path = directory / segment_file(segment)
        if not path.exists():
            path.touch()
        files.append({"dataFile": path.name, "segment": segment, "itemCount": state.items,
                      "bytes": path.stat().st_size, "sha256": sha256_of(path)})
    manifest: dict[str, Any] = {
        "version": 1, "table": checkpoint.table, "tableArn": checkpoint.options.get("table_arn"),
        "outputFormat": "DYNAMODB_JSON", "startTime": checkpoint.options.get("start_time"),
        "endTime": _now_iso(), "totalSegments": len(checkpoint.segments),
        "itemCount": sum(f["itemCount"] for f in files), "bytes": sum(f["bytes"] for f in files),
        "files": files,
    }
    if checkpoint.options.get("table_creation"):  # absent in a checkpoint of an earlier version
        manifest[MANIFEST_KEY] = checkpoint.options["table_creation"]
    if checkpoint.options.get("time_to_live"):
        manifest[TTL_KEY] = checkpoint.options["time_to_live"]
    write_private(directory / MANIFEST, json.dumps(manifest, indent=1).encode())
    return manifest


def _finished(directory: Path, started: float) -> ExportResult:
    manifest = json.loads((directory / MANIFEST).read_text())
    return ExportResult(directory, manifest["table"], manifest["itemCount"], manifest["bytes"],
                        len(manifest["files"]), time.monotonic() - started, 0.0, 0, True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()



def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
