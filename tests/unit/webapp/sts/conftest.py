"""An in-process STS on a real socket: the WSGI app served by werkzeug in a thread, a registry
in a temporary data directory, and an identity provider whose key the tests hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from werkzeug.serving import make_server

from tests.unit.webapp.sts.forge import SigningKey, mint
from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.sts import create_sts_app

ISSUER = "https://idp.localhost/dev"
#: One key for the whole run: RSA key generation is the slow part of a fixture.
IDP_KEY = SigningKey.rsa("k1")


@dataclass
class LocalSts:
    url: str
    settings: Settings
    registry: IamRegistry
    credentials: CredentialAuthority
    key: SigningKey
    clock: ManualClock
    #: The audit entries STS wrote, as the log stores them (``AuditEntry.to_dict``).
    audit: list[dict[str, Any]] = field(default_factory=list)

    def token(self, **claims: Any) -> str:
        now = int(self.clock())
        body: dict[str, Any] = {"iss": ISSUER, "aud": "webapp", "sub": "alice-sub", "iat": now, "exp": now + 600}
        body.update(claims)
        return mint({k: v for k, v in body.items() if v is not None}, self.key)

    def client(self) -> Any:
        return boto3.client("sts", region_name="us-east-1", endpoint_url=self.url,
                            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


@pytest.fixture
def sts(tmp_path: Path) -> Iterator[LocalSts]:
    settings = Settings(data_dir=tmp_path, port=8000)
    clock = ManualClock(time.time())
    registry = IamRegistry.open(settings, clock)
    credentials = CredentialAuthority.open(tmp_path, clock)
    key = IDP_KEY
    audit: list[dict[str, Any]] = []
    app = create_sts_app(settings, registry, credentials,
                         lambda issuer: key.jwks() if issuer == ISSUER else {"keys": []}, clock,
                         audit=lambda entry: audit.append(entry.to_dict()))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LocalSts(f"http://127.0.0.1:{server.port}", settings, registry, credentials, key, clock, audit)
    finally:
        server.shutdown()
        server.server_close()
