"""A host app in-process: its Sessions table in DynamoDB (moto, as storage only), its page files
in a temporary static directory, and a clock the tests move."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto import mock_aws

from webapp.clock import ManualClock
from webapp.host import create_app
from webapp.host.cookie import SID
from webapp.host.sessions import SessionStore
from webapp.settings import Settings
from webapp.tables import TABLES_BY_LOGICAL

BUNDLE = "export const app = () => document.body.append('hello');\n" * 200
PAGE_FILES = {
    "index.html": "<!doctype html><html><head><script type=module src=/dist/app.js></script></head>"
                  "<body><main data-testid=app></main></body></html>\n" * 8,
    "styles.css": "body { font-family: sans-serif; }\n" * 40,
    "dist/app.js": BUNDLE,
    "dist/app.js.map": json.dumps({"version": 3, "sources": ["../src/main.js"]}),
    "assets/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "src/main.js": "// source, not served\n",
    "src/aws.js": "// source, not served\n",
    "node_modules/esbuild/package.json": "{}",
    "package.json": "{}",
    "package-lock.json": "{}",
    "build.mjs": "// build script, not served\n",
    "dist/node_modules/leak.js": "// never served\n",
    "assets/.env": "SECRET=1\n",
}


@dataclass
class Host:
    app: Flask
    client: FlaskClient
    clock: ManualClock
    store: SessionStore
    dynamodb: Any
    settings: Settings
    static: Path
    key: RSAKey

    def id_token(self, sub: str = "sub-alice", lifetime: int = 600, **claims: Any) -> str:
        now = int(self.clock())
        body = {"iss": self.settings.issuer, "sub": sub, "aud": self.settings.client_id,
                "iat": now, "exp": now + lifetime, "name": "Alice", **claims}
        return jwt.encode({"alg": "RS256", "kid": "k1"}, body, self.key)

    def sign_in(self, sub: str = "sub-alice", lifetime: int = 600, refresh_token: str | None = None,
                base_url: str = "http://localhost") -> str:
        """A session as ``/auth/callback`` leaves it, and the browser holding its cookie."""
        token = self.id_token(sub, lifetime)
        cookie_value, _ = self.store.create(sub=sub, issuer=self.settings.issuer, id_token=token,
                                            id_token_exp=int(self.clock()) + lifetime,
                                            refresh_token=refresh_token)
        with self.client.session_transaction(base_url=base_url) as session:
            session[SID] = cookie_value
            session.permanent = True
        return cookie_value

    def items(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName="Sessions")["Items"]


_KEYS: list[RSAKey] = []


def _signing_key() -> RSAKey:
    if not _KEYS:
        _KEYS.append(RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    return _KEYS[0]


def make_host(tmp_path: Path, **settings: Any) -> Iterator[Host]:
    static = tmp_path / "static"
    for name, text in PAGE_FILES.items():
        (static / name).parent.mkdir(parents=True, exist_ok=True)
        (static / name).write_text(text)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(**TABLES_BY_LOGICAL["sessions"].create_params("Sessions"))
        clock = ManualClock()
        s = Settings(data_dir=tmp_path / "data", port=18000, static_dir=static, **settings)
        app = create_app(s, credentials=("AKIAHOST", "secret"), clock=clock, sessions_client=dynamodb)
        yield Host(app, app.test_client(), clock, app.extensions["webapp.host"]["sessions"], dynamodb,
                   s, static, _signing_key())


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    yield from make_host(tmp_path)
