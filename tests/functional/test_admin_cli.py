"""The admin commands as an admin runs them: subprocesses, exit codes, and plan/apply against the
running stack's IAM endpoint exactly as against AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, RunningStack


def admin(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iam_policies", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=stdin, timeout=120)


def test_verify_the_shipped_scenarios_hold_for_another_deployment() -> None:
    out = admin("verify", "--account", "123456789012", "--region", "eu-west-1",
                "--issuer", "https://login.example.com/tenant", "--client-id", "spa", "--format", "json")
    assert out.returncode == 0, out.stderr
    outcomes = json.loads(out.stdout)
    assert len(outcomes) >= 20 and all(o["matches"] for o in outcomes)


def test_verify_reports_a_scenario_the_templates_break(tmp_path: Path) -> None:
    scenarios = json.loads((ROOT / "iam_policies" / "scenarios" / "app.json").read_text())
    scan = next(c for c in scenarios if c["request"]["operation"] == "Scan")
    scan.pop("deny_type")
    scan["expected"] = "Allow"
    path = tmp_path / "scan.json"
    path.write_text(json.dumps([scan]))
    out = admin("verify", str(path))
    assert out.returncode == 1
    assert "MISMATCH, expected Allow" in out.stdout


def test_render_names_the_deployment() -> None:
    out = admin("render", "WebUser", "--account", "123456789012", "--issuer", "https://login.example.com/t")
    assert out.returncode == 0
    text = out.stdout
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/Photos" in text
    assert "${login.example.com/t:sub}" in text


@pytest.mark.parametrize(
    ("document", "code", "exit_code"),
    [
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*",
          "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${x:sub}"]}}}]}, "FGAC001", 1),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
          "Resource": "arn:aws:dynamodb:us-east-1:1:table/T"}], "Extra": 1}, "IAM000", 1),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:BatchGetItem",
          "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/T",
          "Condition": {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["${x:sub}"]}}}]}, "FGAC002", 1),
    ],
    ids=["scan leaks", "malformed", "ForAnyValue"],
)
def test_lint_files(tmp_path: Path, document: dict[str, Any], code: str, exit_code: int) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    out = admin("lint", str(path), "--format", "json")
    assert out.returncode == exit_code
    assert code in {f["code"] for f in json.loads(out.stdout)}


def test_lint_shipped_templates_have_no_errors() -> None:
    out = admin("lint", "--format", "json")
    assert out.returncode == 0, out.stdout
    assert all(f["severity"] != "error" for f in json.loads(out.stdout))


def test_lint_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    out = admin("lint", str(tmp_path / "nope.json"))
    assert out.returncode == 2 and "cannot read" in out.stderr and "Traceback" not in out.stderr


def stack_env(stack: RunningStack) -> dict[str, str]:
    return {"AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials")}


def test_plan_on_a_fresh_stack_has_nothing_to_do(stack: RunningStack) -> None:
    out = admin("plan", "--endpoint-url", stack.iam_url, env=stack_env(stack))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "nothing to do" in out.stdout


def test_apply_repairs_a_hand_edited_role_and_dynamodb_enforces_it(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    env = stack_env(stack)
    iam = stack.admin("iam")
    alice = stack.login("alice")
    db = stack.dynamodb(alice)
    sub = alice.subject
    key = {"UserId": {"S": sub}, "PhotoId": {"S": "2026-01-01T00:00:00Z#00000001"}}
    db.put_item(TableName="Photos", Item={**key, "Title": {"S": "before"}})

    iam.put_role_policy(RoleName="WebUser", PolicyName="user-access", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"}]}))
    with pytest.raises(db.exceptions.ClientError) as denied:
        db.get_item(TableName="Photos", Key=key)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"

    plan = admin("plan", "--endpoint-url", stack.iam_url, "--format", "json", env=env)
    assert plan.returncode == 1
    assert [(c["api"], c["params"]["PolicyName"]) for c in json.loads(plan.stdout)] == [("PutRolePolicy", "user-access")]

    applied = admin("apply", "--endpoint-url", stack.iam_url, env=env)
    assert applied.returncode == 0, applied.stderr
    assert db.get_item(TableName="Photos", Key=key)["Item"]["Title"] == {"S": "before"}
    assert "nothing to do" in admin("plan", "--endpoint-url", stack.iam_url, env=env).stdout


def test_plan_with_bad_credentials_is_an_error_not_a_traceback(stack: RunningStack, tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.write_text("[default]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = nope\n")
    out = admin("plan", "--endpoint-url", stack.iam_url, env={"AWS_SHARED_CREDENTIALS_FILE": str(creds)})
    assert out.returncode == 2
    assert out.stderr.startswith("error: InvalidClientTokenId: The security token included in the request is invalid")
    assert "Traceback" not in out.stderr
