"""The host's session cookie and what the page may see (reconstructed W-12/W-14/W-15 and the
brief's extras): cookie flags (RFC 6265 §4.1.2.5-6, SameSite), no session fixation (OWASP Session
Management Cheat Sheet: renew the id at sign-in), logout ends the server-side session (ASVS 5.0
7.4.1), ``next=`` cannot redirect off the origin (RFC 9700 §4.11), the refresh token never reaches
the browser (draft-ietf-oauth-browser-based-apps §6.2), and W-21's server half: after logout no
token, no no-store gap, and the old credentials' source is gone.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import RunningStack
from tests.functional.web.conftest import Browser, StackIdp


def set_cookie_attributes(response: requests.Response, name: str) -> dict[str, str]:
    """The attributes of the ``Set-Cookie`` for ``name`` (lower-cased keys; flags map to "")."""
    for header in response.raw.headers.getlist("Set-Cookie"):
        first, *rest = [p.strip() for p in header.split(";")]
        if first.split("=", 1)[0] == name:
            attributes = {"value": first.split("=", 1)[1]}
            for part in rest:
                key, _, value = part.partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no Set-Cookie for {name}")


def cookie_payload(value: str) -> dict[str, Any]:
    """The readable part of Flask's signed cookie (itsdangerous: ``[.]payload.timestamp.sig``)."""
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return dict(json.loads(zlib.decompress(raw) if compressed else raw))


def sessions_item(stack: RunningStack, sub: str) -> list[dict[str, Any]]:
    client = stack.admin("dynamodb")
    items = client.scan(TableName=stack.table("sessions"))["Items"]
    return [i for i in items if i["Sub"]["S"] == sub]


def test_session_cookie_flags(browser: Browser) -> None:
    landed = browser.get(browser.start("alice").url)
    cookie = set_cookie_attributes(landed, "webapp_session")
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "domain" not in cookie  # host-only
    assert "secure" not in cookie  # plain http here; Secure is set exactly when the request is https


def test_the_idp_csrf_cookie_is_strict_and_scoped(stack: RunningStack) -> None:
    browser = Browser(stack.host_url)
    page = browser.get(browser.authorize_url())
    cookie = set_cookie_attributes(page, "idp_csrf")
    assert "httponly" in cookie and cookie["samesite"].lower() == "strict" and cookie["path"] == "/idp"


def test_no_fixation_a_cookie_from_before_sign_in_is_not_the_one_after(stack: RunningStack) -> None:
    """An attacker plants its own valid session cookie in the victim's browser; the victim signs
    in: the browser gets a new session value, and the planted one stops working (the attacker's
    session is deleted, so the attacker cannot ride the victim's sign-in either)."""
    attacker = Browser(stack.host_url)
    attacker.sign_in("bob")
    planted = attacker.cookie
    assert planted is not None
    victim = Browser(stack.host_url)
    victim.jar.cookies.update(attacker.jar.cookies)  # the planted cookie, as the host set it
    victim.sign_in("alice")
    assert victim.cookie != planted
    assert cookie_payload(victim.cookie or "")["sid"] != cookie_payload(planted)["sid"]
    assert victim.signed_in_as() != attacker.signed_in_as()
    assert attacker.token().status_code == 401  # the planted session is gone


def test_a_pre_login_cookie_carries_no_session(browser: Browser) -> None:
    browser.authorize_url()
    assert "sid" not in cookie_payload(browser.cookie or "")
    assert browser.token().status_code == 401


def test_a_forged_or_tampered_cookie_is_ignored(stack: RunningStack, browser: Browser) -> None:
    browser.sign_in("alice")
    value = browser.cookie or ""
    payload, rest = value.lstrip(".").split(".", 1)
    for forged in (payload + ".AAAA.BBBB", value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
                   base64.urlsafe_b64encode(b'{"sid":"x"}').decode().rstrip("=") + "." + rest):
        other = Browser(stack.host_url)
        other.jar.cookies.set("webapp_session", forged)
        assert other.token().status_code == 401


def test_logout_ends_the_server_side_session(stack: RunningStack, browser: Browser) -> None:
    browser.sign_in("alice")
    old = browser.cookie or ""
    token = browser.token().json()
    copy = Browser(stack.host_url)  # a copy of the cookie (another tab, a stolen cookie)
    copy.jar.cookies.set("webapp_session", old)
    assert copy.signed_in_as() == token["sub"]
    assert browser.logout(token["csrfToken"]).status_code == 204
    assert browser.token().status_code == 401
    copy.jar.cookies.clear()
    copy.jar.cookies.set("webapp_session", old)
    answer = copy.token()
    assert answer.status_code == 401 and answer.headers["Cache-Control"] == "no-store"
    assert "idToken" not in answer.text
    assert sessions_item(stack, token["sub"]) == [] or all(
        i["IdToken"]["S"] != token["idToken"] for i in sessions_item(stack, token["sub"]))


def test_logout_revokes_the_refresh_token_at_the_idp(stack: RunningStack, browser: Browser, idp: StackIdp) -> None:
    """ASVS 5.0 7.4.1 / RFC 7009: the grant ends at the provider too, so a copy of the Sessions
    item (a backup, a leaked table) holds no usable refresh token once the user signed out."""
    browser.sign_in("alice")
    token = browser.token().json()
    mine = [i for i in sessions_item(stack, token["sub"]) if i["IdToken"]["S"] == token["idToken"]]
    assert len(mine) == 1
    refresh_token = mine[0]["RefreshToken"]["S"]
    assert browser.logout(token["csrfToken"]).status_code == 204
    refused = idp.token({"grant_type": "refresh_token", "refresh_token": refresh_token})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert "id_token" not in refused.json()


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "wrong"])
def test_logout_without_the_csrf_token_changes_nothing(browser: Browser, csrf: str | None) -> None:
    browser.sign_in("alice")
    sub = browser.signed_in_as()
    refused = browser.logout(csrf)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert browser.signed_in_as() == sub


@pytest.mark.parametrize("next_path", [
    "//evil.localhost/x", "/\\evil.localhost", "\\\\evil.localhost", "https://evil.localhost/",
    "http:evil.localhost", "javascript:alert(1)", "/%2F%2Fevil.localhost", "/\t/evil.localhost",
    "%2F%2Fevil.localhost", "///evil.localhost", "data:text/html,x", " //evil.localhost",
])
def test_next_never_leaves_the_origin(stack: RunningStack, next_path: str) -> None:
    landed = Browser(stack.host_url).sign_in("alice", next_path=next_path)
    target = landed.headers["Location"]
    parts = urlsplit(target)
    assert not parts.scheme and not parts.netloc, target
    assert target.startswith("/") and not target.startswith(("//", "/\\"))
    assert urlsplit(requests.compat.urljoin(stack.host_url + "/", target)).netloc == urlsplit(stack.host_url).netloc


def test_next_keeps_a_same_origin_path(stack: RunningStack) -> None:
    landed = Browser(stack.host_url).sign_in("alice", next_path="/#photos")
    assert landed.headers["Location"] in ("/#photos", "/")


def test_the_refresh_token_never_reaches_the_browser(stack: RunningStack, browser: Browser) -> None:
    hops = [browser.get(browser.start("alice").url)]
    answer = browser.token()
    sub = answer.json()["sub"]
    refresh_tokens = [i["RefreshToken"]["S"] for i in sessions_item(stack, sub) if "RefreshToken" in i]
    assert refresh_tokens, "the host keeps a refresh token server-side"
    assert "refreshToken" not in answer.json() and "refresh_token" not in answer.json()
    seen = [answer.text, json.dumps(cookie_payload(browser.cookie or "")), browser.cookie or ""]
    seen += [json.dumps(dict(h.headers)) + h.text for h in hops]
    for secret in refresh_tokens:
        assert not any(secret in text for text in seen)


def test_the_token_response_is_only_what_the_page_needs(browser: Browser) -> None:
    browser.sign_in("alice")
    assert set(browser.token().json()) == {"idToken", "expiresAt", "sub", "name", "issuer", "csrfToken", "signedIn"}


def test_a_signed_out_probe_is_a_plain_answer_and_the_session_list_needs_a_session(browser: Browser) -> None:
    probe = browser.get("/auth/token?probe=1")
    assert probe.status_code == 200 and probe.json() == {"signedIn": False}
    refused = browser.get("/auth/token")
    assert refused.status_code == 401  # other clients still get the 401
    assert refused.json()["error"] == "login_required"
    for answer in (browser.get("/auth/sessions"),
                   browser.jar.post(browser.host + "/auth/logout-everywhere", timeout=10)):
        # the same answer as /auth/token's: status, JSON body and headers the page relies on
        assert (answer.status_code, answer.json()) == (401, refused.json())
        assert answer.headers["Cache-Control"] == refused.headers["Cache-Control"]
        assert answer.headers["Content-Type"] == refused.headers["Content-Type"]


def test_sign_out_everywhere_needs_the_csrf_token_and_ends_every_session(stack: RunningStack) -> None:
    first, second = Browser(stack.host_url), Browser(stack.host_url)
    first.sign_in("carol")
    second.sign_in("carol")
    listed = first.get("/auth/sessions").json()["sessions"]
    assert [s["current"] for s in listed][0] is True and len(listed) >= 2
    assert all(set(s) == {"current", "createdAt", "browser"} for s in listed)  # no token, no key
    forged = first.jar.post(stack.host_url + "/auth/logout-everywhere", timeout=10)
    assert forged.status_code == 403 and second.signed_in_as() is not None
    csrf = first.token().json()["csrfToken"]
    done = first.jar.post(stack.host_url + "/auth/logout-everywhere", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert done.status_code == 204
    assert first.signed_in_as() is None and second.signed_in_as() is None
