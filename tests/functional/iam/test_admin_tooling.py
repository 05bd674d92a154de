"""The admin tooling against the local IAM endpoint, exactly as against AWS: the stack was
provisioned from the same templates, so ``plan`` finds nothing to do; drift is planned and
``apply`` repairs it through the IAM API."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, RunningStack


def tooling(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": os.devnull}
    return subprocess.run([sys.executable, "-m", "iam_policies", *args, "--endpoint-url", stack.iam_url,
                           "--data-dir", str(stack.data_dir)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_provisioned_stack_matches_the_templates(stack: RunningStack) -> None:
    result = tooling(stack, "plan")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to do" in result.stdout


def test_drift_is_planned_and_applied_through_the_iam_api(stack: RunningStack) -> None:
    iam = stack.admin("iam")
    iam.put_role_policy(RoleName="WebUser", PolicyName="drift", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "*"}]}))
    try:
        planned = tooling(stack, "plan", "--format", "json")
        assert planned.returncode == 1, planned.stderr
        assert [c["api"] for c in json.loads(planned.stdout)] == ["DeleteRolePolicy"]
        applied = tooling(stack, "apply")
        assert applied.returncode == 0, applied.stderr
        assert "drift" not in iam.list_role_policies(RoleName="WebUser")["PolicyNames"]
        assert tooling(stack, "plan").returncode == 0
    finally:
        if "drift" in iam.list_role_policies(RoleName="WebUser")["PolicyNames"]:
            iam.delete_role_policy(RoleName="WebUser", PolicyName="drift")
