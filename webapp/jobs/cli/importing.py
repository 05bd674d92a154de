"""``import DIR --table TABLE``: an export written back with BatchWriteItem, resumable."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from webapp.jobs.checkpoint import JobError
from webapp.jobs.cli.common import add_connection, add_pacing, dynamodb_client, progress_flag, run_job
from webapp.jobs.importer import ImportResult, import_export


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="DIR", help="a finished export's directory (with manifest.json)")
    parser.add_argument("--table", required=True, help="the table to write into (it must exist, "
                                                       "with the exported table's key schema)")
    add_connection(parser)
    add_pacing(parser, units="write")


def run(args: argparse.Namespace) -> int:
    def job() -> ImportResult:
        if args.source.startswith("s3://"):
            raise JobError("import from S3 is not available yet: copy the export to a directory first "
                           "(aws s3 cp --recursive s3://bucket/prefix DIR)")
        client = dynamodb_client(args, threads=8)
        return import_export(client, Path(args.source), args.table, resume=args.resume, rate=args.rate,
                             progress=progress_flag(args))

    return run_job(job, dataclasses.asdict, _text, args)


def _text(result: ImportResult) -> str:
    return (f"imported {result.items} items into {result.table} in {result.seconds:.1f} s "
            f"({result.write_units:.0f} write units, {result.throttled_retries} throttled retries)")
