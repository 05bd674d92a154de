"""Shared fixtures.

Unit tests need none of these. Functional and browser tests talk to a real running stack
(``python -m webapp serve`` in a subprocess, over HTTP) through the ``stack`` fixture and its
named collaborators: ``stack.dev_token("alice")``, ``stack.assume(token)``,
``stack.dynamodb(credentials)``, ``stack.admin("dynamodb")``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEC = ROOT.parent / "shared" / "spec"

# Tests must never reach real AWS, whatever the developer's environment holds.
for _name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def free_port_block(count: int = 5) -> int:
    """A base port P such that P .. P+count-1 are free on 127.0.0.1.

    Chosen below Linux's ephemeral range (32768-60999), from which the kernel hands out ports for
    ``bind(0)`` servers and outgoing connections, so nothing else grabs them between this check
    and the stack binding them. ``RunningStack.start`` still retries on another block if one was
    taken meanwhile.
    """
    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(20000, 32000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports")


class PortTaken(Exception):
    """Another process bound one of the stack's ports between the check and the start."""


@dataclass
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: Any = None
    subject: str | None = None
    assumed_role_arn: str | None = None


class RunningStack:
    """A ``python -m webapp serve`` process and clients to talk to it."""

    def __init__(self, data_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self._use_port(port)
        self.region = "us-east-1"
        self.account_id = "000000000000"
        self.user_role_arn = f"arn:aws:iam::{self.account_id}:role/WebUser"
        self._extra_env = extra_env or {}
        self.process: subprocess.Popen[str] | None = None

    def _use_port(self, port: int) -> None:
        self.port = port
        self.host_url = f"http://localhost:{port}"
        self.sts_url = f"http://localhost:{port + 1}"
        self.dynamodb_url = f"http://localhost:{port + 2}"
        self.iam_url = f"http://localhost:{port + 3}"
        self.s3_url = f"http://localhost:{port + 4}"
        self.log_path = self.data_dir.parent / f"stack-{port}.log"

    # Lifecycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> RunningStack:
        """Start the stack; if one of its ports was taken meanwhile, try another block."""
        for _ in range(3):
            try:
                return self._start_once(timeout)
            except PortTaken:
                self._use_port(free_port_block())
        return self._start_once(timeout)

    def _start_once(self, timeout: float) -> RunningStack:
        ready = self.data_dir.parent / f"ready-{self.port}.json"
        ready.unlink(missing_ok=True)
        env = {**os.environ, **self._extra_env, "PYTHONUNBUFFERED": "1"}
        log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--ready-file", str(ready)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready.exists():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        log = self.log_path.read_text()
        if "Address already in use" in log:
            raise PortTaken(self.port)
        raise RuntimeError(f"the stack did not start; its log:\n{log[-5000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def kill(self) -> None:
        """``kill -9``: no chance to flush anything."""
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text()

    # Collaborators ---------------------------------------------------------------------------

    def dev_token(self, user: str, **claims: Any) -> str:
        """A fresh ID token for a demo user, minted as ``python -m webapp dev-token USER --claim
        NAME=JSON ...`` mints it (``webapp/idp/devtoken.py``: the provider's files in the data
        directory, opened afresh so a rotated key is used; a claim of ``None`` is removed), but in
        this process: a subprocess per token cost about a second, dozens of times a run. The command
        itself is tested as a subprocess in ``tests/unit/webapp/idp/test_commands.py``."""
        from webapp.idp.provider import IdentityProvider
        from webapp.settings import Settings

        provider = IdentityProvider.open(Settings.from_env(data_dir=self.data_dir))
        # through JSON, as the command's --claim values are
        return provider.mint_id_token(user, extra_claims=json.loads(json.dumps(claims)))

    def sts(self) -> Any:
        return boto3.client(
            "sts", region_name=self.region, endpoint_url=self.sts_url,
            aws_access_key_id="unused", aws_secret_access_key="unused",
            config=Config(retries={"max_attempts": 1}),
        )

    def assume(self, token: str, session_name: str = "test", **kwargs: Any) -> Credentials:
        """STS AssumeRoleWithWebIdentity into the user role (unsigned, as the browser does it)."""
        from botocore import UNSIGNED

        client = boto3.client(
            "sts", region_name=self.region, endpoint_url=self.sts_url,
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
        )
        response = client.assume_role_with_web_identity(
            RoleArn=kwargs.pop("RoleArn", self.user_role_arn), RoleSessionName=session_name,
            WebIdentityToken=token, **kwargs,
        )
        c = response["Credentials"]
        return Credentials(
            c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], c["Expiration"],
            response.get("SubjectFromWebIdentityToken"), response["AssumedRoleUser"]["Arn"],
        )

    def login(self, user: str, session_name: str | None = None) -> Credentials:
        """Dev token for ``user`` traded for temporary credentials."""
        return self.assume(self.dev_token(user), session_name=session_name or user)

    def dynamodb(self, credentials: Credentials, **config: Any) -> Any:
        return boto3.client(
            "dynamodb", region_name=self.region, endpoint_url=self.dynamodb_url,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def admin_credentials(self) -> Credentials:
        text = (self.data_dir / "admin-credentials").read_text()
        values = dict(
            line.split(" = ", 1) for line in text.splitlines() if " = " in line
        )
        return Credentials(values["aws_access_key_id"], values["aws_secret_access_key"])

    def admin(self, service: str) -> Any:
        """A boto3 client for ``service`` signed with the admin's static key."""
        creds = self.admin_credentials()
        endpoint = {"dynamodb": self.dynamodb_url, "iam": self.iam_url, "sts": self.sts_url,
                    "s3": self.s3_url}[service]
        return boto3.client(
            service, region_name=self.region, endpoint_url=endpoint,
            aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )

    def table(self, logical: str) -> str:
        return logical[0].upper() + logical[1:]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One local stack for the whole test session (functional and browser tests)."""
    base = tmp_path_factory.mktemp("stack")
    running = RunningStack(base / "data", free_port_block()).start()
    yield running
    running.stop()
    fail_on_internal_errors(running)


@pytest.fixture(scope="session")
def capacity_admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, str, str]]:
    """``(stack, alice's sub, bob's sub)``: the stack of ``tests/functional/host/admins.py`` where alice
    is the host's admin and bob wrote photos, shared by the ``/admin/capacity`` tests (functional
    and browser), which only read it: built once a session instead of once per module."""
    from tests.functional.host.admins import admin_stack

    with admin_stack(Path(tmp_path_factory.mktemp("capacity-admin")) / "data") as running:
        yield running


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[RunningStack]:
    """A private stack for tests that restart, kill or reconfigure it."""
    running = RunningStack(tmp_path / "data", free_port_block())
    yield running
    running.stop()
    fail_on_internal_errors(running)


#: Log lines of a crash answered with a 500 (``webapp.backend.moto_engine.INTERNAL_ERROR_MARK``,
#: the gateway's catch-all): a stack that logged one fails the suite, even if no test looked.
INTERNAL_ERROR_MARKS = ("INTERNAL ERROR in the DynamoDB engine", "unexpected error handling DynamoDB request",
                        "unexpected error handling S3 request")


def fail_on_internal_errors(running: RunningStack) -> None:
    if not running.log_path.exists():
        return
    lines = [line for line in running.log().splitlines() if any(mark in line for mark in INTERNAL_ERROR_MARKS)]
    if lines:
        pytest.fail("the stack answered with InternalServerError (see its log " + str(running.log_path)
                    + "):\n" + "\n".join(lines[:20]), pytrace=False)
