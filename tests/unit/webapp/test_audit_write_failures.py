"""A full disk under the audit log does not turn a caller's request into a 500.

The DynamoDB and S3 endpoints always guarded their audit writes (``webapp.authorize.record``: the
failure is logged with the request id, the answer stays what the decision made it); STS and IAM
called the log directly, so an ``OSError`` from it became ``InternalFailure``/``ServiceFailure``
500 for a caller who did nothing wrong (issue 11, "no input reaches a 500"). Each row: an endpoint
whose audit callback raises, a request, and the status and code the caller must still get.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.test import Client

from tests.unit.webapp.sts.conftest import IDP_KEY, ISSUER
from tests.unit.webapp.sts.forge import mint
from webapp.audit import AuditEntry
from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority
from webapp.iam import create_iam_app
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.sts import create_sts_app

USER_ROLE = "arn:aws:iam::000000000000:role/WebUser"


def full_disk(entry: AuditEntry) -> None:
    raise OSError(28, "No space left on device")


def _sts(tmp_path: Path, clock: ManualClock) -> Client:
    settings = Settings(data_dir=tmp_path, port=8000)
    app = create_sts_app(settings, IamRegistry.open(settings, clock), CredentialAuthority.open(tmp_path, clock),
                         lambda issuer: IDP_KEY.jwks() if issuer == ISSUER else {"keys": []}, clock,
                         audit=full_disk)
    return Client(app)


def _assume(client: Client, clock: ManualClock, **claims: Any) -> tuple[int, bytes]:
    now = int(clock())
    token = mint({"iss": ISSUER, "aud": "webapp", "sub": "alice-sub", "iat": now, "exp": now + 600, **claims},
                 IDP_KEY)
    body = urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": USER_ROLE,
                      "RoleSessionName": "s1", "WebIdentityToken": token})
    response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    return response.status_code, response.get_data()


def _iam(tmp_path: Path, clock: ManualClock) -> tuple[Client, CredentialAuthority]:
    settings = Settings(data_dir=tmp_path)
    credentials = CredentialAuthority.open(tmp_path, clock)
    app = create_iam_app(settings, IamRegistry.open(settings, clock), credentials, clock, audit=full_disk)
    return Client(app), credentials


def _iam_call(client: Client, credentials: CredentialAuthority, role: str) -> tuple[int, bytes]:
    key = credentials.ensure_service_key(f"arn:aws:iam::000000000000:role/{role}", role.lower())
    body = "Action=ListRoles&Version=2010-05-08"
    request = AWSRequest(method="POST", url="http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "iam", "us-east-1").add_auth(request)
    response = client.post("/", data=body, headers=dict(request.headers.items()))
    return response.status_code, response.get_data()


#: (endpoint, the call, expected status, a word the answer must hold)
CASES: list[tuple[str, Callable[[Path, ManualClock], tuple[int, bytes]], int, bytes]] = [
    ("STS allows", lambda p, c: _assume(_sts(p, c), c), 200, b"<AccessKeyId>"),
    ("STS refuses an expired token", lambda p, c: _assume(_sts(p, c), c, exp=int(c()) - 3600), 400,
     b"<Code>ExpiredTokenException</Code>"),
    ("STS refuses a role it does not trust", lambda p, c: _assume(_sts(p, c), c, aud="someone-else"), 400,
     b"<Code>InvalidIdentityToken</Code>"),
    ("IAM allows the admin", lambda p, c: _iam_call(*_iam(p, c), "Admin"), 200, b"<ListRolesResult>"),
    ("IAM denies the host role", lambda p, c: _iam_call(*_iam(p, c), "WebHost"), 403, b"<Code>AccessDenied</Code>"),
]


@pytest.mark.parametrize("name, call, status, word", CASES, ids=[c[0] for c in CASES])
def test_a_failed_audit_write_leaves_the_answer_as_decided(name: str, call: Callable[[Path, ManualClock], tuple[int, bytes]],
                                                          status: int, word: bytes, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    got, body = call(tmp_path, ManualClock(time.time()))
    assert (got, word in body) == (status, True), body[:300]
    assert "could not write the audit log" in caplog.text  # logged, with the request id, not lost silently
