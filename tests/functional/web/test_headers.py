"""Response headers on every kind of response (reconstructed W-10/W-11: security-anchors §3.3,
OWASP ASVS 5.0 3.4.3-3.4.8 and 14.3.2): the page, its assets, JSON, errors (404, 405, 401, 400),
the dev IdP's pages and JSON, and the redirects in between.

Every response carries the one strict CSP (no ``'unsafe-inline'``/``'unsafe-eval'``; ``object-src
'none'``, ``base-uri 'none'``, ``frame-ancestors 'none'``), ``nosniff``, ``Referrer-Policy:
no-referrer`` (the callback URL carries ``code``/``state``) and COOP ``same-origin``; anything that
carries a token, a session or a sign-in step is ``no-store``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.conftest import RunningStack
from tests.functional.web.conftest import Browser, StackIdp, pkce_pair

Fetch = Callable[[RunningStack, StackIdp], requests.Response]


def _get(path: str, **kwargs: object) -> Fetch:
    return lambda stack, idp: requests.get(stack.host_url + path, allow_redirects=False, timeout=10, **kwargs)  # type: ignore[arg-type]


def _signed_in_token(stack: RunningStack, idp: StackIdp) -> requests.Response:
    browser = Browser(stack.host_url)
    browser.sign_in("alice")
    return browser.token()


def _sign_in_page(stack: RunningStack, idp: StackIdp) -> requests.Response:
    return requests.get(idp.authorize_url(pkce_pair()[1]), timeout=10)


def _idp_error_page(stack: RunningStack, idp: StackIdp) -> requests.Response:
    return requests.get(idp.authorize_url(pkce_pair()[1], redirect_uri="http://evil.localhost/cb"), timeout=10)


def _token_error(stack: RunningStack, idp: StackIdp) -> requests.Response:
    return idp.token({"grant_type": "authorization_code", "code": "nope", "code_verifier": "x" * 43,
                      "redirect_uri": idp.redirect_uri})


def _token_success(stack: RunningStack, idp: StackIdp) -> requests.Response:
    code, verifier = idp.code()
    return idp.exchange(code, verifier)


def _callback_error(stack: RunningStack, idp: StackIdp) -> requests.Response:
    return requests.get(stack.host_url + "/auth/callback?code=x&state=y", timeout=10)


#: (name, how to fetch it, expected status, must be no-store)
RESPONSES: list[tuple[str, Fetch, int, bool]] = [
    ("page", _get("/"), 200, True),  # W-21: a kept signed-in page must not come back
    ("script", _get("/dist/app.js"), 200, False),
    ("stylesheet", _get("/styles.css"), 200, False),
    ("config-json", _get("/config.json"), 200, False),
    ("health-json", _get("/healthz"), 200, True),
    ("not-found", _get("/nope"), 404, False),
    ("not-found-in-dist", _get("/dist/nope.js"), 404, False),
    ("method-not-allowed", lambda s, i: requests.delete(s.host_url + "/", timeout=10), 405, False),
    ("token-signed-out", _get("/auth/token"), 401, True),
    ("token-signed-in", _signed_in_token, 200, True),
    ("login-redirect", _get("/auth/login"), 302, True),
    ("callback-error", _callback_error, 400, True),
    ("logout-without-session", lambda s, i: requests.post(s.host_url + "/auth/logout", timeout=10), 204, True),
    ("idp-sign-in-page", _sign_in_page, 200, True),
    ("idp-error-page", _idp_error_page, 400, True),
    ("idp-discovery", _get("/idp/.well-known/openid-configuration"), 200, False),
    ("idp-jwks", _get("/idp/jwks.json"), 200, False),
    ("idp-token-error", _token_error, 400, True),
    ("idp-token-success", _token_success, 200, True),
    ("idp-userinfo-no-token", _get("/idp/userinfo"), 401, False),
    ("idp-not-found", _get("/idp/nope"), 404, False),
]


@pytest.fixture(scope="module", params=RESPONSES, ids=[r[0] for r in RESPONSES])
def answered(request: pytest.FixtureRequest, stack: RunningStack, idp: StackIdp) -> tuple[requests.Response, int, bool]:
    _, fetch, status, no_store = request.param
    return fetch(stack, idp), status, no_store


def directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            assert words[0] not in parsed, f"directive {words[0]} twice"
            parsed[words[0]] = words[1:]
    return parsed


def test_status(answered: tuple[requests.Response, int, bool]) -> None:
    response, status, _ = answered
    assert response.status_code == status, response.text[:300]


def test_the_strict_csp(answered: tuple[requests.Response, int, bool], stack: RunningStack) -> None:
    response, _, _ = answered
    # One policy only (requests joins repeated headers with ", "; a CSP itself has no comma).
    assert "," not in response.headers["Content-Security-Policy"]
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    for name, sources in csp.items():
        for banned in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:" if name != "img-src" else ""):
            assert banned == "" or banned not in sources, (name, sources)
    assert set(csp["connect-src"]) == {"'self'", stack.sts_url, stack.dynamodb_url}
    assert set(csp["form-action"]) == {"'self'", stack.host_url}


def test_the_other_security_headers(answered: tuple[requests.Response, int, bool]) -> None:
    response, _, _ = answered
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http: HSTS would be ignored
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_store_where_a_token_or_a_sign_in_travels(answered: tuple[requests.Response, int, bool]) -> None:
    response, _, no_store = answered
    cache = response.headers.get("Cache-Control", "")
    if no_store:
        assert "no-store" in cache
    else:
        assert "public" not in cache  # never shared caches


def test_errors_are_json_or_the_idps_page_never_a_traceback(answered: tuple[requests.Response, int, bool]) -> None:
    response, status, _ = answered
    if status >= 400:
        assert "Traceback" not in response.text and 'File "' not in response.text
        kind = response.headers["Content-Type"]
        assert kind.startswith(("application/json", "text/html"))


def test_a_forwarded_proto_header_does_not_fake_https(stack: RunningStack) -> None:
    """``X-Forwarded-Proto`` from a client is not trusted (no proxy fix configured), so it cannot
    turn on HSTS or ``Secure`` cookies over plain http."""
    response = requests.get(stack.host_url + "/", timeout=10, headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers  # a client header cannot fake TLS
