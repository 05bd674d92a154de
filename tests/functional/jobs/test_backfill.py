"""Backfill through the running stack: every item rewritten, and no user's write lost meanwhile."""

from __future__ import annotations

import json
import random
import subprocess
import threading
from pathlib import Path

from botocore.exceptions import ClientError

from tests.conftest import ROOT, RunningStack
from tests.functional.jobs.conftest import (
    canonical,
    command,
    command_env,
    make_table,
    run_command,
    table_items,
    wait_for_pages,
)


def test_dry_run_counts_and_writes_nothing_then_the_run_changes_every_item(
        stack: RunningStack, tmp_path: Path) -> None:
    table = make_table(stack, 120)
    before = canonical(table_items(stack, table))
    args = ["backfill", table, "--set", 'Plan="free"', "--remove", "tags", "--segments", "3",
            "--state", str(tmp_path / "state.json"), "--format", "json"]
    dry = run_command(stack, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["would_change"] == 120
    assert canonical(table_items(stack, table)) == before

    done = run_command(stack, *args)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changed"] == 120
    items = table_items(stack, table)
    assert all(item["Plan"] == {"S": "free"} and "tags" not in item for item in items)
    assert not (tmp_path / "state.json").exists()
    again = run_command(stack, *args)  # idempotent: nothing left to change
    assert json.loads(again.stdout)["unchanged"] == 120


def test_a_user_write_during_the_backfill_is_never_overwritten(stack: RunningStack, tmp_path: Path) -> None:
    """Users increment counters while a script rewrites the same attribute (adds 1000).

    A backfill that wrote what it had read would lose every increment that landed between its
    read and its write; the conditional update re-reads instead, so each item ends at exactly
    1000 + its acknowledged increments (or, if it was skipped after repeated conflicts, at its
    increments alone).
    """
    table = make_table(stack, 60)
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in table_items(stack, table)]
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def user(seed: int) -> None:
        client = stack.admin("dynamodb")
        rng = random.Random(seed)
        while not stop.is_set():
            key = rng.choice(keys[:10])  # ten hot items, to force conflicts
            try:
                client.update_item(TableName=table, Key=key, UpdateExpression="ADD #c :one",
                                   ExpressionAttributeNames={"#c": "counter"},
                                   ExpressionAttributeValues={":one": {"N": "1"}})
            except ClientError:
                continue
            with lock:
                name = key["sk"]["N"]
                acknowledged[name] = acknowledged.get(name, 0) + 1

    script = tmp_path / "bump.py"
    script.write_text("def transform(item):\n    item['counter'] += 1000\n    return item\n")
    users = [threading.Thread(target=user, args=(n,)) for n in range(3)]
    for thread in users:
        thread.start()
    try:
        out = run_command(stack, "backfill", table, "--script", str(script), "--segments", "2",
                          "--page-size", "5", "--state", str(tmp_path / "state.json"), "--format", "json")
    finally:
        stop.set()
        for thread in users:
            thread.join()
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    skipped = {entry["key"]["sk"] for entry in summary["skipped"]}
    assert summary["changed"] + summary["retried_after_concurrent_change"] + len(skipped) == 60
    print("backfill under contention:", summary)
    assert sum(acknowledged.values()) > 0
    for item in table_items(stack, table):
        sk = item["sk"]["N"]
        bump = 0 if sk in skipped else 1000
        assert int(item["counter"]["N"]) == bump + acknowledged.get(sk, 0), sk


def test_a_killed_backfill_resumes_where_it_stopped(stack: RunningStack, tmp_path: Path) -> None:
    table = make_table(stack, 80)
    state = tmp_path / "state.json"
    args = ["backfill", table, "--set", "Version=2", "--segments", "2", "--page-size", "5",
            "--state", str(state)]
    process = subprocess.Popen(command(stack, *args), cwd=ROOT, env=command_env(stack),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_pages(state, 3, process)
    process.kill()
    process.communicate(timeout=30)
    if process.returncode != 0:
        resumed = run_command(stack, *args, "--resume", "--format", "json")
        assert resumed.returncode == 0, resumed.stderr
        summary = json.loads(resumed.stdout)
        assert summary["scanned"] >= 80  # counts carried over from the checkpoint, plus the page redone
    assert all(item["Version"] == {"N": "2"} for item in table_items(stack, table))
    assert not state.exists()


def test_bad_transforms_are_one_line_errors(stack: RunningStack, tmp_path: Path) -> None:
    table = make_table(stack, 5)
    moves_key = tmp_path / "moves.py"
    moves_key.write_text("def transform(item):\n    item['pk'] = 'x'\n    return item\n")
    cases = [
        (["--set", "Plan=free"], "is not JSON"),
        ([], "say what to change"),
        (["--script", str(tmp_path / "none.py")], "no script at"),
        (["--script", str(moves_key)], "changed key attribute pk"),
    ]
    for args, message in cases:
        out = run_command(stack, "backfill", table, *args, "--state", str(tmp_path / "s.json"))
        assert out.returncode in (1, 2) and message in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr
    assert all("pk" in item and item["pk"]["S"].startswith("user-") for item in table_items(stack, table))
