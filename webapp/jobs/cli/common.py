"""What every job command shares: where DynamoDB is, how to pace, and how a failure is told."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
)

from iam_policies.cli import fail_line
from webapp.cli.numbers import number
from webapp.jobs.checkpoint import JobError
from webapp.jobs.segments import Interrupted, SegmentFailed

#: the exit codes of every job, shown by its ``--help`` (README "Admin commands")
EPILOG = ("exit codes: 0 done, 1 stopped part way (Ctrl-C, or a segment failed: what was done is recorded, "
          "finish with --resume), 2 bad input or an AWS error (nothing changed); a failure is one line on "
          "standard error, 'error: <what to fix>'.")

LOCAL_HINT = ("for the local stack: AWS_SHARED_CREDENTIALS_FILE=data/admin-credentials "
              "and --endpoint-url http://localhost:8002 (./dev serve prints both)")


def add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", metavar="URL",
                        help="a DynamoDB endpoint, e.g. the local stack's http://localhost:8002; "
                             "default: AWS's endpoint for the region")
    parser.add_argument("--region", help="AWS region (default: AWS_DEFAULT_REGION or the profile's, "
                                         "else us-east-1)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="the local stack's data directory: without AWS credentials, the job reaches "
                             "the stack running there with its admin profile (default: WEBAPP_DATA_DIR "
                             "or ./data)")


def add_s3(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--s3-endpoint-url", metavar="URL",
                        help="an S3 endpoint for s3:// URLs, e.g. the local stack's http://localhost:8004; "
                             "default: the local stack's when --endpoint-url is its DynamoDB endpoint, "
                             "else AWS's S3 for the region")
    parser.add_argument("--staging", type=Path, metavar="DIR",
                        help="with s3://: the local directory the files pass through (default: "
                             ".export-TABLE-<hash>.staging or .import-TABLE-<hash>.staging in the current "
                             "directory; --resume finds the same one); removed when the job is done")


def _session(args: argparse.Namespace) -> tuple[Any, Any]:
    """boto3's session with the usual credential chain, or, when it finds no credentials, one with
    the admin profile of the local stack running with its data in ``--data-dir`` (found as
    ``tables``, ``top`` and ``plan`` find it: ``iam_policies.local_stack``), and that stack."""
    session = boto3.Session(region_name=args.region)
    if session.get_credentials() is not None:
        return session, None
    from iam_policies.local_stack import StackNotFound, default_data_dir, read_discovery

    data_dir = args.data_dir or default_data_dir()
    stack = read_discovery(data_dir)
    if stack is None or (args.endpoint_url and not stack.serves(args.endpoint_url)):
        raise JobError(f"no AWS credentials found (environment, profile or instance role), and no local stack "
                       f"is running with data in {data_dir}; {LOCAL_HINT}, or --data-dir DIR of the running stack")
    try:
        key, secret = stack.admin_keys()
    except StackNotFound as exc:
        raise JobError(str(exc)) from None
    if not getattr(args, "_stack_noted", False):
        print(f"no AWS credentials found; using the local stack of {data_dir} (admin profile "
              f"{stack.admin_credentials})", file=sys.stderr)
        args._stack_noted = True
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                         region_name=args.region or stack.region), stack


def s3_client(args: argparse.Namespace) -> Any:
    """An S3 client with the usual credential chain: AWS's S3, or the local stack's (path-style)."""
    session, stack = _session(args)
    region = session.region_name or "us-east-1"
    if stack is not None:
        endpoint = args.s3_endpoint_url or stack.endpoints.get("s3")
    else:
        endpoint = args.s3_endpoint_url or _local_s3_endpoint(args.endpoint_url)
    s3_config = {"addressing_style": "path"} if endpoint else {}
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60,
                    s3=s3_config)
    return session.client("s3", region_name=region, endpoint_url=endpoint, config=config)


def _local_s3_endpoint(dynamodb_endpoint: str | None) -> str | None:
    """The S3 endpoint of the local stack whose DynamoDB endpoint is ``dynamodb_endpoint``.

    The stack is found the way the admin commands find it (``<data>/stack.json``): in the
    directory of ``AWS_SHARED_CREDENTIALS_FILE`` (the stack's admin profile), else the default
    data directory. Another DynamoDB endpoint (DynamoDB Local, a proxy) says nothing about S3:
    that is a one-line error asking for ``--s3-endpoint-url``, never a guess."""
    if dynamodb_endpoint is None:
        return None
    from iam_policies.local_stack import default_data_dir, read_discovery

    candidates = [default_data_dir()]
    profile = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    if profile:
        candidates.insert(0, Path(profile).expanduser().parent)
    for data_dir in candidates:
        stack = read_discovery(data_dir)
        if stack is not None and stack.serves(dynamodb_endpoint) and "s3" in stack.endpoints:
            return stack.endpoints["s3"]
    raise JobError(f"--endpoint-url {dynamodb_endpoint} is not a running local stack's DynamoDB endpoint, so "
                   "where S3 is cannot be told: pass --s3-endpoint-url URL (the local stack's is printed by "
                   "./dev serve; AWS's is https://s3.REGION.amazonaws.com)")


def add_pacing(parser: argparse.ArgumentParser, *, units: str) -> None:
    """The options every job shares (pacing, resuming, output), and its exit codes in ``--help``."""
    parser.epilog = EPILOG
    parser.add_argument("--rate", type=_positive_float, metavar="UNITS",
                        help=f"at most this many {units} capacity units a second on average, so the "
                             "job never starves the app (default: no cap; throttling is still "
                             "answered with backoff)")
    parser.add_argument("--resume", action="store_true",
                        help="finish the unfinished run recorded in the checkpoint, with its options")
    parser.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="progress bars on standard error (auto: only on a terminal)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="the summary printed at the end")


def add_scan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--segments", type=_positive_int, default=4, metavar="N",
                        help="parallel scan segments, one thread each (default 4)")
    parser.add_argument("--page-size", type=_positive_int, metavar="ITEMS",
                        help="items per Scan page (Limit); smaller pages mean less work redone after "
                             "a kill (default: DynamoDB's 1 MB pages)")


def dynamodb_client(args: argparse.Namespace, *, threads: int) -> Any:
    """A client with the usual credential chain (or the running local stack's admin profile, see
    ``_session``), one pooled connection per thread."""
    session, stack = _session(args)
    region = session.region_name or "us-east-1"
    endpoint = args.endpoint_url or (stack.endpoints.get("dynamodb") if stack is not None else None)
    config = Config(max_pool_connections=threads + 2, retries={"mode": "standard", "max_attempts": 3},
                    connect_timeout=10, read_timeout=60)
    return session.client("dynamodb", region_name=region, endpoint_url=endpoint, config=config)


def progress_flag(args: argparse.Namespace) -> bool | None:
    return {"auto": None, "on": True, "off": False}[args.progress]


def run_job(job: Callable[[], Any], summarize: Callable[[Any], dict[str, Any]], text: Callable[[Any], str],
            args: argparse.Namespace) -> int:
    """Run ``job`` and print its summary; every failure becomes one line and an exit code."""
    try:
        result = job()
    except JobError as exc:
        return _fail(str(exc), 2)
    except (Interrupted, KeyboardInterrupt):
        # Interrupted: Ctrl-C while the segments ran. A bare KeyboardInterrupt: Ctrl-C before they
        # started or while the job finished (manifest, upload); --resume completes either.
        return _fail("stopped; every finished page is recorded: run the same command with --resume "
                     "to finish", 1)
    except SegmentFailed as exc:
        return _fail(f"{exc}; what was done is recorded: fix the cause and run the same command "
                     "with --resume", 1)
    except NoCredentialsError:
        return _fail(f"no AWS credentials found; {LOCAL_HINT}", 2)
    except NoRegionError:
        return _fail("no AWS region: pass --region or set AWS_DEFAULT_REGION", 2)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return _fail(f"{error.get('Code')}: {error.get('Message')}", 2)
    except BotoCoreError as exc:
        return _fail(str(exc), 2)
    except OSError as exc:  # a directory that cannot be made or written: the path and why
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"cannot use {where}{exc.strerror or exc}", 2)
    if args.format == "json":
        print(json.dumps(summarize(result), indent=2, default=str))
    else:
        print(text(result))
    return 0


def _fail(message: str, code: int) -> int:
    fail_line(message)
    return code


_positive_int = number(int, "a whole number", lambda v: v >= 1, "must be at least 1")
_positive_float = number(float, "a number", lambda v: v > 0, "must be more than 0")
