"""``export --to s3://`` and ``import s3://`` against the local stack's S3, as users run them.

The commands get only ``--endpoint-url`` (DynamoDB) and the admin profile, as on the README;
the S3 endpoint is found from the running stack. Against AWS the same commands take the usual
credential chain and AWS's S3 (nothing in ``webapp.jobs.s3`` knows which).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningStack
from tests.functional.jobs.conftest import (
    canonical,
    command,
    command_env,
    empty_copy,
    make_table,
    run_command,
    table_items,
)

BUCKET = "webapp-exports"


@pytest.fixture(scope="module")
def source(stack: RunningStack) -> tuple[str, list[str]]:
    table = make_table(stack, 120, prefix="S3Jobs")
    return table, canonical(table_items(stack, table))


def in_tmp(stack: RunningStack, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run a job command with the current directory in ``tmp_path`` (where staging goes)."""
    env = {**command_env(stack), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command(stack, *args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_export_to_s3_and_import_back_reproduces_the_table(stack: RunningStack, source: tuple[str, list[str]],
                                                            tmp_path: Path) -> None:
    table, items = source
    prefix = f"exports/{uuid.uuid4().hex[:8]}"
    code, out, err = in_tmp(stack, tmp_path, "export", table, "--to", f"s3://{BUCKET}/{prefix}", "--segments", "3",
                            "--format", "json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["items"], summary["files"], summary["directory"]) == (120, 3, f"s3://{BUCKET}/{prefix}")
    s3 = stack.admin("s3")
    names = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")["Contents"])
    assert names == [f"{prefix}/manifest.json"] + [f"{prefix}/segment-{n:04d}.jsonl" for n in range(3)]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/manifest.json")["Body"].read())
    assert manifest["itemCount"] == 120
    assert list(tmp_path.iterdir()) == []  # the staging directory is gone

    again = in_tmp(stack, tmp_path, "export", table, "--to", f"s3://{BUCKET}/{prefix}")
    assert again[0] == 2 and "already holds a finished export" in again[2]

    # the import finds both endpoints in the stack's admin config file alone, as any SDK would
    target = empty_copy(stack, table)
    done = subprocess.run([sys.executable, "-m", "webapp", "import", f"s3://{BUCKET}/{prefix}", "--table", target],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**command_env(stack), "PYTHONPATH": str(ROOT),
                               "AWS_CONFIG_FILE": str(stack.data_dir / "admin-config")})
    assert done.returncode == 0, done.stderr
    assert canonical(table_items(stack, target)) == items
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (("import", "s3://webapp-exports/never-exported", "--table", "{table}"), "has no manifest.json"),
], ids=["no-export-there"])  # a missing bucket: test_export_import's bad-input table
def test_s3_mistakes_are_one_line_and_exit_2(stack: RunningStack, source: tuple[str, list[str]], args: tuple[str, ...],
                                              message: str) -> None:
    table, _ = source
    done = run_command(stack, *(a.format(table=table) for a in args))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert not list(ROOT.glob(".*.staging"))  # nothing left behind in the directory it ran in
