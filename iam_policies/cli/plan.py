"""``plan`` and ``apply``: bring IAM and the tables (AWS, or the local stack) to the templates.

``plan`` prints the calls ``apply`` would make and changes nothing; ``apply`` makes them
(``apply --dry-run`` is ``plan``). They cover the OIDC provider (client ids, thumbprints), the
roles (trust, inline policies, MaxSessionDuration) and the tables (indexes, TTL): see
``iam_policies.plan``.

Where the calls go: boto3's credentials and ``--endpoint-url`` when boto3 finds credentials;
otherwise the local stack running with its data in ``--data-dir`` (``iam_policies.local_stack``).
The tables are read from ``--dynamodb-endpoint-url``, or from the local stack whose IAM endpoint
``--endpoint-url`` is, or from AWS when no endpoint is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from iam_policies.cli import CommandError, fail_line
from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state
from iam_policies.plan import Plan, make_plan

EPILOG = (
    "exit codes: plan: 0 nothing to change, 1 changes to make; apply: 0 applied (or nothing to do); "
    "both: 2 bad input, an AWS error, or a difference no API call can fix (a table's keys), "
    "with a one-line message."
)


def configure(parser: argparse.ArgumentParser) -> None:
    from iam_policies.local_stack import default_data_dir

    parser.add_argument("--endpoint-url", metavar="URL",
                        help="the IAM endpoint (the local stack's is http://localhost:8003); default AWS's")
    parser.add_argument("--dynamodb-endpoint-url", metavar="URL",
                        help="the DynamoDB endpoint of the tables (default: the local stack's when "
                             "--endpoint-url is its IAM endpoint, else AWS's)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the local stack's data directory, used when boto3 finds no credentials and "
                             f"to find its endpoints (default: WEBAPP_DATA_DIR or {default_data_dir()})")
    parser.add_argument("--no-tables", action="store_true", help="plan IAM only, leave the tables alone")
    parser.add_argument("--no-prune", action="store_true",
                        help="keep what the templates do not name (inline policies, client ids, indexes, TTL)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    parser.add_argument("--dry-run", action="store_true", help="(apply) print the plan, change nothing")
    add_deployment_arguments(parser)


def _print(plan: Plan, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([c.as_dict() for c in plan.changes]
                         + [{"problem": p} for p in plan.problems], indent=2))
        return
    if plan.empty:
        print("AWS matches the templates; nothing to do.")
    for number, change in enumerate(plan.changes, 1):
        print(f"{number:3}. {change.describe()}")
    for problem in plan.problems:
        print(f"  !  {problem}")


def _clients(args: argparse.Namespace) -> dict[str, Any]:
    from iam_policies.local_stack import (
        StackNotFound,
        Target,
        default_data_dir,
        read_discovery,
        resolve_target,
    )

    data_dir = args.data_dir or default_data_dir()
    try:
        iam = resolve_target("iam", args.endpoint_url, args.region, data_dir)
        stack = read_discovery(data_dir) if iam.keys is not None else None
        if stack is not None and (args.account, args.region) != (stack.account, stack.region):
            # README's "Running against real AWS" flags without AWS credentials: the local stack
            # would refuse them (its IAM is one account in one region), so say what was meant.
            raise CommandError(
                f"no AWS credentials found, and the local stack running with data in {data_dir} is account "
                f"{stack.account} in {stack.region}, not --account {args.account} --region {args.region}: for AWS, "
                "configure credentials (aws configure, AWS_PROFILE); for the local stack, leave out "
                "--account and --region")
        if iam.note:
            print(iam.note, file=sys.stderr)
        clients = {"iam": iam.client("iam")}
        if args.no_tables:
            return clients
        if args.dynamodb_endpoint_url or args.endpoint_url is None:
            dynamodb = resolve_target("dynamodb", args.dynamodb_endpoint_url, args.region, data_dir,
                                      endpoint_option="--dynamodb-endpoint-url")
        else:
            stack = read_discovery(data_dir)
            if stack is None or not stack.serves(args.endpoint_url):
                raise CommandError(
                    f"{args.endpoint_url} is not the IAM endpoint of a local stack running with data in "
                    f"{data_dir}: pass --dynamodb-endpoint-url URL for the tables (the local stack's is "
                    "http://localhost:8002), --data-dir DIR of that stack, or --no-tables")
            dynamodb = Target(stack.endpoints["dynamodb"], iam.region, iam.keys)
    except StackNotFound as exc:
        raise CommandError(str(exc)) from None
    clients["dynamodb"] = dynamodb.client("dynamodb")
    return clients


def _plan(args: argparse.Namespace) -> tuple[Plan, dict[str, Any]]:
    from iam_policies.aws_client import read_state, read_tables

    desired = desired_state(deployment_params(args))
    clients = _clients(args)
    state = read_state(clients["iam"], desired)
    if "dynamodb" in clients:
        state = replace(state, tables=read_tables(clients["dynamodb"], desired))
    return make_plan(desired, state, prune=not args.no_prune), clients


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from iam_policies.aws_client import apply

    try:
        plan, clients = _plan(args)
        if args.command == "plan" or args.dry_run:
            _print(plan, args.format)
            if plan.problems:
                return 2
            return 1 if (args.command == "plan" and not plan.empty) else 0
        if plan.problems:
            _print(plan, args.format)
            fail_line("apply refuses to start while the plan has problems (marked !)")
            return 2
        apply(plan, clients, on_change=lambda c: print(f"applying {c.describe()}", flush=True))
        print(f"applied {len(plan.changes)} change(s)" if plan.changes else "nothing to do")
        return 0
    except ClientError as exc:
        error = exc.response.get("Error", {})
        fail_line(f"{error.get('Code')}: {error.get('Message')}")
        return 2
    except (BotoCoreError, TimeoutError) as exc:
        fail_line(f"{exc}")
        return 2
