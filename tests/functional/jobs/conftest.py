"""Helpers for the table jobs' tests: tables filled through the stack, the commands as users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import ROOT, RunningStack


def make_table(stack: RunningStack, items: int, *, prefix: str = "Jobs") -> str:
    """A new table with ``items`` items spread over 40 partitions (binary and nested values too)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client = stack.admin("dynamodb")
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
    )
    for start in range(0, items, 25):
        client.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": f"user-{n % 40}"}, "sk": {"N": str(n)},
                                     "counter": {"N": "0"}, "blob": {"B": bytes([n % 256, 0])},
                                     "tags": {"SS": ["a", f"t{n % 3}"]},
                                     "doc": {"M": {"n": {"N": str(n)}, "l": {"L": [{"BOOL": True}]}}}}}}
            for n in range(start, min(items, start + 25))]})
    return name


def empty_copy(stack: RunningStack, table: str) -> str:
    name = f"{table}-copy-{uuid.uuid4().hex[:6]}"
    stack.admin("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
    )
    return name


def admin_client(stack: RunningStack, **config: Any) -> Any:
    creds = stack.admin_credentials()
    return boto3.client("dynamodb", region_name=stack.region, endpoint_url=stack.dynamodb_url,
                        aws_access_key_id=creds.access_key_id,
                        aws_secret_access_key=creds.secret_access_key,
                        config=Config(max_pool_connections=16, **config))


def table_items(stack: RunningStack, table: str) -> list[dict[str, Any]]:
    client = stack.admin("dynamodb")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page["Items"]
    return items


def canonical(items: list[dict[str, Any]]) -> list[str]:
    """Items as sorted JSON lines: equal lists mean the same items, each exactly once."""
    from webapp.jobs.wire import to_json

    return sorted(json.dumps(to_json(item), sort_keys=True) for item in items)


def exported(directory: Path) -> list[dict[str, Any]]:
    from webapp.jobs.wire import from_json

    return [from_json(json.loads(line)["Item"])
            for path in sorted(directory.glob("segment-*.jsonl"))
            for line in path.read_text().splitlines()]


def command_env(stack: RunningStack) -> dict[str, str]:
    return {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
            "PYTHONUNBUFFERED": "1"}


def command(stack: RunningStack, *args: str) -> list[str]:
    return [sys.executable, "-m", "webapp", *args, "--endpoint-url", stack.dynamodb_url]


def run_command(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(stack, *args), cwd=ROOT, env=command_env(stack),
                          capture_output=True, text=True, timeout=300)


def wait_for_pages(checkpoint: Path, pages: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            state = json.loads(checkpoint.read_text())
            if sum(s["pages"] for s in state["segments"]) >= pages:
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.005)
