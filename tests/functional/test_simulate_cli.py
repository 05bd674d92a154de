"""``python -m iam_policies simulate`` in a subprocess, on the shared case file and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = ROOT.parent / "shared" / "spec" / "fgac-cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())


def simulate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iam_policies", "simulate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_every_shared_case_as_json() -> None:
    done = simulate("--format", "json", str(CASES_FILE))
    assert done.stderr == ""
    answers = json.loads(done.stdout)
    assert [a["id"] for a in answers] == [c["id"] for c in CASES]
    for case, answer in zip(CASES, answers, strict=True):
        assert set(answer) >= {"id", "decision", "deny_type", "authorizations"}
        assert (answer["decision"], answer["deny_type"]) == (case["expected"], case.get("deny_type")), case["id"]
        assert answer["matches"] is True
        for authorization in answer["authorizations"]:
            assert set(authorization) >= {"action", "resource", "context", "decision"}
    assert done.returncode == 0


def test_one_case_from_stdin_text_explains_the_decision() -> None:
    case = next(c for c in CASES if c["id"] == "FGAC-A02")
    done = simulate("-", stdin=json.dumps(case))
    assert done.returncode == 0, done.stderr
    assert "FGAC-A02: Deny (implicit)   ok" in done.stdout
    assert "no identity-based policy allows the dynamodb:GetItem action" in done.stdout
    assert "not applied: identity[0] FullAccessToUserItems: false: ForAllValues:StringEquals dynamodb:LeadingKeys" in done.stdout


def test_a_mismatch_exits_1() -> None:
    case = {**next(c for c in CASES if c["id"] == "FGAC-A01"), "expected": "Deny", "deny_type": "implicit"}
    done = simulate("--format", "json", "-", stdin=json.dumps(case))
    assert done.returncode == 1
    assert json.loads(done.stdout)[0]["matches"] is False


def test_no_expectation_exits_0() -> None:
    case = {k: v for k, v in next(c for c in CASES if c["id"] == "FGAC-A02").items() if k not in ("expected", "deny_type")}
    done = simulate("--format", "json", "-", stdin=json.dumps(case))
    assert done.returncode == 0
    assert json.loads(done.stdout)[0]["decision"] == "Deny"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1]", "case [0] must be a JSON object"),
        (json.dumps({**CASES[0], "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "dynamodb:GetItem", "Resource": "*"}]}}),
         "FGAC-A01: policy: MalformedPolicyDocument: Invalid effect: 'Permit' (must be Allow or Deny) (at $.Statement[0].Effect)"),
        (json.dumps({"id": "X", "request": {}}), "X: request.operation is required"),
    ],
    ids=["malformed JSON", "not an object", "malformed policy", "no operation"],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(stdin: str, message: str) -> None:
    done = simulate("-", stdin=stdin)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_missing_file_exits_2() -> None:
    done = simulate("/nonexistent/cases.json")
    assert done.returncode == 2 and "cannot read /nonexistent/cases.json" in done.stderr
