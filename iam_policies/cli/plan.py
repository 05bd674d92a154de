"""``plan`` and ``apply``: bring IAM (AWS, or the local stack's IAM endpoint) to the templates.

``plan`` prints the calls ``apply`` would make and changes nothing; ``apply`` makes them
(``apply --dry-run`` is ``plan``). Credentials come from boto3's usual chain; for the local stack
``AWS_SHARED_CREDENTIALS_FILE=<data>/admin-credentials`` and ``--endpoint-url http://localhost:8003``.
Exit codes: 0 nothing to do or applied, 1 ``plan`` found changes, 2 bad input or an AWS error.
"""

from __future__ import annotations

import argparse
import json
import sys

from iam_policies.cli.params import add_deployment_arguments, deployment_params
from iam_policies.deployment import desired_state
from iam_policies.plan import Plan, make_plan


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", help="IAM endpoint (the local stack's is http://localhost:<port+3>)")
    parser.add_argument("--no-prune", action="store_true", help="keep inline policies the templates do not name")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--dry-run", action="store_true", help="(apply) print the plan, change nothing")
    add_deployment_arguments(parser)


def _print(plan: Plan, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([c.as_dict() for c in plan.changes], indent=2))
    elif plan.empty:
        print("IAM matches the templates; nothing to do.")
    else:
        for number, change in enumerate(plan.changes, 1):
            print(f"{number:3}. {change.describe()}")


def _plan(args: argparse.Namespace) -> tuple[Plan, object]:
    from iam_policies.aws_client import iam_client, read_state

    client = iam_client(args.endpoint_url, args.region)
    desired = desired_state(deployment_params(args))
    return make_plan(desired, read_state(client, desired), prune=not args.no_prune), client


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from iam_policies.aws_client import apply

    try:
        plan, client = _plan(args)
        if args.command == "plan" or args.dry_run:
            _print(plan, args.format)
            return 1 if (args.command == "plan" and not plan.empty) else 0
        apply(plan, client, on_change=lambda c: print(f"applying {c.describe()}", flush=True))
        print(f"applied {len(plan.changes)} change(s)" if plan.changes else "nothing to do")
        return 0
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 2
    except BotoCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
