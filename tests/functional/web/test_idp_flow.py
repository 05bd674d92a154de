"""W-05..W-09 at the dev IdP (``/idp`` on the host's origin): what the authorization server must
enforce for a browser-based app (RFC 9700 §2.1, §4.1, §4.5; RFC 7636; ASVS 5.0 10.4.1-10.4.6).

Against the running stack, as the registered client (the host) would call it. The code lifetime
(W-08) needs the IdP's injected clock moved, which a running stack does not allow, so that case
serves the IdP's own blueprint in this process with a ``ManualClock`` (``idp_at`` below).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import RunningStack, free_port_block
from tests.functional.web.conftest import Browser, StackIdp, pkce_pair, query_of
from webapp.clock import ManualClock
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.idp.grants import CODE_LIFETIME
from webapp.settings import Settings


def assert_invalid_grant(response: requests.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert "id_token" not in body and "access_token" not in body and "refresh_token" not in body
    assert response.headers["Cache-Control"] == "no-store"


def assert_refused_without_code(response: requests.Response, error: str) -> None:
    """Refused at /authorize: either the IdP's own error page (never a redirect), or, when the
    redirect URI is the registered one, the error sent back to it (RFC 6749 §4.1.2.1); never a
    code or a token."""
    if response.status_code == 302:
        location = response.headers["Location"]
        assert query_of(location)["error"] == error
        assert "code" not in query_of(location) and "#" not in location
    else:
        assert response.status_code == 400 and "Location" not in response.headers
        assert error in response.text


# W-05: PKCE -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("verifier", "error"), [
    # RFC 7636 §4.6: a verifier that does not match is invalid_grant.
    pytest.param("wrong" + "x" * 43, "invalid_grant", id="wrong-code_verifier"),
    # RFC 6749 §5.2: a missing required parameter is invalid_request (the case text says
    # invalid_grant; both refuse with 400 and issue nothing, and the IdP's own tests pin this).
    pytest.param(None, "invalid_request", id="no-code_verifier"),
    pytest.param("", "invalid_request", id="empty-code_verifier"),
    pytest.param("x" * 42, "invalid_request", id="too-short-code_verifier"),
])
def test_w05_the_token_endpoint_wants_the_flows_own_verifier(idp: StackIdp, verifier: str | None,
                                                             error: str) -> None:
    code, right = idp.code()
    refused = idp.exchange(code, verifier)
    assert refused.status_code == 400 and refused.json()["error"] == error
    assert "id_token" not in refused.json() and "access_token" not in refused.json()
    # The refused attempt spent the code: even the right verifier gets nothing now.
    assert_invalid_grant(idp.exchange(code, right))


@pytest.mark.parametrize("overrides", [
    pytest.param({"code_challenge_method": "plain"}, id="plain"),
    pytest.param({"code_challenge_method": None}, id="method-absent-means-plain"),
    pytest.param({"code_challenge": None}, id="no-code_challenge"),
    pytest.param({"code_challenge": None, "code_challenge_method": None}, id="no-pkce-at-all"),
    pytest.param({"code_challenge_method": "s256"}, id="lowercase-s256"),
])
def test_w05_authorization_without_s256_pkce_is_refused(idp: StackIdp, overrides: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    response = requests.get(idp.authorize_url(challenge, **overrides), allow_redirects=False, timeout=10)
    assert_refused_without_code(response, "invalid_request")


# W-06: single-use codes ------------------------------------------------------------------------


def test_w06_a_second_exchange_is_refused_and_revokes_the_first_tokens(idp: StackIdp) -> None:
    code, verifier = idp.code()
    first = idp.exchange(code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    userinfo = f"{idp.base}/userinfo"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(userinfo, headers=bearer, timeout=10).status_code == 200

    assert_invalid_grant(idp.exchange(code, verifier))

    assert requests.get(userinfo, headers=bearer, timeout=10).status_code == 401
    assert_invalid_grant(idp.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))


# W-07: exact redirect URI ----------------------------------------------------------------------


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda u: u + "/", id="trailing-slash"),
    pytest.param(lambda u: u + "?x=1", id="extra-query"),
    pytest.param(lambda u: u + "/../evil", id="dot-segments"),
    pytest.param(lambda u: u + "#frag", id="fragment"),
    pytest.param(lambda u: u.replace("http://localhost", "http://evil.localhost"), id="subdomain"),
    pytest.param(lambda u: u.replace("http://localhost", "http://127.0.0.2"), id="other-loopback-address"),
    pytest.param(lambda u: u.replace("http://", "https://"), id="other-scheme"),
    pytest.param(lambda u: u.replace("/auth/callback", "/auth/CALLBACK"), id="case"),
    pytest.param(lambda u: u.replace("/auth/callback", "/auth/%63allback"), id="percent-encoded"),
    pytest.param(lambda u: u.replace("http://localhost:", "http://localhost@evil.localhost:"), id="userinfo"),
    pytest.param(lambda u: "http://evil.localhost:8081/callback", id="foreign"),
    pytest.param(lambda u: "", id="empty"),
])
def test_w07_a_tampered_redirect_uri_gets_an_error_page_and_no_redirect(
        idp: StackIdp, tamper: Any) -> None:
    _, challenge = pkce_pair()
    uri = tamper(idp.redirect_uri)
    response = requests.get(idp.authorize_url(challenge, redirect_uri=uri), allow_redirects=False, timeout=10)
    assert response.status_code == 400, response.headers.get("Location")
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'data-testid="authorize-error"' in response.text
    assert 'data-testid="signin-form"' not in response.text


def test_w07_another_port_of_the_same_host_is_refused(idp: StackIdp, stack: RunningStack) -> None:
    _, challenge = pkce_pair()
    other = f"http://localhost:{stack.port + 1}/auth/callback"
    response = requests.get(idp.authorize_url(challenge, redirect_uri=other), allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "Location" not in response.headers


def test_w07_the_token_endpoint_wants_the_same_redirect_uri(idp: StackIdp) -> None:
    code, verifier = idp.code()
    response = idp.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                          "redirect_uri": idp.redirect_uri + "/"})
    assert response.status_code == 400 and response.json()["error"] in ("invalid_grant", "invalid_request")
    assert "id_token" not in response.json()


# RFC 7009 revocation (what the host's sign-out uses) ------------------------------------------


def test_revoking_a_refresh_token_ends_its_grant(idp: StackIdp) -> None:
    code, verifier = idp.code()
    tokens = idp.exchange(code, verifier).json()
    revoke = f"{idp.base}/revoke"
    anonymous = requests.post(revoke, data={"token": tokens["refresh_token"]}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    assert requests.post(revoke, data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
                         auth=(idp.client_id, idp.client_secret), timeout=10).status_code == 200
    assert_invalid_grant(idp.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{idp.base}/userinfo", headers=bearer, timeout=10).status_code == 401


def test_revoking_an_unknown_token_is_200_and_changes_nothing(idp: StackIdp) -> None:
    """RFC 7009 §2.2: an invalid token is answered 200 (the client has nothing else to do)."""
    code, verifier = idp.code()
    tokens = idp.exchange(code, verifier).json()
    answer = requests.post(f"{idp.base}/revoke", data={"token": "no-such-token"},
                           auth=(idp.client_id, idp.client_secret), timeout=10)
    assert answer.status_code == 200
    assert idp.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code == 200


# W-09: no implicit or hybrid flow --------------------------------------------------------------


@pytest.mark.parametrize("response_type", ["token", "id_token token", "id_token", "code id_token",
                                           "code token", "none"])
def test_w09_only_response_type_code_is_served(idp: StackIdp, response_type: str) -> None:
    _, challenge = pkce_pair()
    response = requests.get(idp.authorize_url(challenge, response_type=response_type),
                            allow_redirects=False, timeout=10)
    assert_refused_without_code(response, "unsupported_response_type")
    assert "access_token" not in response.headers.get("Location", "")
    assert "id_token=" not in response.headers.get("Location", "")


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit"])
def test_w09_no_password_or_client_credentials_grants(idp: StackIdp, grant_type: str) -> None:
    response = idp.token({"grant_type": grant_type, "username": "alice", "password": "x", "scope": "openid"})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_w09_discovery_advertises_only_the_code_flow(idp: StackIdp) -> None:
    metadata = requests.get(f"{idp.base}/.well-known/openid-configuration", timeout=10).json()
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "refresh_token"}


# W-08: code lifetime, on the IdP's injected clock ----------------------------------------------


class ClockedIdp:
    def __init__(self, data_dir: Path) -> None:
        self.clock = ManualClock()
        port = free_port_block(1)
        self.settings = Settings(data_dir=data_dir, port=port)
        provider = IdentityProvider.open(self.settings, self.clock)
        app = Flask(__name__)
        app.register_blueprint(create_idp_blueprint(provider))
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.http = StackIdp.__new__(StackIdp)
        self.http.client_id = self.settings.client_id
        self.http.client_secret = provider.client_secret(self.settings.client_id)
        self.http.redirect_uri = f"{self.settings.host_url}/auth/callback"
        self.base = f"http://localhost:{port}"

    def code(self) -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        url = f"{self.base}/idp/authorize?" + "&".join(
            f"{k}={requests.utils.quote(v, safe='')}" for k, v in self.http.authorize_params(challenge).items())
        return Browser(self.base).consent(url, "alice").code, verifier

    def exchange(self, code: str, verifier: str) -> requests.Response:
        return requests.post(f"{self.base}/idp/token", timeout=10, auth=(self.http.client_id, self.http.client_secret),
                             data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                   "redirect_uri": self.http.redirect_uri})


@pytest.fixture(scope="module")
def idp_at(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedIdp]:
    served = ClockedIdp(tmp_path_factory.mktemp("clocked-idp") / "data")
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_w08_the_code_lifetime_is_at_most_ten_minutes() -> None:
    assert CODE_LIFETIME <= 600


@pytest.mark.parametrize(("wait", "accepted"), [
    pytest.param(11 * 60, False, id="11-min-refused"),
    pytest.param(CODE_LIFETIME, False, id="at-lifetime-refused"),
    pytest.param(CODE_LIFETIME - 1, True, id="just-before-accepted"),
    pytest.param(9 * 60, True, id="9-min-accepted"),
])
def test_w08_a_code_exchanged_after_its_lifetime_is_invalid_grant(idp_at: ClockedIdp, wait: int,
                                                                  accepted: bool) -> None:
    code, verifier = idp_at.code()
    idp_at.clock.advance(wait)
    response = idp_at.exchange(code, verifier)
    if accepted:
        assert response.status_code == 200 and "id_token" in response.json()
    else:
        assert_invalid_grant(response)


@pytest.mark.parametrize("param", ["redirect_uri", "client_id", "scope", "state", "response_type"])
def test_the_idp_pages_escape_what_they_echo(idp: StackIdp, param: str) -> None:
    """Reflected input on the IdP's own pages (error and sign-in pages) is HTML-escaped."""
    hostile = '"><script>window.__pwned=1</script><img src=x onerror=alert(1)>'
    _, challenge = pkce_pair()
    response = requests.get(idp.authorize_url(challenge, **{param: hostile}), allow_redirects=False, timeout=10)
    if response.status_code == 302:  # refused back to the registered client: the value is URL-encoded
        assert "<" not in response.headers["Location"] and '"' not in response.headers["Location"]
    else:
        assert "<script>window.__pwned" not in response.text and "<img src=x" not in response.text
