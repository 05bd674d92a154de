"""``backfill TABLE --set NAME=JSON --remove NAME | --script FILE.py``: rewrite every item safely."""

from __future__ import annotations

import argparse
from pathlib import Path

from webapp.jobs.backfill import BackfillResult, Transform, backfill, load_script, parse_set, set_and_remove
from webapp.jobs.checkpoint import JobError
from webapp.jobs.cli.common import (
    add_connection,
    add_pacing,
    add_scan,
    dynamodb_client,
    progress_flag,
    run_job,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help="the table whose items to rewrite (its physical name)")
    parser.add_argument("--set", action="append", default=[], dest="sets", metavar="NAME=JSON",
                        help="give every item attribute NAME the JSON value (repeatable), "
                             "e.g. --set 'Plan=\"free\"' --set Score=0")
    parser.add_argument("--remove", action="append", default=[], dest="removes", metavar="NAME",
                        help="remove attribute NAME from every item (repeatable)")
    parser.add_argument("--script", type=Path, metavar="FILE.py",
                        help="a Python file defining transform(item) -> dict | None: the item as "
                             "Python values in, the item it should become out (None: leave it); "
                             "it must be idempotent, since a page cut short by a kill is done again")
    parser.add_argument("--dry-run", action="store_true",
                        help="count what would change; write nothing")
    parser.add_argument("--state", type=Path, metavar="FILE",
                        help="the checkpoint file (default: ./backfill-TABLE.checkpoint.json)")
    add_scan(parser)
    add_connection(parser)
    add_pacing(parser, units="read and write")


def run(args: argparse.Namespace) -> int:
    def job() -> BackfillResult:
        transform = _transform(args)
        client = dynamodb_client(args, threads=args.segments)
        state = args.state or Path(f"backfill-{args.table}.checkpoint.json")
        return backfill(client, args.table, transform, state=state, segments=args.segments,
                        resume=args.resume, dry_run=args.dry_run, page_size=args.page_size,
                        rate=args.rate, progress=progress_flag(args))

    return run_job(job, BackfillResult.to_dict, _text, args)


def _transform(args: argparse.Namespace) -> Transform:
    if args.script and (args.sets or args.removes):
        raise JobError("give either --script or --set/--remove, not both")
    if args.script:
        return load_script(args.script)
    if not (args.sets or args.removes):
        raise JobError("say what to change: --set NAME=JSON, --remove NAME, or --script FILE.py")
    return set_and_remove(dict(parse_set(text) for text in args.sets), args.removes)


def _text(result: BackfillResult) -> str:
    verb = "would change" if result.dry_run else "changed"
    lines = [f"{result.table}: {result.scanned} items scanned, {result.changed} {verb}, "
             f"{result.unchanged} unchanged, {result.retried} rewritten after a concurrent change, "
             f"{result.gone} deleted meanwhile, {len(result.skipped)} skipped "
             f"({result.seconds:.1f} s)"]
    lines += [f"  skipped {entry['key']}: {entry['reason']}" for entry in result.skipped]
    return "\n".join(lines)
