"""``python -m webapp top`` on a scripted workload with one hot key (issue 12, item 5).

A private stack with a 1 RCU / 1 WCU table (``WEBAPP_THROTTLE``), so the hot key is throttled;
the workload is known exactly, so the expected figures are counted here, not read back from the
stack: 40 writes to ``hot`` and 1 write to each of 5 cold keys, each item under 1 KB (1 WCU a
write, Developer Guide "Read/write capacity mode"), every throttled attempt refused with
``ProvisionedThroughputExceededException`` and counted by the client (which never retries, so
each attempt is one request and one throttle event, as CloudWatch counts them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ROOT, RunningStack, free_port_block

TABLE = "Watched"
HOT = "hot-user-7"
COLD = [f"cold-{n}" for n in range(5)]


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, dict[str, Counter[str]]]]:
    base = tmp_path_factory.mktemp("top")
    stack = RunningStack(base / "data", free_port_block(), extra_env={"WEBAPP_THROTTLE": f"{TABLE}=1:5"}).start()
    try:
        creds = stack.admin_credentials()
        client = boto3.client("dynamodb", region_name=stack.region, endpoint_url=stack.dynamodb_url,
                              aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
                              config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        counts: dict[str, Counter[str]] = {"writes": Counter(), "throttled": Counter()}

        def put(key: str, n: int) -> bool:
            try:
                client.put_item(TableName=TABLE, Item={"pk": {"S": key}, "n": {"N": str(n)}})
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
                counts["throttled"][key] += 1
                return False
            counts["writes"][key] += 1
            return True

        for n, key in enumerate(COLD):  # paced (5 WCU a second): one write each, retried if refused
            while not put(key, n):
                time.sleep(0.3)
            time.sleep(0.3)
        for n in range(40):  # a burst on one key: some written, the rest throttled
            put(HOT, n)
        yield stack, counts
    finally:
        stack.stop()


def top(stack: RunningStack, *args: str, credentials: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "AWS_SHARED_CREDENTIALS_FILE": str(credentials or stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
    return subprocess.run([sys.executable, "-m", "webapp", "top", "--endpoint-url", stack.dynamodb_url, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _table_row(snapshot: dict, table: str) -> dict:
    return next(r for r in snapshot["tables"] if r["table"] == table and r["index"] is None)


def _hot(snapshot: dict, table: str) -> list[dict]:
    return next(g["keys"] for g in snapshot["hot_keys"] if g["table"] == table and g["index"] is None)


def test_the_hot_key_is_the_hottest_hashed_by_default(
        watched: tuple[RunningStack, dict[str, Counter[str]]]) -> None:
    stack, counts = watched
    assert counts["throttled"][HOT] > 0 and counts["writes"][HOT] > 0  # the workload did what it is meant to
    out = top(stack, "--once", "--format", "json")
    assert out.returncode == 0, out.stderr
    snapshot = json.loads(out.stdout)
    # Each successful write is 1 WCU (items under 1 KB); each refused attempt one throttle event.
    assert _table_row(snapshot, TABLE)["total"] == {
        "read_units": 0.0, "write_units": float(counts["writes"].total()),
        "throttles": counts["throttled"].total()}
    keys = _hot(snapshot, TABLE)
    assert len(keys) == 5  # the default --top
    hottest = keys[0]
    assert (hottest["write_units"], hottest["throttles"]) == (counts["writes"][HOT], counts["throttled"][HOT])
    assert all(k["units"] < hottest["units"] for k in keys[1:])
    assert all("clear" not in k and len(k["key"]) == 12 and int(k["key"], 16) >= 0 for k in keys)
    assert HOT not in out.stdout and not any(cold in out.stdout for cold in COLD)


def test_show_keys_names_the_hot_key_in_clear(watched: tuple[RunningStack, dict[str, Counter[str]]]) -> None:
    stack, counts = watched
    hashed = json.loads(top(stack, "--once", "--format", "json").stdout)
    out = top(stack, "--once", "--format", "json", "--show-keys")
    assert out.returncode == 0, out.stderr
    keys = _hot(json.loads(out.stdout), TABLE)
    assert keys[0]["clear"] == HOT
    assert keys[0]["key"] == _hot(hashed, TABLE)[0]["key"]  # the same label, now with its value
    for key in keys:  # every key's figures are its own
        name = key["clear"]
        assert (key["write_units"], key["throttles"]) == (counts["writes"][name], counts["throttled"][name])


def test_text_view_shows_table_throttles_and_key(watched: tuple[RunningStack, dict[str, Counter[str]]]) -> None:
    stack, counts = watched
    out = top(stack, "--once", "--show-keys")
    assert out.returncode == 0, out.stderr
    assert TABLE in out.stdout and HOT in out.stdout and "throttles" in out.stdout
    assert str(counts["throttled"][HOT]) in out.stdout


def test_a_web_user_gets_access_denied_and_no_figures(watched: tuple[RunningStack, dict[str, Counter[str]]],
                                                      tmp_path: Path) -> None:
    stack, _ = watched
    creds = stack.login("alice")
    path = tmp_path / "user-credentials"
    path.write_text(f"[default]\naws_access_key_id = {creds.access_key_id}\n"
                    f"aws_secret_access_key = {creds.secret_access_key}\n"
                    f"aws_session_token = {creds.session_token}\n")
    out = top(stack, "--once", "--format", "json", "--show-keys", credentials=path)
    assert out.returncode == 1
    assert out.stderr.startswith("error: AccessDeniedException: ") and "dynamodb:DescribeContributorInsights" in out.stderr
    assert out.stdout == "" and HOT not in out.stderr
    audit = [json.loads(line) for line in (stack.data_dir / "audit.jsonl").read_text().splitlines()]
    assert any(e.get("operation") == "WatchCapacity" and e.get("decision") == "Deny"
               for e in audit), audit[-3:]


def test_unsigned_and_missing_credentials_fail_in_one_line(watched: tuple[RunningStack, dict[str, Counter[str]]],
                                                           tmp_path: Path) -> None:
    stack, _ = watched
    out = top(stack, "--once", "--data-dir", str(tmp_path), credentials=tmp_path / "missing")
    assert out.returncode == 1 and out.stderr.startswith("error: no AWS credentials found")
    assert "Traceback" not in out.stderr
    import urllib.error
    import urllib.request

    request = urllib.request.Request(stack.dynamodb_url + "/_webapp/watch", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(refused.value.read())
    assert refused.value.code in (400, 403) and "hot" not in json.dumps(body) and "tables" not in body


def test_without_credentials_it_finds_the_running_stack(watched: tuple[RunningStack, dict[str, Counter[str]]],
                                                        tmp_path: Path) -> None:
    """As the other admin commands do (iam_policies.local_stack): stack.json names the endpoint
    and the admin profile, and the command says on standard error that it used them."""
    stack, counts = watched
    env = {"PATH": "/usr/bin:/bin", "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-m", "webapp", "top", "--once", "--format", "json",
                          "--data-dir", str(stack.data_dir)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "using the local stack" in out.stderr
    assert _hot(json.loads(out.stdout), TABLE)[0]["throttles"] == counts["throttled"][HOT]


def test_the_stacks_admin_config_is_enough_without_endpoint_url(
        watched: tuple[RunningStack, dict[str, Counter[str]]]) -> None:
    """The banner says the admin profile needs no --endpoint-url: its config names the endpoint,
    and top reads the stack's watch there rather than CloudWatch."""
    stack, _ = watched
    env = {"PATH": "/usr/bin:/bin", "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": str(stack.data_dir / "admin-config"), "AWS_EC2_METADATA_DISABLED": "true"}
    out = subprocess.run([sys.executable, "-m", "webapp", "top", "--once", "--format", "json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    snapshot = json.loads(out.stdout)
    assert "source" not in snapshot and _table_row(snapshot, TABLE)["write_units"] > 0
