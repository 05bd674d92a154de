"""``export TABLE --to DIR``: every item into one JSON Lines file per segment, resumable."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from webapp.jobs.checkpoint import JobError
from webapp.jobs.cli.common import (
    add_connection,
    add_pacing,
    add_scan,
    dynamodb_client,
    progress_flag,
    run_job,
)
from webapp.jobs.export import ExportResult, export_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help="the table to export (its physical name)")
    parser.add_argument("--to", required=True, metavar="DIR",
                        help="a new directory for segment-NNNN.jsonl files and manifest.json "
                             "(with --resume: the unfinished export's directory)")
    add_scan(parser)
    parser.add_argument("--consistent-read", action="store_true",
                        help="strongly consistent Scan pages (twice the read units)")
    add_connection(parser)
    add_pacing(parser, units="read")


def run(args: argparse.Namespace) -> int:
    def job() -> ExportResult:
        if args.to.startswith("s3://"):
            raise JobError("export to S3 is not available yet: export to a directory, then copy it "
                           "(aws s3 cp --recursive DIR s3://bucket/prefix)")
        client = dynamodb_client(args, threads=args.segments)
        return export_table(client, args.table, Path(args.to), segments=args.segments,
                            resume=args.resume, page_size=args.page_size,
                            consistent_read=args.consistent_read, rate=args.rate,
                            progress=progress_flag(args))

    return run_job(job, _summary, _text, args)


def _summary(result: ExportResult) -> dict[str, object]:
    return {**dataclasses.asdict(result), "directory": str(result.directory)}


def _text(result: ExportResult) -> str:
    rate = result.items / result.seconds if result.seconds else 0.0
    return (f"exported {result.items} items of {result.table} ({result.bytes / 1e6:.1f} MB, "
            f"{result.files} files) to {result.directory} in {result.seconds:.1f} s "
            f"({rate:.0f} items/s, {result.read_units:.0f} read units, "
            f"{result.throttled_retries} throttled retries)")
