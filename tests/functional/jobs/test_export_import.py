"""Export and import through the running stack: complete, resumable after any failure, checked.

The property every test checks: after an export (interrupted or not, resumed any number of
times) the segment files hold every item of the table exactly once: no gap, no duplicate.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, RunningStack, free_port_block
from tests.functional.jobs.conftest import (
    admin_client,
    canonical,
    command,
    command_env,
    empty_copy,
    exported,
    make_table,
    run_command,
    table_items,
    wait_for_pages,
)
from webapp.jobs.export import export_table
from webapp.jobs.segments import SegmentFailed


@pytest.fixture(scope="module")
def source(stack: RunningStack) -> tuple[str, list[str]]:
    table = make_table(stack, 300)
    return table, canonical(table_items(stack, table))


def test_export_then_import_reproduces_the_table(stack: RunningStack, source: tuple[str, list[str]],
                                                  tmp_path: Path) -> None:
    table, items = source
    out = run_command(stack, "export", table, "--to", str(tmp_path / "e"), "--segments", "3",
                      "--format", "json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["items"] == 300 and summary["files"] == 3
    assert canonical(exported(tmp_path / "e")) == items
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["itemCount"] == 300 and manifest["outputFormat"] == "DYNAMODB_JSON"
    assert sum(f["itemCount"] for f in manifest["files"]) == 300
    assert not (tmp_path / "e" / "checkpoint.json").exists()

    missing = run_command(stack, "import", str(tmp_path / "e"), "--table", f"{table}Copy")  # README's example
    assert (missing.returncode, missing.stderr.count("\n")) == (2, 1), missing.stderr
    assert f"no table named {table}Copy at this endpoint; add --create to make it with the exported " \
           "table's keys and indexes" in missing.stderr

    target = empty_copy(stack, table)
    out = run_command(stack, "import", str(tmp_path / "e"), "--table", target)
    assert out.returncode == 0, out.stderr
    assert canonical(table_items(stack, target)) == items
    again = run_command(stack, "import", str(tmp_path / "e"), "--table", target)  # idempotent
    assert again.returncode == 0, again.stderr
    assert canonical(table_items(stack, target)) == items


def _indexed_table(stack: RunningStack, items: int) -> str:
    """A table with a GSI (INCLUDE) and an LSI (KEYS_ONLY) and a numeric sort key: every part of the
    shape ``import --create`` must make again."""
    name = f"Shaped-{uuid.uuid4().hex[:8]}"
    client = stack.admin("dynamodb")
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "N"), ("owner", "S"), ("day", "S"))],
        GlobalSecondaryIndexes=[{"IndexName": "ByOwner", "KeySchema": [
            {"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "day", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}}],
        LocalSecondaryIndexes=[{"IndexName": "ByDay", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "day", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for n in range(items):
        client.put_item(TableName=name, Item={"pk": {"S": f"p{n % 3}"}, "sk": {"N": str(n)},
                                              "owner": {"S": f"o{n % 2}"}, "day": {"S": f"2026-01-{n % 28 + 1:02d}"},
                                              "title": {"S": f"t{n}"}, "secret": {"B": bytes([n])}})
    return name


def _shape(description: dict[str, Any]) -> dict[str, Any]:
    """What CreateTable decided of a table (DescribeTable), without its name, state and sizes."""
    def index(i: dict[str, Any]) -> tuple[str, str, str]:
        return (i["IndexName"], json.dumps(i["KeySchema"]), json.dumps(i["Projection"], sort_keys=True))
    return {"keys": description["KeySchema"],
            "attributes": sorted(json.dumps(a, sort_keys=True) for a in description["AttributeDefinitions"]),
            "gsi": sorted(index(i) for i in description.get("GlobalSecondaryIndexes", [])),
            "lsi": sorted(index(i) for i in description.get("LocalSecondaryIndexes", []))}


def test_import_create_recreates_the_exported_table_with_its_keys_and_indexes(
        stack: RunningStack, tmp_path: Path) -> None:
    """README "Admin commands": the manifest records the table's keys and indexes, and
    ``import --create`` makes a new table from them (an export alone recreates its table)."""
    client = stack.admin("dynamodb")
    table = _indexed_table(stack, 12)
    client.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "day"})
    assert run_command(stack, "export", table, "--to", str(tmp_path / "e"), "--segments", "2").returncode == 0
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["tableCreationParameters"]["KeySchema"] == client.describe_table(TableName=table)["Table"]["KeySchema"]

    copy = f"{table}-made"
    out = run_command(stack, "import", str(tmp_path / "e"), "--table", copy, "--create", "--format", "json")
    assert out.returncode == 0, out.stderr
    made = client.describe_table(TableName=copy)["Table"]
    assert made["TableStatus"] == "ACTIVE" and made["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert _shape(made) == _shape(client.describe_table(TableName=table)["Table"])
    ttl = client.describe_time_to_live(TableName=copy)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl.get("AttributeName")) == ("ENABLED", "day")
    assert canonical(table_items(stack, copy)) == canonical(table_items(stack, table))
    by_owner = client.query(TableName=copy, IndexName="ByOwner", KeyConditionExpression="#o = :o",
                            ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": "o1"}})
    assert by_owner["Count"] == 6 and all("secret" not in i for i in by_owner["Items"])  # INCLUDE title only
    again = run_command(stack, "import", str(tmp_path / "e"), "--table", copy, "--create")  # exists: reused
    assert again.returncode == 0, again.stderr
    assert canonical(table_items(stack, copy)) == canonical(table_items(stack, table))


def test_import_into_a_table_with_other_keys_or_create_without_recorded_keys_is_refused(
        stack: RunningStack, source: tuple[str, list[str]], tmp_path: Path) -> None:
    table, _ = source
    assert run_command(stack, "export", table, "--to", str(tmp_path / "e"), "--segments", "1").returncode == 0
    other = _indexed_table(stack, 0)
    stack.admin("dynamodb").delete_table(TableName=other)
    stack.admin("dynamodb").create_table(  # same names, the sort key a string where the export's is a number
        TableName=other, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
    for extra in ([], ["--create"]):
        refused = run_command(stack, "import", str(tmp_path / "e"), "--table", other, *extra)
        assert (refused.returncode, len(refused.stderr.strip().splitlines())) == (2, 1), refused.stderr
        assert "sk (N range)" in refused.stderr and "sk (S range)" in refused.stderr
        assert table_items(stack, other) == []  # refused before any write

    manifest_path = tmp_path / "e" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["tableCreationParameters"]  # as an export of an earlier version wrote it
    manifest_path.write_text(json.dumps(manifest))
    missing = f"{table}-never"
    old = run_command(stack, "import", str(tmp_path / "e"), "--table", missing, "--create")
    assert (old.returncode, len(old.stderr.strip().splitlines())) == (2, 1), old.stderr
    assert "has no tableCreationParameters" in old.stderr and "Traceback" not in old.stderr
    assert missing not in stack.admin("dynamodb").list_tables()["TableNames"]


class Counting:
    """The admin client, counting Scan calls (to measure the work a resume redoes)."""

    def __init__(self, client: Any) -> None:
        self._client, self.scans = client, 0
        self._lock = threading.Lock()
        self.exceptions, self.meta = client.exceptions, client.meta

    def scan(self, **params: Any) -> Any:
        with self._lock:
            self.scans += 1
        return self._client.scan(**params)

    def describe_table(self, **params: Any) -> Any:
        return self._client.describe_table(**params)

    def describe_time_to_live(self, **params: Any) -> Any:
        return self._client.describe_time_to_live(**params)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(point=st.sampled_from(["written", "recorded"]), segment=st.integers(0, 2), page=st.integers(0, 12))
def test_a_segment_thread_dying_anywhere_is_resumed_with_no_gap_and_no_duplicate(
        stack: RunningStack, source: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory,
        point: str, segment: int, page: int) -> None:
    table, items = source
    directory = tmp_path_factory.mktemp("export") / "out"
    uninterrupted = Counting(admin_client(stack))
    export_table(uninterrupted, table, tmp_path_factory.mktemp("whole") / "out", segments=3,
                 page_size=8, progress=False)

    def die(at: str, seg: int, number: int) -> None:
        if (at, seg, number) == (point, segment, page):
            raise RuntimeError("thread killed")

    client = Counting(admin_client(stack))
    try:
        export_table(client, table, directory, segments=3, page_size=8, progress=False, fault=die)
        died = False
    except SegmentFailed as failure:
        assert failure.segment == segment
        died = True
        assert (directory / "checkpoint.json").exists()
        client_after = Counting(admin_client(stack))
        export_table(client_after, table, directory, resume=True, progress=False)
        client.scans += client_after.scans
    assert canonical(exported(directory)) == items
    # what a resume redoes: at most the page in flight, in the one segment that died
    assert client.scans <= uninterrupted.scans + (1 if died else 0)


@pytest.mark.parametrize("pages", [2, 15])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_export_killed_or_stopped_resumes_to_the_same_items(
        stack: RunningStack, source: tuple[str, list[str]], tmp_path: Path, pages: int, sig: int) -> None:
    table, items = source
    directory = tmp_path / "out"
    process = subprocess.Popen(
        command(stack, "export", table, "--to", str(directory), "--segments", "3", "--page-size", "5"),
        cwd=ROOT, env=command_env(stack), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_pages(directory / "checkpoint.json", pages, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    if process.returncode != 0:  # it may have finished before the signal
        assert "Traceback" not in stderr
        if sig == signal.SIGINT:
            assert process.returncode == 1 and "--resume" in stderr
        resumed = run_command(stack, "export", table, "--to", str(directory), "--resume")
        assert resumed.returncode == 0, resumed.stderr
    assert canonical(exported(directory)) == items


def test_an_import_killed_resumes_and_a_corrupt_export_is_refused(
        stack: RunningStack, source: tuple[str, list[str]], tmp_path: Path) -> None:
    table, items = source
    assert run_command(stack, "export", table, "--to", str(tmp_path / "e")).returncode == 0
    target = empty_copy(stack, table)
    process = subprocess.Popen(command(stack, "import", str(tmp_path / "e"), "--table", target),
                               cwd=ROOT, env=command_env(stack), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / "e" / f"import-{target}.checkpoint.json"
    wait_for_pages(checkpoint, 0, process)
    time.sleep(0.3)
    process.kill()
    process.communicate(timeout=30)
    # The import removes its checkpoint as its last step: killed after that (while the interpreter
    # was exiting) it had finished, and there is nothing to resume.
    if process.returncode != 0 and checkpoint.exists():
        plain = run_command(stack, "import", str(tmp_path / "e"), "--table", target)
        assert plain.returncode == 2 and "--resume" in plain.stderr  # never silently starts over
        resumed = run_command(stack, "import", str(tmp_path / "e"), "--table", target, "--resume")
        assert resumed.returncode == 0, resumed.stderr
    assert canonical(table_items(stack, target)) == items

    segment = next((tmp_path / "e").glob("segment-*.jsonl"))
    segment.write_bytes(segment.read_bytes().replace(b'"S":"user-1', b'"S":"user-9', 1))
    other = empty_copy(stack, table)
    refused = run_command(stack, "import", str(tmp_path / "e"), "--table", other)
    assert refused.returncode == 2 and "does not match manifest.json" in refused.stderr
    assert table_items(stack, other) == []


@pytest.mark.parametrize("args, message", [
    (["export", "NoSuchTable", "--to", "{tmp}/a"], "no table named NoSuchTable"),
    (["export", "{table}", "--to", "{tmp}/full"], "is not empty"),
    (["export", "{table}", "--to", "{tmp}/b", "--resume"], "nothing to resume"),
    (["export", "{table}", "--to", "s3://no-such-bucket/prefix"], "the bucket no-such-bucket does not exist"),
    (["import", "{tmp}/full", "--table", "{table}"], "has no manifest.json"),
])
def test_bad_input_is_one_line_and_exit_2(stack: RunningStack, source: tuple[str, list[str]],
                                          tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    out = run_command(stack, *[a.format(tmp=tmp_path, table=source[0]) for a in args])
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_no_credentials_says_where_to_find_them(stack: RunningStack, tmp_path: Path) -> None:
    env = {**command_env(stack), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_CONFIG_FILE": str(tmp_path / "none")}
    out = subprocess.run(command(stack, "export", "T", "--to", str(tmp_path / "o")), cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "admin-credentials" in out.stderr and "Traceback" not in out.stderr


def test_without_credentials_the_running_stack_is_found_as_tables_and_plan_find_it(
        stack: RunningStack, source: tuple[str, list[str]], tmp_path: Path) -> None:
    """README "Finding the local stack": like ``tables list``, a job with neither credentials nor
    --endpoint-url uses the stack running with its data in --data-dir, and says so."""
    table, items = source
    env = {k: v for k, v in command_env(stack).items() if not k.startswith("AWS_")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    for target in (str(tmp_path / "local"), f"s3://webapp-exports/walk/{tmp_path.name}"):
        out = subprocess.run([sys.executable, "-m", "webapp", "export", table, "--to", target, "--data-dir",
                              str(stack.data_dir), "--format", "json"],
                             cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["items"] == len(items)
        assert out.stderr == (f"no AWS credentials found; using the local stack of {stack.data_dir} "
                              f"(admin profile {stack.data_dir / 'admin-credentials'})\n")
    assert canonical(exported(tmp_path / "local")) == items


@pytest.fixture
def throttled(tmp_path: Path) -> Any:
    running = RunningStack(tmp_path / "data", free_port_block(), extra_env={"WEBAPP_THROTTLE": "on"})
    running.start()
    yield running
    running.stop()


def test_a_throttled_export_backs_off_and_completes(throttled: RunningStack, tmp_path: Path) -> None:
    client = throttled.admin("dynamodb")
    client.create_table(
        TableName="Slow", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 1000},
    )
    # 400 KB: about 50 read units for eventually consistent pages, against 5 a second
    for start in range(0, 400, 25):
        client.batch_write_item(RequestItems={"Slow": [
            {"PutRequest": {"Item": {"pk": {"S": f"k{n}"}, "pad": {"S": "x" * 1000}}}}
            for n in range(start, start + 25)]})
    out = run_command(throttled, "export", "Slow", "--to", str(tmp_path / "e"), "--segments", "2",
                      "--page-size", "40", "--format", "json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["throttled_retries"] >= 1 and summary["items"] == 400
    assert len({json.dumps(i, sort_keys=True, default=str) for i in exported(tmp_path / "e")}) == 400
