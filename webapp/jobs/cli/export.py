"""``export TABLE --to DIR|s3://bucket/prefix``: every item into one JSON Lines file per segment,
resumable; to S3 through a local staging directory (``webapp.jobs.s3``)."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from webapp.jobs.checkpoint import JobError
from webapp.jobs.cli.common import (
    add_connection,
    add_pacing,
    add_s3,
    add_scan,
    dynamodb_client,
    progress_flag,
    run_job,
    s3_client,
)
from webapp.jobs.export import ExportResult, export_table
from webapp.jobs.s3 import (
    check_destination,
    is_s3_url,
    parse_s3_url,
    remove_staging,
    staging_for,
    upload_export,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help="the table to export (its physical name)")
    parser.add_argument("--to", required=True, metavar="DIR|s3://BUCKET/PREFIX",
                        help="a new directory for segment-NNNN.jsonl files and manifest.json "
                             "(with --resume: the unfinished export's directory), or an S3 bucket and "
                             "prefix holding no export yet (the bucket must exist)")
    add_scan(parser)
    parser.add_argument("--consistent-read", action="store_true",
                        help="strongly consistent Scan pages (twice the read units)")
    add_connection(parser)
    add_s3(parser)
    add_pacing(parser, units="read")


def run(args: argparse.Namespace) -> int:
    def job() -> ExportResult:
        if is_s3_url(args.to):
            return _to_s3(args)
        client = dynamodb_client(args, threads=args.segments)
        return _export(client, args, Path(args.to))

    return run_job(job, _summary, _text, args)


def _export(client: object, args: argparse.Namespace, directory: Path) -> ExportResult:
    return export_table(client, args.table, directory, segments=args.segments, resume=args.resume,
                        page_size=args.page_size, consistent_read=args.consistent_read, rate=args.rate,
                        progress=progress_flag(args))


def _to_s3(args: argparse.Namespace) -> ExportResult:
    """Export into the staging directory, then upload it; S3 is checked before the scan starts."""
    started = time.monotonic()
    location = parse_s3_url(args.to)
    staging = args.staging or staging_for("export", location, args.table)
    s3 = s3_client(args)
    if not args.resume:
        check_destination(s3, location)
    elif not staging.exists():
        raise JobError(f"no unfinished export of {args.table} to {location.url} here ({staging} is missing)")
    result = _export(dynamodb_client(args, threads=args.segments), args, staging)
    upload_export(s3, staging, location)
    remove_staging(staging)
    # the summary's time is the whole job's: the scan and the upload
    return dataclasses.replace(result, location=location.url, seconds=time.monotonic() - started)


def _summary(result: ExportResult) -> dict[str, object]:
    return {**dataclasses.asdict(result), "directory": result.location or str(result.directory)}


def _text(result: ExportResult) -> str:
    rate = result.items / result.seconds if result.seconds else 0.0
    return (f"exported {result.items} items of {result.table} ({result.bytes / 1e6:.1f} MB, "
            f"{result.files} files) to {result.location or result.directory} in {result.seconds:.1f} s "
            f"({rate:.0f} items/s, {result.read_units:.0f} read units, "
            f"{result.throttled_retries} throttled retries)")
