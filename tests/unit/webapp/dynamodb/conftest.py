"""An in-process DynamoDB endpoint on a real socket, with a recording backend: unit tests of the
gateway's framing, authentication, CORS and audit without the whole stack."""

from __future__ import annotations

import http.client
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from werkzeug.serving import make_server

from iam_policies.policy import Policy
from iam_policies.schema import TableSchema
from webapp.audit import AuditLog
from webapp.clock import system_clock
from webapp.credentials import CredentialAuthority, SessionCredentials
from webapp.dynamodb import create_dynamodb_app
from webapp.settings import Settings


@dataclass
class RecordingBackend:
    """Answers every call with an empty success and remembers it: a refused request must leave
    ``calls`` empty."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    schemas: dict[str, TableSchema] = field(default_factory=lambda: {
        "Notes": TableSchema("Notes", "owner", "noteId"),
    })

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        return {"Item": {"owner": {"S": "alice-sub"}, "title": {"S": "héllo"}}}

    def table_schema(self, name: str) -> TableSchema | None:
        return self.schemas.get(name)

    def close(self) -> None:
        pass


@dataclass
class Endpoint:
    url: str
    port: int
    backend: RecordingBackend
    authority: CredentialAuthority
    audit_path: Path
    settings: Settings
    log: AuditLog

    def session(self, name: str = "alice") -> SessionCredentials:
        return self.authority.mint_session(
            role_arn=self.settings.user_role_arn, session_name=name, duration_seconds=3600,
            variables={"idp.localhost/dev:sub": f"{name}-sub"},
        )

    def client(self, creds: SessionCredentials, **config: Any) -> Any:
        return boto3.client(
            "dynamodb", region_name="us-east-1", endpoint_url=self.url,
            aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=Config(retries={"max_attempts": 1}, **config),
        )

    def raw(self, method: str, body: bytes = b"", headers: dict[str, str] | None = None,
            header_list: list[tuple[str, str]] | None = None, path: str = "/") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in list((headers or {}).items()) + (header_list or []):
                conn.putheader(name, value)
            if body or method == "POST":
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def audit(self) -> list[dict[str, Any]]:
        self.log.flush()
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines() if line]


class NoPolicies:
    """A registry with no policies at all: every authorization is an implicit deny."""

    def identity_policies(self, role_arn: str) -> tuple[Policy, ...]:
        return ()

    def managed_policy(self, arn: str) -> Policy | None:
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    tmp_path = tmp_path_factory.mktemp("dynamodb")
    settings = Settings(data_dir=tmp_path, port=18000)
    authority = CredentialAuthority(b"u" * 32, system_clock)
    backend = RecordingBackend()
    audit = AuditLog(tmp_path / "audit.jsonl")
    app = create_dynamodb_app(settings, NoPolicies(), authority, backend, audit.record, system_clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield Endpoint(f"http://127.0.0.1:{port}", port, backend, authority, tmp_path / "audit.jsonl", settings, audit)
    server.shutdown()
    server.server_close()
    audit.close()


@pytest.fixture
def endpoint(served: Endpoint) -> Endpoint:
    """The module's endpoint with an empty backend record and audit log."""
    served.backend.calls.clear()
    served.log.flush()
    served.audit_path.write_text("")
    return served


def signed_wsgi_call(app: Any, session: SessionCredentials, operation: str,
                     body: bytes) -> tuple[str, dict[str, Any]]:
    """``operation`` with ``body``, signed by botocore for ``session``, through the WSGI ``app``
    in process (the environ a server would build): the status line and the decoded answer."""
    request = AWSRequest(method="POST", url="http://localhost:18002/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}"})
    SigV4Auth(Credentials(session.access_key_id, session.secret_access_key, session.session_token),
              "dynamodb", "us-east-1").add_auth(request)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-amz-json-1.0", "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "localhost:18002", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
    }
    for name, value in request.headers.items():
        if name.lower() != "content-type":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    out = b"".join(app(environ, lambda line, headers, exc_info=None: status.append(line)))
    return status[0], json.loads(out)
