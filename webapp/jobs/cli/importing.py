"""``import DIR|s3://bucket/prefix --table TABLE``: an export written back with BatchWriteItem,
resumable; from S3 through a local staging directory (``webapp.jobs.s3``)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from webapp.jobs.checkpoint import JobError
from webapp.jobs.cli.common import (
    add_connection,
    add_pacing,
    add_s3,
    dynamodb_client,
    progress_flag,
    run_job,
    s3_client,
)
from webapp.jobs.importer import ImportResult, import_export
from webapp.jobs.s3 import download_export, is_s3_url, parse_s3_url, remove_staging, staging_for


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="DIR|s3://BUCKET/PREFIX",
                        help="a finished export's directory or S3 prefix (with manifest.json)")
    parser.add_argument("--table", required=True, help="the table to write into (it must exist with the "
                                                       "exported table's keys, unless --create is given)")
    parser.add_argument("--create", action="store_true",
                        help="create the table when it does not exist, with the keys and indexes recorded "
                             "in manifest.json, on-demand, and wait until it is ACTIVE (an existing table is "
                             "used if its keys are the export's)")
    add_connection(parser)
    add_s3(parser)
    add_pacing(parser, units="write")


def run(args: argparse.Namespace) -> int:
    def job() -> ImportResult:
        client = dynamodb_client(args, threads=8)
        if not is_s3_url(args.source):
            return import_export(client, Path(args.source), args.table, resume=args.resume, create=args.create,
                                 rate=args.rate,
                                 progress=progress_flag(args))
        location = parse_s3_url(args.source)
        staging = args.staging or staging_for("import", location, args.table)
        if args.resume and not staging.exists():
            raise JobError(f"no unfinished import of {location.url} into {args.table} here ({staging} is missing)")
        fresh = not staging.exists()
        try:
            download_export(s3_client(args), location, staging)
        except JobError:
            if fresh:
                remove_staging(staging)
            raise
        result = import_export(client, staging, args.table, resume=args.resume, create=args.create,
                               rate=args.rate,
                               progress=progress_flag(args))
        remove_staging(staging)
        return result

    return run_job(job, dataclasses.asdict, _text, args)


def _text(result: ImportResult) -> str:
    return (f"imported {result.items} items into {result.table} in {result.seconds:.1f} s "
            f"({result.write_units:.0f} write units, {result.throttled_retries} throttled retries)")
