"""Helpers for the web-layer attack cases (attack-cases.json ``web``), against the running stack.

The cases were written for a page that runs its own OAuth client. Here the host is a
token-mediating backend (draft-ietf-oauth-browser-based-apps §6.2): it runs the code flow with
PKCE, ``state`` and ``nonce`` and keeps the refresh token; the page only gets a short-lived ID
token from ``GET /auth/token``. So each case is aimed at where its check now lives: the host's
``/auth/callback``, the dev IdP under ``/idp``, or the page.

``Browser`` is a cookie jar with named verbs that follows the real sign-in (host -> IdP sign-in
form -> callback) one hop at a time, so a test can stop at the callback URL and tamper with it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests

from tests.conftest import RunningStack
from tests.functional.host.browser import sign_in_form
from webapp.idp import IdentityProvider
from webapp.settings import Settings

TIMEOUT = 10


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def raw_get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as written (no client-side dot-segment removal or re-encoding)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=TIMEOUT)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@dataclass
class Callback:
    """Where the IdP sent the browser back: the host's callback URL with ``code`` and ``state``."""

    url: str

    @property
    def code(self) -> str:
        return query_of(self.url)["code"]

    @property
    def state(self) -> str:
        return query_of(self.url)["state"]

    def with_query(self, **params: str | None) -> str:
        query = {**query_of(self.url), **params}
        base = self.url.split("?", 1)[0]
        return base + "?" + urlencode({k: v for k, v in query.items() if v is not None})


@dataclass
class Browser:
    """One browser profile (cookie jar) talking to the stack's host."""

    host: str
    jar: requests.Session = field(default_factory=requests.Session)

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.host + path_or_url
        kwargs.setdefault("allow_redirects", False)
        return self.jar.get(url, timeout=TIMEOUT, **kwargs)

    def authorize_url(self, next_path: str | None = None) -> str:
        """``/auth/login``: the host's redirect to the IdP (its state/nonce/verifier now in our cookie)."""
        response = self.get("/auth/login" + (f"?{urlencode({'next': next_path})}" if next_path else ""))
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def consent(self, authorize_url: str, user: str) -> Callback:
        """Open the IdP's sign-in page and press ``user``; stop at the redirect back to the host."""
        page = self.get(authorize_url)
        assert page.status_code == 200, page.text
        action, fields = sign_in_form(page.text)
        origin = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
        posted = self.jar.post(urljoin(authorize_url, action), data={**fields, "user": user},
                               headers={"Origin": origin}, allow_redirects=False, timeout=TIMEOUT)
        assert posted.status_code == 302, posted.text
        return Callback(posted.headers["Location"])

    def start(self, user: str, next_path: str | None = None) -> Callback:
        """Sign in at the IdP as ``user`` but do not yet deliver the callback to the host."""
        return self.consent(self.authorize_url(next_path), user)

    def sign_in(self, user: str, next_path: str | None = None) -> requests.Response:
        landed = self.get(self.start(user, next_path).url)
        assert landed.status_code == 303, landed.text
        return landed

    def token(self) -> requests.Response:
        return self.get("/auth/token")

    def signed_in_as(self) -> str | None:
        response = self.token()
        return str(response.json()["sub"]) if response.status_code == 200 else None

    @property
    def cookie(self) -> str | None:
        return self.jar.cookies.get("webapp_session")

    def pending_verifier(self, state: str) -> str:
        """The PKCE verifier of a pending sign-in, read from the session cookie: Flask signs its
        cookie (itsdangerous: payload, timestamp, signature; a leading "." means zlib) but does
        not encrypt it."""
        payload = (self.cookie or "").split(".")
        compressed = payload[0] == ""
        raw = base64.urlsafe_b64decode(payload[1 if compressed else 0] + "==")
        data = json.loads(zlib.decompress(raw) if compressed else raw)
        return str(data[f"_state_idp_{state}"]["data"]["code_verifier"])

    def logout(self, csrf: str | None) -> requests.Response:
        headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
        return self.jar.post(self.host + "/auth/logout", headers=headers, timeout=TIMEOUT)


@dataclass
class StackIdp:
    """The stack's IdP as its registered client (the host) would call it, secret included."""

    stack: RunningStack
    client_id: str
    client_secret: str
    redirect_uri: str

    @property
    def base(self) -> str:
        return self.stack.host_url + "/idp"

    def authorize_params(self, challenge: str | None, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "scope": "openid profile email", "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16), "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize_url(self, challenge: str | None, **overrides: str | None) -> str:
        return f"{self.base}/authorize?{urlencode(self.authorize_params(challenge, **overrides))}"

    def code(self, user: str = "alice") -> tuple[str, str]:
        """A fresh authorization code for ``user`` and its PKCE verifier."""
        verifier, challenge = pkce_pair()
        back = Browser(self.stack.host_url).consent(self.authorize_url(challenge), user)
        return back.code, verifier

    def token(self, data: dict[str, str]) -> requests.Response:
        return requests.post(f"{self.base}/token", data=data, auth=(self.client_id, self.client_secret),
                             timeout=TIMEOUT)

    def exchange(self, code: str, verifier: str | None) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier is not None:
            data["code_verifier"] = verifier
        return self.token(data)


@pytest.fixture(scope="module")
def idp(stack: RunningStack) -> StackIdp:
    settings = Settings(data_dir=stack.data_dir, port=stack.port)
    provider = IdentityProvider.open(settings)
    return StackIdp(stack, settings.client_id, provider.client_secret(settings.client_id),
                    f"{stack.host_url}/auth/callback")


@pytest.fixture
def browser(stack: RunningStack) -> Browser:
    return Browser(stack.host_url)
