"""W-17: the provider's discovery document advertises another issuer (OIDF
``oidcc-client-test-discovery-issuer-mismatch``; OIDC Discovery 1.0 §4.3; ASVS 5.0 10.5.3).

The page no longer reads discovery; the host does, so the host must refuse to start any sign-in:
``/auth/login`` answers 502 ``idp_misconfigured`` with no redirect, and no authorization request
reaches the provider. A private stack is started with ``WEBAPP_OIDC_METADATA_URL`` pointing at a
document server that relays the stack's real discovery document with ``issuer`` rewritten.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, jsonify
from werkzeug.serving import make_server

from tests.conftest import RunningStack, free_port_block
from tests.functional.web.conftest import Browser


class LyingDiscovery:
    """Serves the stack IdP's own metadata with a different ``issuer``; remembers every request."""

    def __init__(self, stack_port: int, issuer: str) -> None:
        self.requests: list[str] = []
        self.port = free_port_block(1)
        app = Flask(__name__)

        @app.get("/.well-known/openid-configuration")
        def metadata() -> Any:
            self.requests.append("discovery")
            real = requests.get(f"http://localhost:{stack_port}/idp/.well-known/openid-configuration",
                                timeout=10).json()
            return jsonify({**real, "issuer": issuer})

        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def lying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningStack, LyingDiscovery]]:
    port = free_port_block()
    discovery = LyingDiscovery(port, "http://localhost:9999")
    base: Path = tmp_path_factory.mktemp("lying-discovery")
    running = RunningStack(base / "data", port, extra_env={"WEBAPP_OIDC_METADATA_URL": discovery.url})
    running.start()
    yield running, discovery
    running.stop()
    discovery.server.shutdown()


def authorize_requests(stack: RunningStack) -> int:
    return sum(1 for line in stack.log().splitlines() if "/idp/authorize" in line)


def test_w17_sign_in_is_refused_before_any_authorization_request(
        lying: tuple[RunningStack, LyingDiscovery]) -> None:
    stack, discovery = lying
    browser = Browser(stack.host_url)
    response = browser.get("/auth/login")
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "idp_misconfigured"
    assert "http://localhost:9999" in body["message"]
    assert "Location" not in response.headers
    assert discovery.requests, "the host did read the (lying) discovery document"
    assert authorize_requests(stack) == 0
    assert browser.token().status_code == 401
    assert "_state_idp_" not in str(browser.jar.cookies.get_dict())


def test_w17_a_callback_cannot_bypass_the_check(lying: tuple[RunningStack, LyingDiscovery]) -> None:
    stack, _ = lying
    answer = Browser(stack.host_url).get("/auth/callback?code=x&state=y")
    assert answer.status_code == 502 and answer.json()["error"] == "idp_misconfigured"


def test_w17_the_page_still_loads_signed_out(lying: tuple[RunningStack, LyingDiscovery]) -> None:
    stack, _ = lying
    assert requests.get(stack.host_url + "/", timeout=10).status_code == 200
