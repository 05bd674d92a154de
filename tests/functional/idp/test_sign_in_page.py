"""The sign-in page: works under a strict CSP (no inline script or style), says there are no
passwords, and only accepts its own form (CSRF, security-anchors §3.3, OWASP CSRF cheat sheet)."""

from __future__ import annotations

import pytest
import requests

from tests.functional.idp.conftest import IdpHttp, location_query, parse_page


def test_the_page_has_no_inline_script_or_style_and_says_there_are_no_passwords(idp: IdpHttp) -> None:
    response = idp.open_authorize(idp.new_flow())
    assert response.status_code == 200
    page = parse_page(response.text)
    assert page.inline_scripts == 0 and page.scripts == []
    assert page.inline_styles == 0, "no style attributes, <style> or on* handlers"
    assert "no passwords" in response.text
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    stylesheet = requests.get(f"{idp.base}/idp/static/idp.css", timeout=10)
    assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["Content-Type"]


def test_every_form_carries_a_csrf_token_bound_to_a_cookie(idp: IdpHttp) -> None:
    browser = requests.Session()
    response = browser.get(f"{idp.base}/idp/authorize", params=idp.authorize_params(idp.new_flow()), timeout=10)
    forms = parse_page(response.text).forms
    assert len(forms) == 3 and all(f["method"] == "post" for f in forms)
    tokens = {f["hidden"]["csrf_token"] for f in forms}
    assert len(tokens) == 1 and len(tokens.pop()) == 64
    cookie = next(c for c in browser.cookies if c.name == "idp_csrf")
    assert cookie.path == "/idp" and cookie.has_nonstandard_attr("HttpOnly")
    assert "samesite=strict" in response.headers["Set-Cookie"].lower()
    users = {value for name, value in forms[0]["buttons"] if name == "user"}
    assert {"alice", "bob", "carol"} <= users


def _forged(idp: IdpHttp, how: str) -> requests.Response:
    flow = idp.new_flow()
    browser = requests.Session()
    page = browser.get(f"{idp.base}/idp/authorize", params=idp.authorize_params(flow), timeout=10)
    form = parse_page(page.text).forms[0]
    data = {**form["hidden"], "user": "alice"}
    headers = {}
    if how == "no token":
        data.pop("csrf_token")
    elif how == "wrong token":
        data["csrf_token"] = "0" * 64
    elif how == "no cookie":
        browser.cookies.clear()
    elif how == "another browser's token":
        other = requests.Session()
        other_page = other.get(f"{idp.base}/idp/authorize", params=idp.authorize_params(flow), timeout=10)
        data["csrf_token"] = parse_page(other_page.text).forms[0]["hidden"]["csrf_token"]
    elif how == "cross-origin":
        headers["Origin"] = "http://evil.example"
    return browser.post(idp.base + form["action"], data=data, headers=headers, allow_redirects=False, timeout=10)


def test_a_forged_sign_in_is_refused_without_a_code(idp: IdpHttp) -> None:
    before = idp.provider.users.names()
    for how in ["no token", "wrong token", "no cookie", "another browser's token", "cross-origin"]:
        response = _forged(idp, how)
        assert response.status_code == 400, how
        assert "Location" not in response.headers, how
        assert "expired or did not come from this page" in response.text, how
    assert idp.provider.users.names() == before


@pytest.mark.parametrize("origin", [
    pytest.param("own", id="Origin is this provider's"),
    pytest.param("null", id="Origin: null, as browsers send under Referrer-Policy no-referrer"),
    pytest.param(None, id="no Origin header"),
])
def test_a_post_with_its_token_signs_in(idp: IdpHttp, origin: str | None) -> None:
    flow = idp.new_flow()
    page = idp.open_authorize(flow)
    form = parse_page(page.text).forms[0]
    headers = {} if origin is None else {"Origin": idp.base if origin == "own" else origin}
    response = idp.browser.post(idp.base + form["action"], data={**form["hidden"], "user": "bob"},
                                headers=headers, allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "code" in location_query(response)


def test_adding_a_user_on_the_page_signs_them_in_with_a_new_random_sub(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    page = idp.open_authorize(flow)
    add_form = parse_page(page.text).forms[1]
    response = idp.browser.post(idp.base + add_form["action"], allow_redirects=False, timeout=10,
                                data={**add_form["hidden"], "new_name": "Dora", "display_name": "Dora D."})
    assert response.status_code == 302
    tokens = idp.exchange(location_query(response)["code"][0], flow.verifier).json()
    userinfo = requests.get(f"{idp.base}/idp/userinfo", timeout=10,
                            headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    dora = idp.provider.users.get("dora")
    assert userinfo == {"sub": dora.sub, "preferred_username": "dora", "name": "Dora D.",
                        "email": "dora@example.org"}
    assert dora.sub not in {idp.provider.users.get(n).sub for n in ("alice", "bob", "carol")}


def test_an_invalid_or_taken_name_is_shown_on_the_page(idp: IdpHttp) -> None:
    before = [(u.name, u.sub) for u in idp.provider.users.all()]
    for name, message in [("a", "invalid user name"), ("bad name!", "invalid user name"),
                          ("alice", "already exists")]:
        page = idp.open_authorize(idp.new_flow())
        add_form = parse_page(page.text).forms[1]
        response = idp.browser.post(idp.base + add_form["action"], data={**add_form["hidden"], "new_name": name},
                                    allow_redirects=False, timeout=10)
        assert response.status_code == 400 and message in response.text, name
        assert "Location" not in response.headers
    assert [(u.name, u.sub) for u in idp.provider.users.all()] == before


def test_cancel_returns_access_denied_with_the_state(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    page = idp.open_authorize(flow)
    cancel = parse_page(page.text).forms[2]
    response = idp.browser.post(idp.base + cancel["action"], data={**cancel["hidden"], "action": "deny"},
                                allow_redirects=False, timeout=10)
    query = location_query(response)
    assert query["error"] == ["access_denied"] and query["state"] == [flow.state]
    assert "code" not in query


def test_user_names_are_html_escaped(idp: IdpHttp) -> None:
    idp.provider.users.add("eve", display_name="<script>alert(1)</script>")
    page = idp.open_authorize(idp.new_flow())
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
