"""STS, IAM and DynamoDB write one typed audit record, and ``python -m webapp audit`` reads it.

The three services run in process on real sockets, over one registry and one audit log, and are
called with boto3 as the page and the admin tooling call them. Every policy here has statements
without a ``Sid``: the audit names them by position (``#0``, ``#1``, ...). Before the record was
shared, STS and IAM wrote ``statement_index`` while the reader looked for ``index``, and printed
``by #None``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.serving import make_server

from tests.unit.webapp.dynamodb.conftest import RecordingBackend
from tests.unit.webapp.sts.forge import SigningKey, mint
from webapp.audit import AuditEntry, AuditLog, read_entries
from webapp.cli.audit import row
from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority
from webapp.dynamodb import create_dynamodb_app
from webapp.iam import create_iam_app
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.sts import create_sts_app

ISSUER = "https://idp.localhost/dev"
ACCOUNT = "000000000000"
ROLE = "SidlessUser"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
KEY = SigningKey.rsa("k-audit")
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.localhost/dev"},
    "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}}]}
#: Statement #0 allows GetItem, #1 GetRole, #2 denies DeleteItem; none has a Sid.
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"},
    {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
]}
KEY_OF_NOTE = {"owner": {"S": "alice-sub"}, "noteId": {"S": "n1"}}


@dataclass
class Services:
    urls: dict[str, str]
    log_path: Path
    log: AuditLog
    backend: RecordingBackend

    def entries(self) -> list[AuditEntry]:
        return list(read_entries(self.log_path))

    def client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        config = Config(retries={"max_attempts": 1}, signature_version=UNSIGNED if credentials is None else None)
        keys = {} if credentials is None else {
            "aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"]}
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.urls[service], config=config, **keys)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path)
    clock = ManualClock(time.time())
    registry = IamRegistry.open(settings, clock)
    registry.create_role(ROLE, json.dumps(TRUST))
    registry.put_role_policy(ROLE, "sidless", json.dumps(POLICY))
    credentials = CredentialAuthority.open(tmp_path, clock)
    log = AuditLog(tmp_path / "audit.jsonl")
    backend = RecordingBackend()
    apps = {
        "sts": create_sts_app(settings, registry, credentials,
                              lambda issuer: KEY.jwks() if issuer == ISSUER else {"keys": []}, clock, audit=log.record),
        "iam": create_iam_app(settings, registry, credentials, clock, audit=log.record),
        "dynamodb": create_dynamodb_app(settings, registry, credentials, backend, log.record, clock),
    }
    servers = {name: make_server("127.0.0.1", 0, app, threaded=True) for name, app in apps.items()}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield Services({n: f"http://127.0.0.1:{s.port}" for n, s in servers.items()},
                       tmp_path / "audit.jsonl", log, backend)
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()
        log.close()


def test_a_sidless_statement_is_named_by_its_position_in_every_service(services: Services) -> None:
    now = int(time.time())
    token = mint({"iss": ISSUER, "aud": "webapp", "sub": "alice-sub", "iat": now, "exp": now + 600}, KEY)
    assumed = services.client("sts").assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="alice", WebIdentityToken=token)
    session = assumed["Credentials"]
    services.client("iam", session).get_role(RoleName=ROLE)
    dynamodb = services.client("dynamodb", session)
    dynamodb.get_item(TableName="Notes", Key=KEY_OF_NOTE)
    with pytest.raises(ClientError):
        dynamodb.delete_item(TableName="Notes", Key=KEY_OF_NOTE)
    assert [op for op, _ in services.backend.calls] == ["GetItem"]  # the refused delete reached nothing

    entries = services.entries()
    # (service, operation, decision, the WHY column of `python -m webapp audit`)
    assert [(e.service, e.operation, e.decision.value, e.why) for e in entries] == [
        ("sts", "AssumeRoleWithWebIdentity", "Allow", "by #0"),
        ("iam", "GetRole", "Allow", "by #1"),
        ("dynamodb", "GetItem", "Allow", "by #0"),
        ("dynamodb", "DeleteItem", "Deny", "explicit by #2"),
    ]
    assert all("#None" not in row(e) for e in entries)
    # The stored JSON: the position is ``statement_index`` and there is no Sid.
    lines = [json.loads(line) for line in services.log_path.read_text().splitlines()]
    assert [(m["sid"], m["statement_index"]) for line in lines for m in line["matched"]] == [
        (None, 0), (None, 1), (None, 0), (None, 2)]
    # Each line reads back as the record that was written.
    assert [AuditEntry.from_dict(line).to_dict() for line in lines] == lines


def test_the_audit_command_prints_the_positions(services: Services, tmp_path: Path) -> None:
    import subprocess
    import sys

    now = int(time.time())
    token = mint({"iss": ISSUER, "aud": "webapp", "sub": "alice-sub", "iat": now, "exp": now + 600}, KEY)
    services.client("sts").assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="alice",
                                                         WebIdentityToken=token)
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-m", "webapp", "audit", "--data-dir", str(tmp_path)],
                         cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    [_, line] = out.stdout.splitlines()
    assert line.split()[1:3] == ["Allow", f"{ROLE}/alice"]
    assert line.endswith("by #0")
