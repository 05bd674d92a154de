"""Lifetimes and restarts, with the clock in the test's hand (Flask's test client, in-process):
codes last at most 10 minutes (RFC 6749 §4.1.2, ASVS 5.0 10.4.3), refresh tokens survive a
restart of the provider, access tokens expire."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from webapp.clock import ManualClock
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.settings import Settings

REDIRECT = "http://localhost:8000/auth/callback"


class Host:
    """An app holding only the provider's blueprint, as the host mounts it."""

    def __init__(self, data_dir: Path, clock: ManualClock) -> None:
        self.provider = IdentityProvider.open(Settings(data_dir=data_dir), clock)
        app = Flask(__name__)
        app.register_blueprint(create_idp_blueprint(self.provider))
        self.client: FlaskClient = app.test_client()
        self.secret = self.provider.client_secret("webapp")

    def code(self, user: str) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {"response_type": "code", "client_id": "webapp", "redirect_uri": REDIRECT, "scope": "openid",
                 "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}
        page = self.client.get("/idp/authorize", query_string=query)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)  # type: ignore[union-attr]
        response = self.client.post("/idp/authorize", query_string=query, data={"csrf_token": token, "user": user})
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0], verifier

    def token(self, **data: str) -> dict:
        response = self.client.post("/idp/token", data={**data, "client_id": "webapp", "client_secret": self.secret})
        return dict(response.get_json())

    def exchange(self, code: str, verifier: str) -> dict:
        return self.token(grant_type="authorization_code", code=code, code_verifier=verifier, redirect_uri=REDIRECT)

    def userinfo(self, access_token: str) -> int:
        return self.client.get("/idp/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def host(tmp_path: Path, clock: ManualClock) -> Host:
    return Host(tmp_path / "data", clock)


@pytest.mark.parametrize(("wait", "accepted"), [
    pytest.param(599, True, id="a code redeemed within 10 minutes works"),
    pytest.param(600, False, id="a code is dead after 10 minutes"),
])
def test_codes_live_at_most_ten_minutes(host: Host, clock: ManualClock, wait: int, accepted: bool) -> None:
    code, verifier = host.code("alice")
    clock.advance(wait)
    body = host.exchange(code, verifier)
    assert ("id_token" in body) is accepted
    if not accepted:
        assert body["error"] == "invalid_grant"


def test_id_token_times_follow_the_clock(host: Host, clock: ManualClock) -> None:
    code, verifier = host.code("bob")
    clock.advance(30)
    body = host.exchange(code, verifier)
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(host.provider.jwks()), algorithms=["RS256"]).claims
    assert claims["auth_time"] == 1_800_000_000
    assert claims["iat"] == 1_800_000_030 and claims["exp"] == 1_800_000_630


def test_a_refresh_token_survives_a_restart(tmp_path: Path, clock: ManualClock, host: Host) -> None:
    first = host.exchange(*host.code("carol"))
    restarted = Host(tmp_path / "data", clock)
    refreshed = restarted.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert "id_token" in refreshed, refreshed
    assert restarted.userinfo(refreshed["access_token"]) == 200
    # Access tokens are memory-only: the old one is unknown after the restart.
    assert restarted.userinfo(first["access_token"]) == 401


def test_refresh_tokens_are_stored_hashed(tmp_path: Path, host: Host) -> None:
    tokens = host.exchange(*host.code("alice"))
    stored = (tmp_path / "data" / "idp" / "refresh-tokens.json").read_text()
    assert tokens["refresh_token"] not in stored
    assert hashlib.sha256(tokens["refresh_token"].encode()).hexdigest() in stored


def test_access_tokens_expire(host: Host, clock: ManualClock) -> None:
    tokens = host.exchange(*host.code("alice"))
    assert host.userinfo(tokens["access_token"]) == 200
    clock.advance(tokens["expires_in"])
    assert host.userinfo(tokens["access_token"]) == 401


def test_refresh_tokens_expire_after_thirty_days(host: Host, clock: ManualClock) -> None:
    tokens = host.exchange(*host.code("alice"))
    clock.advance(30 * 24 * 3600)
    assert host.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])["error"] == "invalid_grant"


def refresh(host: Host, token: str) -> dict:
    return host.token(grant_type="refresh_token", refresh_token=token)


@pytest.mark.parametrize(("wait", "grant_survives"), [
    pytest.param(5, True, id="a racing second refresh within 10 s is only refused"),
    pytest.param(10, False, id="a spent refresh token replayed later revokes the whole grant"),
])
def test_refresh_token_reuse(host: Host, clock: ManualClock, wait: int, grant_survives: bool) -> None:
    first = host.exchange(*host.code("alice"))
    second = refresh(host, first["refresh_token"])
    clock.advance(wait)
    assert refresh(host, first["refresh_token"])["error"] == "invalid_grant"
    third = refresh(host, second["refresh_token"])
    assert ("id_token" in third) is grant_survives
    assert (host.userinfo(second["access_token"]) == 200) is grant_survives


def test_spent_refresh_tokens_are_forgotten_after_a_day(tmp_path: Path, host: Host, clock: ManualClock) -> None:
    path = tmp_path / "data" / "idp" / "refresh-tokens.json"
    first = host.exchange(*host.code("alice"))
    second = refresh(host, first["refresh_token"])
    assert path.read_text().count("token_hash") == 2
    clock.advance(24 * 3600)
    refresh(host, second["refresh_token"])
    records = path.read_text()
    assert records.count("token_hash") == 2
    assert hashlib.sha256(first["refresh_token"].encode()).hexdigest() not in records
