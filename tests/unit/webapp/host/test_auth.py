"""Sessions as the page sees them: ``/auth/token``, expiry by the injected clock, logout CSRF,
the cookie's attributes, and the ``next`` parameter (the flow itself is in the functional tests,
against the real identity provider)."""

from __future__ import annotations

import pytest
from joserfc import jwt

from webapp.host.oidc import safe_next
from webapp.host.sessions import session_key

from .conftest import Host


def test_a_signed_in_session_gets_its_id_token(host: Host) -> None:
    cookie_value = host.sign_in("sub-alice", lifetime=600)
    response = host.client.get("/auth/token")
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"idToken", "expiresAt", "sub", "name", "issuer", "csrfToken", "signedIn"}
    assert (body["sub"], body["name"], body["issuer"]) == ("sub-alice", "Alice", "https://idp.localhost/dev")
    assert body["expiresAt"] == int(host.clock()) + 600
    assert jwt.decode(body["idToken"], host.key).claims["sub"] == "sub-alice"
    assert len(body["csrfToken"]) == 64 and cookie_value not in body["csrfToken"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_table_key_is_the_hash_of_the_cookie_and_the_refresh_token_stays_there(host: Host) -> None:
    cookie_value = host.sign_in(refresh_token="rt-secret")
    [item] = host.items()
    assert item["SessionId"]["S"] == session_key(cookie_value) != cookie_value
    assert item["RefreshToken"]["S"] == "rt-secret"
    assert int(item["ExpiresAt"]["N"]) == int(host.clock()) + 8 * 3600
    assert "rt-secret" not in host.client.get("/auth/token").get_data(as_text=True)


# Session lifetime, by the injected clock: (seconds after sign-in, signed in?)
EXPIRY = [
    (0, True),
    (8 * 3600 - 1, True),
    (8 * 3600, False),       # ExpiresAt reached: absent, although TTL has not deleted the item
    (30 * 24 * 3600, False),
]


@pytest.mark.parametrize(("elapsed", "signed_in"), EXPIRY)
def test_a_session_past_expires_at_is_absent_even_before_ttl_deletes_it(
        host: Host, elapsed: int, signed_in: bool) -> None:
    host.sign_in(lifetime=10 ** 6)  # an ID token that outlives the session: only ExpiresAt counts
    host.clock.advance(elapsed)
    response = host.client.get("/auth/token")
    assert response.status_code == (200 if signed_in else 401)
    if not signed_in:
        assert response.json == {"error": "login_required", "message": "Sign in first: GET /auth/login"}
        assert len(host.items()) == 1  # still in the table: TTL has not run
        assert "webapp_session=;" in response.headers.get("Set-Cookie", "")  # cookie cleared


def test_no_cookie_no_token(host: Host) -> None:
    response = host.client.get("/auth/token")
    assert (response.status_code, response.json["error"]) == (401, "login_required")


def test_a_near_expiry_token_without_a_refresh_token_ends_the_session(host: Host) -> None:
    host.sign_in(lifetime=120, refresh_token=None)
    host.clock.advance(61)  # 59 s left: less than the 60 s margin
    assert host.client.get("/auth/token").status_code == 401
    assert host.items() == []


def test_a_forged_cookie_is_not_a_session(host: Host) -> None:
    host.sign_in()
    host.client.set_cookie("webapp_session", "eyJzaWQiOiJhYmMifQ.forged.signature")
    assert host.client.get("/auth/token").status_code == 401


# Logout ------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "", "0" * 64, "wrong"])
def test_logout_without_the_csrf_token_is_refused_and_deletes_nothing(host: Host, header: str | None) -> None:
    host.sign_in()
    headers = {} if header is None else {"X-CSRF-Token": header}
    response = host.client.post("/auth/logout", headers=headers)
    assert response.status_code == 403 and response.json["error"] == "csrf_failed"
    assert len(host.items()) == 1
    assert host.client.get("/auth/token").status_code == 200  # still signed in


def test_logout_with_the_csrf_token_deletes_the_session_and_clears_the_cookie(host: Host) -> None:
    host.sign_in()
    csrf = host.client.get("/auth/token").json["csrfToken"]
    response = host.client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert host.items() == []
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("webapp_session=;") and "Max-Age=0" in cookie
    assert host.client.get("/auth/token").status_code == 401


def test_a_csrf_token_of_another_session_does_not_work(host: Host) -> None:
    host.sign_in("sub-bob")
    other = host.client.get("/auth/token").json["csrfToken"]
    host.sign_in("sub-alice")
    assert host.client.post("/auth/logout", headers={"X-CSRF-Token": other}).status_code == 403
    assert len(host.items()) == 2


# The cookie --------------------------------------------------------------------------------

@pytest.mark.parametrize(("base_url", "secure"), [("http://localhost", False), ("https://localhost", True)])
def test_the_cookie_is_httponly_lax_and_secure_over_https(host: Host, base_url: str, secure: bool) -> None:
    host.sign_in(base_url=base_url)
    response = host.client.get("/auth/token", base_url=base_url)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]  # a permanent session's cookie is re-sent each time
    assert cookie.startswith("webapp_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Expires=" in cookie  # a persistent cookie, for the session's lifetime
    assert ("Secure" in cookie) is secure
    assert ("Strict-Transport-Security" in response.headers) is secure


# next= after sign-in: same origin only (no open redirect) ----------------------------------
NEXT = [
    (None, "/"),
    ("", "/"),
    ("/", "/"),
    ("/games?id=1#top", "/games?id=1#top"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("evil.example", "/"),
    ("/ok\r\nSet-Cookie: x=1", "/"),
    ("/\t/evil.example", "/"),
]


@pytest.mark.parametrize(("value", "expected"), NEXT)
def test_next_is_same_origin_only(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


# docs/deploy.md claims ------------------------------------------------------------------------

@pytest.mark.parametrize(("claims", "shown"), [
    ({"name": "Alice Liddell", "preferred_username": "alice"}, "Alice Liddell"),
    ({"name": None, "preferred_username": "alice"}, "alice"),
    ({"name": None}, "sub-alice"),
], ids=["name", "preferred_username", "sub"])
def test_the_page_is_given_the_name_claim_else_preferred_username_else_sub(
        host: Host, claims: dict[str, object], shown: str) -> None:
    """deploy.md: "The page shows the `name` claim (or `preferred_username`, or `sub`)"."""
    from webapp.host.cookie import SID

    token = host.id_token("sub-alice", 600, **claims)
    cookie_value, _ = host.store.create(sub="sub-alice", issuer=host.settings.issuer, id_token=token,
                                        id_token_exp=int(host.clock()) + 600, refresh_token=None)
    with host.client.session_transaction() as session:
        session[SID] = cookie_value
    assert host.client.get("/auth/token").json["name"] == shown


def test_rotating_the_secret_key_signs_everybody_out(host: Host) -> None:
    """deploy.md, WEBAPP_SECRET_KEY: "Rotating it signs everybody out": a cookie signed with the
    old key is no session under the new one (its Sessions item is left for TTL)."""
    host.sign_in()
    assert host.client.get("/auth/token").status_code == 200
    host.app.secret_key = "a new key nobody signed a cookie with" * 2
    assert host.client.get("/auth/token").status_code == 401
