"""``python -m webapp top``: units per second, throttles and the hottest partition keys, live.

Reads the local stack's capacity watch (``POST /_webapp/watch`` on the DynamoDB endpoint, signed
with SigV4 by the usual credential chain; only a principal allowed
``dynamodb:DescribeContributorInsights``, i.e. the admin, may read it) and draws it with ``rich``
every ``--interval`` seconds until Ctrl-C, or once with ``--once``.

Credentials: boto3's chain when it finds some, else the running local stack's admin profile, found
by its ``stack.json`` (``iam_policies.local_stack``, as ``python -m webapp tables`` does).

Against AWS (credentials and no ``--endpoint-url``) the same view is built from CloudWatch's
DynamoDB metrics and, where it is enabled, Contributor Insights (``webapp.cli.cloudwatch``), over
the last ``--minutes``.

Exit codes (those of every ``python -m webapp`` command): 0 shown; 1 not shown (no stack at the
URL, no credentials, or the stack refused, e.g. AccessDeniedException); 2 bad options.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iam_policies.cli import fail_line
from webapp.cli.numbers import number
from webapp.dynamodb.watch_client import Signer, WatchError, fetch

SPARKS = "▁▂▃▄▅▆▇█"

Reader = Callable[[], dict[str, Any]]


class TopError(Exception):
    """One line for the user, and the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("exit codes: 0 shown, 1 not shown (no stack, no credentials, or refused, e.g. "
                     "AccessDenied), 2 bad options")
    parser.add_argument("--endpoint-url", metavar="URL",
                        help="the local stack's DynamoDB endpoint, e.g. http://localhost:8002 (default: the "
                             "running stack of --data-dir; with AWS credentials and no URL, CloudWatch)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="data directory of the running local stack, used when boto3 finds no "
                             "credentials (default: WEBAPP_DATA_DIR or ./data)")
    parser.add_argument("--region", help="region to sign for (default: the profile's, else us-east-1)")
    parser.add_argument("--interval", type=_interval, default=2.0, metavar="S",
                        help="seconds between refreshes (default 2)")
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--show-keys", action="store_true",
                        help="show partition keys in clear (default: an HMAC-SHA-256 prefix per key)")
    parser.add_argument("--top", type=_top, default=5, metavar="N",
                        help="hottest partition keys shown per table or index (default 5)")
    parser.add_argument("--minutes", type=_minutes, default=15, metavar="N",
                        help="against AWS: the CloudWatch minutes shown (default 15)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text: tables drawn with rich; json: the stack's snapshot "
                             "(one JSON document per refresh)")


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]

    try:
        read = _reader(args)
        if args.once:
            _show(read(), args)
            return 0
        return _live(args, read)
    except TopError as error:
        fail_line(f"{error}")
        return error.code
    except WatchError as error:
        fail_line(f"{error}")
        return 1
    except BotoCoreError as error:  # AWS_PROFILE names no profile, a config file that cannot be read, ...
        fail_line(f"{error}")
        return 1


# The request -------------------------------------------------------------------------------------


def _reader(args: argparse.Namespace) -> Reader:
    """Where snapshots come from: the local stack's watch, or CloudWatch on AWS."""
    import boto3  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    from iam_policies.local_stack import StackNotFound, default_data_dir, resolve_target

    try:
        target = resolve_target("dynamodb", args.endpoint_url, args.region, args.data_dir or default_data_dir())
    except StackNotFound as error:
        raise TopError(str(error)) from None
    if target.note:
        print(target.note, file=sys.stderr)
    if target.endpoint_url is None:
        session = boto3.Session(region_name=args.region)
        configured = _configured_endpoint(session)
        if configured is None:
            return _cloudwatch(session, args)
        # the profile names a DynamoDB endpoint that is not AWS's (the stack's admin-config does)
        credentials = session.get_credentials()
        if credentials is None:
            raise TopError(f"no AWS credentials found for {configured}")
        signer = Signer(credentials.get_frozen_credentials(), session.region_name or "us-east-1")
        return lambda: fetch(configured, signer, top=args.top, show_keys=args.show_keys)
    endpoint = target.endpoint_url
    if target.keys is not None:
        signer = Signer(Credentials(*target.keys), target.region or "us-east-1")
    else:
        session = boto3.Session(region_name=args.region)
        signer = Signer(session.get_credentials().get_frozen_credentials(), session.region_name or "us-east-1")
    return lambda: fetch(endpoint, signer, top=args.top, show_keys=args.show_keys)


def _configured_endpoint(session: Any) -> str | None:
    """The DynamoDB endpoint the profile configures (``endpoint_url`` in the config file or the
    environment), unless it is one of AWS's own."""
    url = str(session.client("dynamodb", region_name=session.region_name or "us-east-1").meta.endpoint_url)
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        return None
    return url


def _cloudwatch(session: Any, args: argparse.Namespace) -> Reader:
    from botocore.exceptions import BotoCoreError, ClientError

    from webapp.cli.cloudwatch import CloudWatchSource

    if session.region_name is None:
        raise TopError("no region for CloudWatch: pass --region or set AWS_REGION", 2)
    source = CloudWatchSource(session.client("dynamodb"), session.client("cloudwatch"), minutes=args.minutes)

    def read() -> dict[str, Any]:
        try:
            return source.snapshot(top=args.top, show_keys=args.show_keys)
        except ClientError as error:
            found = error.response.get("Error", {})
            raise TopError(f"{found.get('Code', 'Error')} from AWS: {found.get('Message', '')}") from None
        except BotoCoreError as error:
            raise TopError(f"AWS could not be read: {error}") from None

    return read


# Showing -----------------------------------------------------------------------------------------


def _live(args: argparse.Namespace, read: Reader) -> int:
    if args.format == "json":
        try:
            while True:
                _show(read(), args)
                sys.stdout.flush()
                time.sleep(args.interval)
        except KeyboardInterrupt:
            return 0
    from rich.live import Live

    try:
        with Live(render(read()), refresh_per_second=4, screen=False) as live:
            while True:
                time.sleep(args.interval)
                live.update(render(read()))
    except KeyboardInterrupt:
        return 0


def _show(snapshot: dict[str, Any], args: argparse.Namespace) -> None:
    if args.format == "json":
        print(json.dumps(snapshot, indent=2))
        return
    from rich.console import Console

    Console().print(render(snapshot))


def render(snapshot: dict[str, Any]) -> Any:
    """The snapshot as rich renderables: a row per table or index, then each one's hot keys."""
    from rich.console import Group
    from rich.table import Table

    seconds = snapshot["seconds"]
    where = " (CloudWatch, one-minute sums)" if snapshot.get("source") == "cloudwatch" else ""
    usage = Table(title=f"Capacity, last {seconds} s{where}", title_justify="left")
    for column in ("table", "index", "read u/s", "write u/s", "throttles", f"units, last {seconds} s"):
        usage.add_column(column, justify="right" if "/" in column or column == "throttles" else "left")
    for row in snapshot["tables"]:
        per = row["per_second"]
        total = [r + w for r, w in zip(per["read"], per["write"], strict=True)]
        usage.add_row(row["table"], row["index"] or "", f"{row['read_units'] / seconds:.2f}",
                      f"{row['write_units'] / seconds:.2f}",
                      f"[red]{row['throttles']}[/red]" if row["throttles"] else "0", sparkline(total))
    if not snapshot["tables"]:
        usage.add_row("(no requests yet)", "", "", "", "", "")
    shown = "in clear" if snapshot["keys_shown"] else "hashed; --show-keys to see them"
    since = f"last {seconds} s" if snapshot.get("source") == "cloudwatch" else "since start"
    hot = Table(title=f"Hottest partition keys {since} ({shown})", title_justify="left")
    for column in ("table", "index", "key", "units", "read units", "write units", "throttles"):
        hot.add_column(column, justify="right" if "units" in column or column == "throttles" else "left")
    for group in snapshot["hot_keys"]:
        for key in group["keys"]:
            hot.add_row(group["table"], group["index"] or "", key.get("clear", key["key"]), f"{key['units']:g}",
                        f"{key['read_units']:g}", f"{key['write_units']:g}", str(key["throttles"]))
    return Group(usage, hot, *snapshot.get("notes", []))


def sparkline(values: list[float]) -> str:
    """One block character per value, scaled to the largest (a blank where nothing happened)."""
    peak = max(values, default=0.0)
    if peak <= 0:
        return " " * len(values)
    return "".join(" " if v <= 0 else SPARKS[min(len(SPARKS) - 1, int(v / peak * (len(SPARKS) - 1)))]
                   for v in values)


_interval = number(float, "a number of seconds", lambda v: 0.1 <= v <= 3600, "must be from 0.1 to 3600 seconds")
_minutes = number(int, "a whole number of minutes", lambda v: 1 <= v <= 1440, "must be from 1 to 1440 minutes")
_top = number(int, "a whole number", lambda v: 1 <= v <= 100, "must be from 1 to 100")
