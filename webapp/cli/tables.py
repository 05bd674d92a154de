"""``python -m webapp tables create|list|describe``: the app's tables, locally or on AWS.

Parses, builds a boto3 client (the local stack's admin profile with ``--endpoint-url``, else
boto3's default chain), calls ``webapp.tables`` and formats. Exit codes: 0 done, 1 an AWS or
connection error (one line on stderr), 2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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
                        help="the local stack's data directory: with --endpoint-url, sign with its "
                             "admin profile (<data>/admin-credentials); default ./data")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default) or json for scripts")


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    settings = Settings.from_env(table_prefix=args.prefix, data_dir=args.data_dir, region=args.region)
    region = settings.region
    try:
        client = _client(args.endpoint_url, region, settings.data_dir)
        if args.action == "create":
            result: Any = create_tables(client, settings)
        elif args.action == "list":
            result = list_tables(client, settings)
        else:
            result = describe_tables(client, settings)
    except (ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(result, indent=2, default=str))
    else:
        print(_as_text(args.action, result))
    return 0


def _client(endpoint_url: str | None, region: str, data_dir: Path) -> Any:
    import configparser

    import boto3  # type: ignore[import-untyped]

    admin_profile = data_dir / "admin-credentials"
    if endpoint_url and admin_profile.exists():
        # The local stack's admin key, from the AWS shared-credentials file the stack writes.
        profile = configparser.ConfigParser()
        profile.read(admin_profile)
        session = boto3.Session(region_name=region,
                                aws_access_key_id=profile["default"]["aws_access_key_id"],
                                aws_secret_access_key=profile["default"]["aws_secret_access_key"])
    else:
        session = boto3.Session(region_name=region)
    return session.client("dynamodb", endpoint_url=endpoint_url)


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
