"""The dev provider served over real HTTP: a Flask app holding only its blueprint, behind
``werkzeug.serving.make_server`` in a thread, and a browser-like client with named verbs.

(Once ``python -m webapp serve`` runs, the same flow is also checked against the ``stack``
fixture in ``test_stack_flow.py``.)
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import free_port_block
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.settings import Settings


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Forms(HTMLParser):
    """The forms of a page: action, hidden fields, and the buttons' name/value pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.inline_scripts = 0
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a or any(name.startswith("on") for name in a):
            self.inline_styles += 1
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "hidden": {},
                               "buttons": []})
        elif tag == "input" and self.forms and a.get("type") == "hidden":
            self.forms[-1]["hidden"][a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value")))
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "style":
            self.inline_styles += 1

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and data.strip():
            self.inline_scripts += 1


def parse_page(html: str) -> _Forms:
    forms = _Forms()
    forms.feed(html)
    return forms


@dataclass
class Flow:
    """One authorization request: what the client sent and remembers."""

    verifier: str
    challenge: str
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))


@dataclass
class IdpHttp:
    """The provider's URLs, the registered client, and a browser session with verbs."""

    base: str
    provider: IdentityProvider
    settings: Settings
    browser: requests.Session = field(default_factory=requests.Session)

    @property
    def client_id(self) -> str:
        return self.settings.client_id

    @property
    def client_secret(self) -> str:
        return self.provider.client_secret(self.client_id)

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.host_url}/auth/callback"

    def new_flow(self) -> Flow:
        return Flow(*pkce_pair())

    def authorize_params(self, flow: Flow, **overrides: Any) -> dict[str, str]:
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": "openid profile email", "state": flow.state, "nonce": flow.nonce,
                  "code_challenge": flow.challenge, "code_challenge_method": "S256"}
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def open_authorize(self, flow: Flow, **overrides: Any) -> requests.Response:
        return self.browser.get(f"{self.base}/idp/authorize", params=self.authorize_params(flow, **overrides),
                                allow_redirects=False, timeout=10)

    def sign_in(self, user: str, flow: Flow, **overrides: Any) -> requests.Response:
        """Open the sign-in page and press the user's button, as a browser would."""
        page = self.open_authorize(flow, **overrides)
        assert page.status_code == 200, page.text
        form = parse_page(page.text).forms[0]
        assert ("user", user) in form["buttons"]
        return self.browser.post(self.base + form["action"], data={**form["hidden"], "user": user},
                                 allow_redirects=False, timeout=10)

    def code_for(self, user: str, flow: Flow) -> str:
        response = self.sign_in(user, flow)
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return query["code"][0]

    def token(self, data: dict[str, str], *, auth: str = "basic") -> requests.Response:
        if auth == "basic":
            return requests.post(f"{self.base}/idp/token", data=data, timeout=10,
                                 auth=(self.client_id, self.client_secret))
        if auth == "post":
            data = {**data, "client_id": self.client_id, "client_secret": self.client_secret}
        return requests.post(f"{self.base}/idp/token", data=data, timeout=10)

    def exchange(self, code: str, verifier: str, *, redirect_uri: str | None = None,
                 auth: str = "basic") -> requests.Response:
        return self.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                           "redirect_uri": redirect_uri or self.redirect_uri}, auth=auth)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def login(self, user: str) -> tuple[Flow, dict[str, Any]]:
        flow = self.new_flow()
        response = self.exchange(self.code_for(user, flow), flow.verifier)
        assert response.status_code == 200, response.text
        return flow, response.json()

    def jwks(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.base}/idp/jwks.json", timeout=10).json())

    def discovery(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.base}/idp/.well-known/openid-configuration", timeout=10).json())


def serve_provider(data_dir: Path) -> tuple[IdpHttp, Any]:
    port = free_port_block(1)
    settings = Settings(data_dir=data_dir, port=port)
    provider = IdentityProvider.open(settings)
    app = Flask(__name__)
    app.register_blueprint(create_idp_blueprint(provider))
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return IdpHttp(f"http://localhost:{port}", provider, settings), server


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpHttp]:
    http, server = serve_provider(tmp_path_factory.mktemp("idp") / "data")
    yield http
    server.shutdown()
    server.server_close()


def location_query(response: requests.Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["Location"]).query)


def query_string(params: dict[str, str]) -> str:
    return urlencode(params)


JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
