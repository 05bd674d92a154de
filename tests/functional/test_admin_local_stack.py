"""The admin commands as a new admin runs them next to a local stack, as subprocesses: found
without credentials (the stack's ``stack.json``), or a one-line error naming what to pass; and
plan/apply seeing everything they manage (audiences, thumbprints, trust, session length, tables)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningStack

#: Variables through which boto3 would find credentials of the machine running the tests.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                        "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "WEBAPP_DATA_DIR")


def without_credentials(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment where boto3 finds no credentials (and never asks instance metadata)."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES}
    return {**env, "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "none"), "AWS_CONFIG_FILE": str(tmp / "none"),
            "AWS_EC2_METADATA_DISABLED": "true", "PYTHONPATH": str(ROOT), **extra}


def run(module: str, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_tables_list_finds_the_running_stack_without_credentials(stack: RunningStack, tmp_path: Path) -> None:
    out = run("webapp", "tables", "list", "--format", "json", cwd=tmp_path,
              env=without_credentials(tmp_path, WEBAPP_DATA_DIR=str(stack.data_dir)))
    assert out.returncode == 0, out.stderr
    assert {t["table"]: t["status"] for t in json.loads(out.stdout)} == {
        "Photos": "exists", "PhotoTags": "exists", "Profiles": "exists", "Games": "exists", "Sessions": "exists"}
    assert f"using the local stack of {stack.data_dir} at {stack.dynamodb_url}" in out.stderr


def test_plan_finds_the_running_stack_without_credentials(stack: RunningStack, tmp_path: Path) -> None:
    out = run("iam_policies", "plan", "--data-dir", str(stack.data_dir), cwd=tmp_path,
              env=without_credentials(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "nothing to do" in out.stdout
    assert f"at {stack.iam_url}" in out.stderr


def test_plan_for_aws_without_credentials_says_so_instead_of_asking_the_local_stack(
        stack: RunningStack, tmp_path: Path) -> None:
    """README "Running against real AWS", step 2, typed before configuring credentials: the
    local stack (one account, one region) used to answer SignatureDoesNotMatch for eu-west-1."""
    out = run("iam_policies", "plan", "--account", "123456789012", "--region", "eu-west-1", "--issuer",
              "https://your.idp/path", "--client-id", "your-client", "--data-dir", str(stack.data_dir),
              cwd=tmp_path, env=without_credentials(tmp_path))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == (f"error: no AWS credentials found, and the local stack running with data in "
                          f"{stack.data_dir} is account 000000000000 in us-east-1, not --account 123456789012 "
                          "--region eu-west-1: for AWS, configure credentials (aws configure, AWS_PROFILE); for "
                          "the local stack, leave out --account and --region\n")


@pytest.mark.parametrize(("module", "args", "code", "says"), [
    pytest.param("webapp", ["tables", "list"], 1, "--endpoint-url http://localhost:8002 with AWS_SHARED_CREDENTIALS_FILE=",
                 id="tables list"),
    pytest.param("iam_policies", ["plan"], 2, "--endpoint-url http://localhost:8003 with AWS_SHARED_CREDENTIALS_FILE=",
                 id="plan"),
    pytest.param("iam_policies", ["plan", "--endpoint-url", "http://localhost:9"], 2,
                 "AWS_SHARED_CREDENTIALS_FILE=<data dir>/admin-credentials", id="plan at an endpoint"),
    pytest.param("webapp", ["users", "list"], 1, "pass --data-dir DIR of your stack", id="users list"),
])
def test_without_stack_or_credentials_the_error_says_what_to_pass(
        tmp_path: Path, module: str, args: list[str], code: int, says: str) -> None:
    out = run(module, *args, cwd=tmp_path, env=without_credentials(tmp_path))
    assert out.returncode == code
    assert says in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists(), "a command created ./data"


def test_a_stopped_stack_is_not_mistaken_for_a_running_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (data / "stack.json").write_text(json.dumps({
        "pid": int(dead.stdout), "region": "us-east-1", "account": "000000000000",
        "endpoints": {"dynamodb": "http://localhost:9", "iam": "http://localhost:9"},
        "admin_credentials": str(data / "admin-credentials")}))
    out = run("webapp", "tables", "list", cwd=tmp_path, env=without_credentials(tmp_path))
    assert out.returncode == 1 and "no local stack is running" in out.stderr


def test_plan_at_an_endpoint_that_is_no_known_stack_asks_for_the_dynamodb_endpoint(
        stack: RunningStack, tmp_path: Path) -> None:
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": os.devnull}
    out = run("iam_policies", "plan", "--endpoint-url", stack.iam_url, cwd=tmp_path, env=env)
    assert out.returncode == 2 and "pass --dynamodb-endpoint-url URL" in out.stderr
    iam_only = run("iam_policies", "plan", "--endpoint-url", stack.iam_url, "--no-tables", cwd=tmp_path, env=env)
    assert iam_only.returncode == 0, iam_only.stderr


def _plan(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": os.devnull}
    return run("iam_policies", *args, "--endpoint-url", stack.iam_url, "--data-dir", str(stack.data_dir),
               cwd=ROOT, env=env)


THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def test_plan_sees_audiences_thumbprints_trust_and_session_length_that_apply_set(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    wide = ("--client-id", "webapp", "--client-id", "mobile", "--thumbprint", THUMBPRINT,
            "--max-session-duration", "7200")
    applied = _plan(stack, "apply", *wide)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _plan(stack, "plan", *wide).returncode == 0

    iam = stack.admin("iam")
    arn = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"][0]["Arn"]
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert provider["ClientIDList"] == ["webapp", "mobile"] and provider["ThumbprintList"] == [THUMBPRINT]
    role = iam.get_role(RoleName="WebUser")["Role"]
    assert role["MaxSessionDuration"] == 7200
    # STS now takes the second audience, through the provider and the trust policy alike.
    mobile = stack.assume(stack.dev_token("alice", aud="mobile"), DurationSeconds=7200)
    assert mobile.subject is not None

    planned = _plan(stack, "plan", "--format", "json")
    assert planned.returncode == 1
    assert [(c["api"], c["params"].get("ClientID")) for c in json.loads(planned.stdout)] == [
        ("RemoveClientIDFromOpenIDConnectProvider", "mobile"), ("UpdateAssumeRolePolicy", None), ("UpdateRole", None)]
    assert _plan(stack, "apply").returncode == 0
    assert _plan(stack, "plan").returncode == 0
    with pytest.raises(Exception, match="InvalidIdentityToken|AccessDenied"):
        stack.assume(stack.dev_token("alice", aud="mobile"))
    other = _plan(stack, "plan", "--thumbprint", "a" * 40)
    assert other.returncode == 1 and f"the thumbprints are {THUMBPRINT}" in other.stdout


def test_plan_sees_table_drift_and_apply_repairs_it(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    db = stack.admin("dynamodb")
    db.update_table(TableName="Games", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "ByOpponent"}}])
    db.update_time_to_live(TableName="Sessions",
                           TimeToLiveSpecification={"Enabled": False, "AttributeName": "ExpiresAt"})

    planned = _plan(stack, "plan", "--format", "json")
    assert planned.returncode == 1, planned.stderr
    changes = [(c["service"], c["api"], c["params"]["TableName"]) for c in json.loads(planned.stdout)]
    assert changes == [("dynamodb", "UpdateTable", "Games"), ("dynamodb", "UpdateTimeToLive", "Sessions")]

    applied = _plan(stack, "apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    indexes = {i["IndexName"] for i in db.describe_table(TableName="Games")["Table"]["GlobalSecondaryIndexes"]}
    assert indexes == {"ByHost", "ByOpponent"}
    assert db.describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert _plan(stack, "plan").returncode == 0


def test_a_table_whose_keys_differ_is_a_problem_apply_refuses(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    db = stack.admin("dynamodb")
    db.create_table(TableName="xProfiles", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}])
    planned = _plan(stack, "plan", "--table-prefix", "x", "--no-prune")
    assert planned.returncode == 2
    assert "table xProfiles: key schema is ('Id',), want ('UserId',)" in planned.stdout
    refused = _plan(stack, "apply", "--table-prefix", "x")
    assert refused.returncode == 2 and "apply refuses to start" in refused.stderr
    assert "xPhotos" not in db.list_tables()["TableNames"], "apply made calls despite the problem"
