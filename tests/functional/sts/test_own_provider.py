"""STS and the admin tooling with a third-party provider on a loopback address (issue 10).

``oidc-provider-mock`` (PyPI) in this process, issuer ``http://localhost:PORT``. STS reads its keys
through discovery (``/.well-known/openid-configuration`` -> ``jwks_uri``), answers
``IDPCommunicationError`` while it is unreachable (STS API Reference, AssumeRoleWithWebIdentity,
"Errors": "The request could not be fulfilled because the identity provider (IDP) that was asked
to verify the incoming identity token could not be reached"), and ``plan``/``apply
--endpoint-url`` accept the same loopback issuer against the local stack but never without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError
from oidc_provider_mock import run_server_in_thread

from tests.conftest import ROOT, RunningStack, free_port_block

CLIENT_ID = "snapshots-local"


def mock_token(issuer: str, sub: str) -> str:
    """An ID token from the mock, by its authorization code flow (as a browser and host would)."""
    redirect = "http://localhost:1/cb"
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect,
              "scope": "openid", "state": "s", "nonce": "n"}
    answer = requests.post(f"{issuer}/oauth2/authorize", params=params, data={"sub": sub},
                           allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(f"{issuer}/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
        "client_id": CLIENT_ID, "client_secret": "x"}, timeout=10)
    return str(token.json()["id_token"])


@pytest.fixture
def mock_port() -> int:
    return free_port_block(1)


def serve_mock(port: int) -> AbstractContextManager[Any]:
    return run_server_in_thread(port)


@pytest.fixture
def stack_with_mock(fresh_stack: RunningStack, mock_port: int) -> Iterator[RunningStack]:
    issuer = f"http://localhost:{mock_port}"
    fresh_stack._extra_env.update({
        "WEBAPP_ISSUER": issuer, "WEBAPP_OIDC_METADATA_URL": f"{issuer}/.well-known/openid-configuration",
        "WEBAPP_CLIENT_ID": CLIENT_ID, "WEBAPP_OIDC_CLIENT_SECRET": "x",
    })
    yield fresh_stack.start()


def test_sts_reads_the_providers_keys_by_discovery_and_says_when_it_cannot_reach_it(
    stack_with_mock: RunningStack, mock_port: int,
) -> None:
    issuer = f"http://localhost:{mock_port}"
    with serve_mock(mock_port):
        token = mock_token(issuer, "erin@example.com")
    # The provider is down and STS has never seen its keys: AWS's retryable IDPCommunicationError.
    with pytest.raises(ClientError) as refused:
        stack_with_mock.assume(token)
    assert refused.value.response["Error"]["Code"] == "IDPCommunicationError"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with serve_mock(mock_port):  # back up (with a new signing key: the mock makes one per start)
        token = mock_token(issuer, "erin@example.com")
        credentials = stack_with_mock.assume(token, session_name="erin")
    assert credentials.subject == "erin@example.com"
    assert credentials.assumed_role_arn and credentials.assumed_role_arn.endswith("/WebUser/erin")
    # Keys are cached: with the provider down again, a token it signed is still verified.
    assert stack_with_mock.assume(token, session_name="erin2").subject == "erin@example.com"


def tooling(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(stack.data_dir / "admin-credentials"),
           "AWS_CONFIG_FILE": os.devnull}
    return subprocess.run([sys.executable, "-m", "iam_policies", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_plan_accepts_a_loopback_issuer_against_the_local_stack_only(
    stack_with_mock: RunningStack, mock_port: int,
) -> None:
    issuer = f"http://localhost:{mock_port}"
    local = tooling(stack_with_mock, "plan", "--issuer", issuer, "--client-id", CLIENT_ID,
                    "--endpoint-url", stack_with_mock.iam_url, "--data-dir", str(stack_with_mock.data_dir))
    assert local.returncode == 0, local.stdout + local.stderr
    assert "nothing to do" in local.stdout  # the stack registered provider and trust by itself
    aws = tooling(stack_with_mock, "plan", "--issuer", issuer, "--client-id", CLIENT_ID)
    assert aws.returncode != 0
    assert "accepted by the local stack only" in aws.stderr and "Traceback" not in aws.stderr
