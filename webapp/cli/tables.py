"""``python -m webapp tables create|list|describe``: the app's tables, locally or on AWS.

Parses, builds a boto3 client (boto3's own credentials when it finds some, against AWS or the
``--endpoint-url`` given; otherwise the running local stack of ``--data-dir``, found by its
``stack.json``: ``iam_policies.local_stack``), calls ``webapp.tables`` and formats. Exit codes: 0 done, 1 an AWS or
connection error (one line on stderr), 2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from iam_policies.cli import fail_line
from webapp.settings import Settings
from webapp.tables import create_tables, describe_tables, list_tables


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("create", "list", "describe"),
                        help="create the missing tables, list them with their status, or describe them")
    parser.add_argument("--endpoint-url",
                        help="a DynamoDB endpoint (the local stack's is http://localhost:8002); "
                             "default: AWS's endpoint for the region")
    parser.add_argument("--region", help="AWS region (default: WEBAPP_REGION or us-east-1)")
    parser.add_argument("--prefix", help="physical table name prefix (default: WEBAPP_TABLE_PREFIX)")
    parser.add_argument("--data-dir", type=Path,
                        help="the local stack's data directory: without AWS credentials, reach the stack "
                             "running there with its admin profile (default: WEBAPP_DATA_DIR or ./data)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default) or json for scripts")


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    settings = Settings.from_env(table_prefix=args.prefix, data_dir=args.data_dir, region=args.region)
    region = settings.region
    from iam_policies.local_stack import StackNotFound

    try:
        client = _client(args.endpoint_url, region, settings.data_dir)
        if args.action == "create":
            result: Any = create_tables(client, settings)
        elif args.action == "list":
            result = list_tables(client, settings)
        else:
            result = describe_tables(client, settings)
    except ClientError as error:  # AWS's code and message, as the other commands print them
        print(f"error: {error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}",
              file=sys.stderr)
        return 1
    except (BotoCoreError, StackNotFound) as error:
        fail_line(f"{error}")
        return 1
    if args.format == "json":
        print(json.dumps(result, indent=2, default=str))
    else:
        print(_as_text(args.action, result))
    return 0


def _client(endpoint_url: str | None, region: str, data_dir: Path) -> Any:
    """boto3's credentials when it finds some (AWS, or the endpoint given); otherwise the running
    local stack's admin profile (``iam_policies.local_stack``), or a one-line error saying what to pass."""
    from iam_policies.local_stack import resolve_target

    target = resolve_target("dynamodb", endpoint_url, region, data_dir)
    if target.note:
        print(target.note, file=sys.stderr)
    return target.client("dynamodb")


def _as_text(action: str, result: list[dict[str, Any]]) -> str:
    if action == "describe":
        lines = []
        for t in result:
            indexes = [i["IndexName"] for i in
                       (t.get("LocalSecondaryIndexes") or []) + (t.get("GlobalSecondaryIndexes") or [])]
            keys = " ".join(f"{k['AttributeName']}({k['KeyType']})" for k in t.get("KeySchema", []))
            lines.append(f"{t['TableName']:<24} {t.get('TableStatus', '?'):<8} {keys}"
                         + (f"  indexes: {', '.join(indexes)}" if indexes else ""))
        return "\n".join(lines)
    return "\n".join(f"{r['logical']:<10} {r['table']:<24} {r['status']}" for r in result)
