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
        # README and docs/lint.md: warnings alone exit 0
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
          "Resource": "*"}]}, "IAM004", 0),
    ],
    ids=["scan leaks", "malformed", "ForAnyValue", "warning only"],
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
    return {"AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"), "AWS_CONFIG_FILE": os.devnull}


def at(stack: RunningStack) -> tuple[str, ...]:
    """The options that point plan/apply at ``stack`` (its IAM endpoint; its data dir for DynamoDB's)."""
    return ("--endpoint-url", stack.iam_url, "--data-dir", str(stack.data_dir))


def test_plan_on_a_fresh_stack_has_nothing_to_do(stack: RunningStack) -> None:
    out = admin("plan", *at(stack), env=stack_env(stack))
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

    plan = admin("plan", *at(stack), "--format", "json", env=env)
    assert plan.returncode == 1
    assert [(c["api"], c["params"]["PolicyName"]) for c in json.loads(plan.stdout)] == [("PutRolePolicy", "user-access")]

    applied = admin("apply", *at(stack), env=env)
    assert applied.returncode == 0, applied.stderr
    assert db.get_item(TableName="Photos", Key=key)["Item"]["Title"] == {"S": "before"}
    assert "nothing to do" in admin("plan", *at(stack), env=env).stdout


def test_plan_with_bad_credentials_is_an_error_not_a_traceback(stack: RunningStack, tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.write_text("[default]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = nope\n")
    out = admin("plan", *at(stack), env={"AWS_SHARED_CREDENTIALS_FILE": str(creds)})
    assert out.returncode == 2
    assert out.stderr.startswith("error: InvalidClientTokenId: The security token included in the request is invalid")
    assert "Traceback" not in out.stderr


# What a new admin trips over ------------------------------------------------------------------


def test_render_into_a_pipe_that_closes_early_is_quiet() -> None:
    render = subprocess.Popen([sys.executable, "-m", "iam_policies", "render"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert render.stdout is not None
    first = render.stdout.readline()
    render.stdout.close()  # what `| head -1` does after its line
    _, stderr = render.communicate(timeout=60)
    assert first.strip() == b"{"
    assert render.returncode == 0 and stderr == b""


def test_simulate_without_cases_says_so_instead_of_waiting_on_stdin() -> None:
    out = admin("simulate")
    assert out.returncode == 2 and "the following arguments are required: CASES" in out.stderr


def test_simulate_accepts_template_policies_as_verify_does(tmp_path: Path) -> None:
    scenarios = json.loads((ROOT / "iam_policies" / "scenarios" / "app.json").read_text())
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(scenarios[:3]))
    simulated = admin("simulate", str(path), "--format", "json")
    verified = admin("verify", str(path), "--format", "json")
    assert simulated.returncode == 0, simulated.stderr
    assert [o["decision"] for o in json.loads(simulated.stdout)] == [o["decision"] for o in json.loads(verified.stdout)]
    assert all(o["matches"] for o in json.loads(simulated.stdout))
    from_stdin = admin("simulate", "-", stdin=path.read_text())
    assert from_stdin.returncode == 0 and "3 case(s); 3/3 matched" in from_stdin.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["render", "--issuer", "http://idp.example.com"], "--issuer 'http://idp.example.com': the provider URL"),
    (["render", "--max-session-duration", "60"], "--max-session-duration must be 3600 to 43200"),
    (["plan", "--thumbprint", "abc"], "--thumbprint must be 40 hexadecimal digits"),
    (["render", "Nobody"], "no role 'Nobody'; roles: WebUser, WebHost, Admin"),
    (["render", "WebUser", "--format", "cloudformation"], "renders the whole deployment"),
    (["templates", "nope"], "no template or pattern 'nope'"),
    (["render", "--account", "12"], "--account must be the 12 digits of an AWS account id, got '12'"),
    (["render", "--partition", "aws-mars"], "--partition must be one of aws, aws-cn, aws-us-gov"),
    (["verify", "/nonexistent.json"], "cannot read /nonexistent.json: No such file or directory"),
    (["verify", "-"], "- is not valid JSON"),
], ids=["issuer", "session length", "thumbprint", "role", "cloudformation role", "template", "account",
        "partition", "verify missing file", "verify bad JSON"])
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    out = admin(*args, stdin="{not json")
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {out.stderr.strip()[len('error: '):]}" and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stdout == ""


@pytest.mark.parametrize("module", ["iam_policies", "webapp"])
def test_top_level_help_is_written_for_users(module: str) -> None:
    out = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0
    assert "``" not in out.stdout and "thin commands" not in out.stdout.lower()
    assert "exit codes: 0" in out.stdout


def test_plan_help_documents_its_exit_codes() -> None:
    text = " ".join(admin("plan", "--help").stdout.split())
    assert "plan: 0 nothing to change, 1 changes to make" in text and "2 bad input" in text


def test_templates_lists_templates_and_patterns_with_typed_parameters() -> None:
    out = admin("templates", "--format", "json")
    assert out.returncode == 0, out.stderr
    entries = {e["name"]: e for e in json.loads(out.stdout)}
    assert {n for n, e in entries.items() if e["kind"] == "pattern"} == {
        "private-items", "public-read-owner-write", "attribute-limited-profile", "public-directory",
        "shared-by-two", "per-user-index-queries"}
    trust = {p["name"]: p for p in entries["user-role-trust"]["parameters"]}
    assert trust["ClientIds"]["type"] == "string-list" and trust["ClientIds"]["option"] == "--client-id (repeat)"
    for entry in entries.values():
        assert entry["description"]
        for parameter in entry["parameters"]:
            assert parameter["type"] and parameter["doc"] and parameter["option"], parameter
        if entry["kind"] == "pattern":
            assert (ROOT / entry["intent"]).is_file()
    text = admin("templates", "private-items").stdout
    assert "{{Table:items}}  table-name" in text


def _cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True,
                          text=True, timeout=300)


def test_the_cloudformation_template_passes_cfn_lint(tmp_path: Path) -> None:
    out = admin("render", "--format", "cloudformation", "--account", "123456789012", "--region", "eu-west-1",
                "--client-id", "webapp", "--client-id", "mobile", "--thumbprint", "9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
    assert out.returncode == 0, out.stderr
    template = json.loads(out.stdout)
    resources = template["Resources"]
    assert resources["OidcProvider"]["Properties"]["ClientIdList"] == ["webapp", "mobile"]
    trust = resources["RoleWebUser"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Federated": {"Ref": "OidcProvider"}}
    assert trust["Condition"]["StringEquals"]["idp.localhost/dev:aud"] == ["webapp", "mobile"]
    games = resources["TableGames"]["Properties"]
    assert [i["IndexName"] for i in games["GlobalSecondaryIndexes"]] == ["ByHost", "ByOpponent"]
    assert resources["TableSessions"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "ExpiresAt", "Enabled": True}
    path = tmp_path / "template.json"
    path.write_text(out.stdout)
    linted = _cfn_lint(path)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    # The check can fail: a table without its key attribute's definition is refused.
    games["AttributeDefinitions"] = games["AttributeDefinitions"][1:]
    path.write_text(json.dumps(template))
    broken = _cfn_lint(path)
    assert broken.returncode != 0 and "TableGames" in broken.stdout


@pytest.mark.parametrize("pattern", sorted(p.name for p in (ROOT / "iam_policies" / "patterns").iterdir()))
def test_every_pattern_passes_its_cases(pattern: str) -> None:
    out = admin("verify", f"iam_policies/patterns/{pattern}/cases.json", "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    outcomes = json.loads(out.stdout)
    assert {o["decision"] for o in outcomes} == {"Allow", "Deny"} and all(o["matches"] for o in outcomes)


def test_lint_with_an_intent_reports_update_item_where_no_create_is_meant(tmp_path: Path) -> None:
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Notes",
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"]},
                      "Null": {"dynamodb:LeadingKeys": "false"}}}]}
    intent = {"identity": "${idp.localhost/dev:sub}", "tables": {"Notes": {"partition_key": "owner"}},
              "allow": [{"table": "Notes", "partition": "own", "access": ["read", "write"],
                         "read_attributes": "*", "write_attributes": "*"}]}
    (tmp_path / "policy.json").write_text(json.dumps(document))
    (tmp_path / "intent.json").write_text(json.dumps(intent))
    guessed = admin("lint", str(tmp_path / "policy.json"), "--format", "json")
    assert guessed.returncode == 0
    assert [(f["code"], f["severity"]) for f in json.loads(guessed.stdout)] == [("FGAC009", "info")]
    told = admin("lint", str(tmp_path / "policy.json"), "--intent", str(tmp_path / "intent.json"), "--format", "json")
    assert told.returncode == 1
    assert [(f["code"], f["severity"]) for f in json.loads(told.stdout)] == [("FGAC009", "error")]
    intent["allow"][0]["access"].append("create")
    (tmp_path / "intent.json").write_text(json.dumps(intent))
    meant = admin("lint", str(tmp_path / "policy.json"), "--intent", str(tmp_path / "intent.json"), "--format", "json")
    assert meant.returncode == 0 and json.loads(meant.stdout) == []
    bad = admin("lint", str(tmp_path / "policy.json"), "--intent", str(tmp_path / "nope.json"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: cannot read intent")


PATTERNS = sorted(p.name for p in (ROOT / "iam_policies" / "patterns").iterdir())


@pytest.mark.parametrize("pattern", PATTERNS)
def test_prove_holds_for_every_pattern_against_its_intent(pattern: str) -> None:
    folder = f"iam_policies/patterns/{pattern}"
    out = admin("prove", "--intent", f"{folder}/intent.json", f"{folder}/policy.json", "--format", "json")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    proof = json.loads(out.stdout)
    assert proof["holds"] is True and proof["counterexamples"] == []


def test_prove_finds_the_hole_when_a_pattern_is_weakened(tmp_path: Path) -> None:
    """The check above can fail: private-items with Scan added reads every partition."""
    policy = json.loads((ROOT / "iam_policies/patterns/private-items/policy.json").read_text())
    policy["Statement"][0]["Action"].append("dynamodb:Scan")
    policy["Statement"][0]["Condition"].pop("Null")
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    out = admin("prove", "--intent", "iam_policies/patterns/private-items/intent.json", str(tmp_path / "policy.json"),
                "--format", "json")
    assert out.returncode == 1
    operations = {c["request"]["operation"] for c in json.loads(out.stdout)["counterexamples"]}
    assert "Scan" in operations


def test_lint_of_the_templates_with_the_shipped_intent_replaces_the_guess() -> None:
    """Without an intent lint guesses that UpdateItem may create items it should not; the user
    role's intent says where creating is meant, so the guesses give way to the intent's answer."""
    guessed = json.loads(admin("lint", "--format", "json").stdout)
    told = admin("lint", "--intent", "user-role", "--format", "json")
    assert told.returncode == 0, told.stdout
    findings = json.loads(told.stdout)
    assert any(f["code"] == "FGAC009" and f["source"] == "WebUser/user-access" for f in guessed)
    assert not any(f["code"] == "FGAC009" for f in findings)
    assert {f["code"] for f in findings} == {f["code"] for f in guessed} - {"FGAC009"}
