"""The sign-in journey over real HTTP against the real dev IdP: code flow with PKCE, state and
nonce; the refresh on near-expiry; the session's end (expiry, logout with CSRF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.functional.host.browser import sign_in, sign_in_form
from webapp.host.sessions import session_key

from .conftest import ServedHost, start_host


def session_item(served: ServedHost, browser: requests.Session) -> dict[str, Any] | None:
    """The Sessions item of a browser's session (found by the hash of its cookie's value)."""
    with served.app.app_context():
        from flask.sessions import SecureCookieSessionInterface

        serializer = SecureCookieSessionInterface().get_signing_serializer(served.app)
        assert serializer is not None
        sid = serializer.loads(browser.cookies["webapp_session"])["sid"]
    return served.sessions.get_item(TableName=served.sessions_table,
                                    Key={"SessionId": {"S": session_key(sid)}}).get("Item")


def stored(served: ServedHost, item: dict[str, Any]) -> dict[str, Any] | None:
    """The Sessions item ``item`` as it is now (``None`` once deleted)."""
    found: dict[str, Any] | None = served.sessions.get_item(
        TableName=served.sessions_table, Key={"SessionId": item["SessionId"]}).get("Item")
    return found


def update_session(served: ServedHost, item: dict[str, Any], expression: str, values: dict[str, Any],
                   names: dict[str, str] | None = None) -> None:
    """Change the Sessions item ``item`` behind the host's back (an expiry, a token)."""
    served.sessions.update_item(TableName=served.sessions_table, Key={"SessionId": item["SessionId"]},
                                UpdateExpression=expression, ExpressionAttributeValues=values,
                                **({"ExpressionAttributeNames": names} if names else {}))


def test_the_code_flow_with_pkce_state_and_nonce_signs_alice_in(served: ServedHost) -> None:
    journey = sign_in(served.url, "alice", next_path="/games")
    login = journey.hops[0]
    assert login.status_code == 302 and urlsplit(login.url).path == "/auth/login"
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["webapp"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 22 and len(query["nonce"][0]) >= 22  # >= 128 bits
    assert query["redirect_uri"] == [f"{served.url}/auth/callback"]
    assert login.headers["Cache-Control"] == "no-store"
    # back through the callback to the page asked for
    callback = next(r for r in journey.hops if urlsplit(r.url).path == "/auth/callback")
    assert callback.status_code == 303 and callback.headers["Location"] == "/games"
    assert "HttpOnly" in callback.headers["Set-Cookie"] and "SameSite=Lax" in callback.headers["Set-Cookie"]
    assert urlsplit(journey.landed.url).path == "/games"

    token = journey.token(served.url)
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    body = token.json()
    jwks = KeySet.import_key_set(requests.get(f"{served.url}/idp/jwks.json", timeout=5).json())
    claims = jwt.decode(body["idToken"], jwks).claims
    assert claims["sub"] == body["sub"] and claims["iss"] == body["issuer"] == "https://idp.localhost/dev"
    assert claims["aud"] == "webapp" and claims["nonce"] == query["nonce"][0]
    assert body["name"] == "Alice" and body["expiresAt"] == claims["exp"]
    item = session_item(served, journey.session)
    assert item is not None and item["Sub"]["S"] == claims["sub"] and item["RefreshToken"]["S"]
    assert item["RefreshToken"]["S"] not in token.text


def test_a_callback_with_a_forged_state_signs_nobody_in(served: ServedHost) -> None:
    browser = requests.Session()
    browser.get(f"{served.url}/auth/login", allow_redirects=False, timeout=10)
    response = browser.get(f"{served.url}/auth/callback?code=abc&state=forged", timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "login_failed"
    assert "state" in response.json()["message"].lower()
    assert browser.get(f"{served.url}/auth/token", timeout=10).status_code == 401


def test_a_replayed_callback_url_does_not_make_a_second_session(served: ServedHost) -> None:
    journey = sign_in(served.url, "bob")
    callback = next(r for r in journey.hops if urlsplit(r.url).path == "/auth/callback")
    other = requests.Session()  # an attacker who saw the callback URL, without the flow's cookie
    replay = other.get(callback.url, allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "webapp_session" not in replay.headers.get("Set-Cookie", "")
    assert other.get(f"{served.url}/auth/token", timeout=10).status_code == 401


def test_next_cannot_leave_the_origin(served: ServedHost) -> None:
    journey = sign_in(served.url, "carol", next_path="//evil.example/steal")
    callback = next(r for r in journey.hops if urlsplit(r.url).path == "/auth/callback")
    assert callback.headers["Location"] == "/"


def test_a_token_near_expiry_is_refreshed_with_the_refresh_token(served: ServedHost) -> None:
    journey = sign_in(served.url, "alice")
    first = journey.token(served.url).json()
    item = session_item(served, journey.session)
    assert item is not None
    old_refresh = item["RefreshToken"]["S"]
    # 30 s left on the ID token (less than the 60 s margin): the next /auth/token refreshes it.
    update_session(served, item, "SET IdTokenExp = :soon", {":soon": {"N": str(int(first["expiresAt"]) - 570)}})
    second = journey.token(served.url).json()
    assert second["idToken"] != first["idToken"]
    assert second["sub"] == first["sub"] and second["csrfToken"] == first["csrfToken"]
    after = session_item(served, journey.session)
    assert after is not None and after["IdToken"]["S"] == second["idToken"]
    assert after["RefreshToken"]["S"] != old_refresh  # the IdP rotates refresh tokens
    assert int(after["IdTokenExp"]["N"]) == second["expiresAt"]
    # and the new token is not refreshed again
    assert journey.token(served.url).json()["idToken"] == second["idToken"]


def test_a_refused_refresh_ends_the_session(served: ServedHost) -> None:
    journey = sign_in(served.url, "bob")
    item = session_item(served, journey.session)
    assert item is not None
    update_session(served, item, "SET IdTokenExp = :past, RefreshToken = :bad",
                   {":past": {"N": "0"}, ":bad": {"S": "revoked"}})
    response = journey.token(served.url)
    assert response.status_code == 401 and response.json()["error"] == "login_required"
    assert "webapp_session" not in journey.session.cookies  # the cookie is cleared
    assert stored(served, item) is None


def test_an_expired_session_item_is_absent_before_ttl_deletes_it(served: ServedHost) -> None:
    journey = sign_in(served.url, "carol")
    item = session_item(served, journey.session)
    assert item is not None
    update_session(served, item, "SET ExpiresAt = :past", {":past": {"N": "1"}})
    response = journey.token(served.url)
    assert response.status_code == 401 and response.json()["error"] == "login_required"
    assert stored(served, item) is not None


def test_logout_needs_the_csrf_token(served: ServedHost) -> None:
    journey = sign_in(served.url, "alice")
    csrf = journey.token(served.url).json()["csrfToken"]
    item = session_item(served, journey.session)
    assert item is not None
    refused = journey.session.post(f"{served.url}/auth/logout", timeout=10)
    assert refused.status_code == 403
    assert stored(served, item) is not None
    done = journey.session.post(f"{served.url}/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert done.status_code == 204
    assert stored(served, item) is None
    assert "webapp_session" not in journey.session.cookies
    assert journey.token(served.url).status_code == 401


def test_a_provider_whose_discovery_names_another_issuer_is_refused(
        tmp_path: Path, dynamodb_url: str) -> None:
    # The provider announces https://idp.localhost/dev; this host is configured for another issuer.
    host, server = start_host(tmp_path / "data", dynamodb_url, issuer="https://idp.localhost/other")
    try:
        response = requests.get(f"{host.url}/auth/login", allow_redirects=False, timeout=10)
        assert response.status_code == 502 and response.json()["error"] == "idp_misconfigured"
        assert "https://idp.localhost/dev" in response.json()["message"]
        assert "Location" not in response.headers
    finally:
        server.shutdown()


@pytest.mark.parametrize("path", ["/", "/config.json", "/auth/token", "/idp/authorize?client_id=webapp"])
def test_security_headers_over_http_including_the_idp_pages(served: ServedHost, path: str) -> None:
    response = requests.get(f"{served.url}{path}", timeout=10)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_cancelling_at_the_provider_returns_to_the_page_signed_out(served: ServedHost) -> None:
    browser = requests.Session()
    page = browser.get(f"{served.url}/auth/login?next=/photos", timeout=10)
    action, fields = sign_in_form(page.text)
    back = browser.post(urljoin(page.url, action), data={**fields, "action": "deny"}, timeout=10,
                        headers={"Origin": served.url})
    callback = next(r for r in back.history if urlsplit(r.url).path == "/auth/callback")
    assert parse_qs(urlsplit(callback.url).query)["error"] == ["access_denied"]
    assert callback.status_code == 303 and callback.headers["Location"] == "/photos"
    assert browser.get(f"{served.url}/auth/token", timeout=10).status_code == 401


def test_logout_answers_204_with_no_body(served: ServedHost) -> None:
    journey = sign_in(served.url, "bob")
    csrf = journey.token(served.url).json()["csrfToken"]
    done = journey.session.post(f"{served.url}/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert (done.status_code, done.content, done.headers.get("Content-Type")) == (204, b"", None)


@pytest.mark.parametrize(("attribute", "value"), [("Sub", "someone-else"), ("Issuer", "https://evil.example")])
def test_a_refreshed_id_token_for_another_subject_or_issuer_is_refused(
        served: ServedHost, attribute: str, value: str) -> None:
    """OIDC Core §12.2: the refreshed ID token's ``iss`` and ``sub`` must be the session's."""
    journey = sign_in(served.url, "alice")
    item = session_item(served, journey.session)
    assert item is not None
    update_session(served, item, "SET #a = :v, IdTokenExp = :past", {":v": {"S": value}, ":past": {"N": "0"}},
                   {"#a": attribute})
    response = journey.token(served.url)
    assert response.status_code == 401 and response.json()["error"] == "login_required"
    assert "idToken" not in response.json()
    assert stored(served, item) is None


def test_abandoned_sign_ins_do_not_grow_the_cookie(served: ServedHost) -> None:
    browser = requests.Session()
    for _ in range(12):  # twelve tabs that never finish signing in
        started = browser.get(f"{served.url}/auth/login", allow_redirects=False, timeout=10)
        assert started.status_code == 302
    assert len(browser.cookies["webapp_session"]) < 2000
    journey = sign_in(served.url, "carol", session=browser)  # and a thirteenth that does
    assert journey.token(served.url).status_code == 200
    assert len(browser.cookies["webapp_session"]) < 2000


def test_the_authorization_request_asks_for_the_documented_scopes_with_pkce(served: ServedHost) -> None:
    """docs/deploy.md: "Scopes requested: `openid profile email`", the code flow with PKCE (S256)."""
    started = requests.get(f"{served.url}/auth/login", allow_redirects=False, timeout=10)
    assert started.status_code == 302
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["scope"] == ["openid profile email"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
