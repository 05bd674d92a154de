"""What the provider refuses, and that a refusal hands out nothing.

Each row is a rule: RFC 6749 §4.1.2.1 (no redirect to an unverified URI), RFC 7636 with S256 only
(RFC 9700 §2.1.1, ASVS 5.0 10.4.6), exact redirect URIs (RFC 9700 §4.1.3, ASVS 10.4.1), single-use
codes whose reuse revokes what they issued (RFC 6749 §4.1.2, ASVS 10.4.2), refresh rotation with
reuse detection (RFC 9700 §4.14.2).
"""

from __future__ import annotations

import pytest
import requests

from tests.functional.idp.conftest import IdpHttp, location_query, parse_page

# Authorization requests whose redirect URI is verified: the error goes back to the client, with
# the state, and no code.
REDIRECTED_ERRORS = [
    pytest.param({"code_challenge": None, "code_challenge_method": None}, "invalid_request",
                 id="PKCE is required"),
    pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain PKCE is refused"),
    pytest.param({"code_challenge_method": None}, "invalid_request",
                 id="a challenge without a method (RFC 7636 reads plain) is refused"),
    pytest.param({"code_challenge": "short"}, "invalid_request", id="a malformed challenge is refused"),
    pytest.param({"response_type": "token"}, "unsupported_response_type", id="no implicit flow"),
    pytest.param({"response_type": "code id_token"}, "unsupported_response_type", id="no hybrid flow"),
    pytest.param({"scope": "openid admin"}, "invalid_scope", id="unknown scopes are refused"),
    pytest.param({"prompt": "none"}, "login_required", id="prompt=none without a session"),
]


@pytest.mark.parametrize(("overrides", "error"), REDIRECTED_ERRORS)
def test_authorization_errors_are_redirected_with_state_and_no_code(
        idp: IdpHttp, overrides: dict, error: str) -> None:
    flow = idp.new_flow()
    response = idp.open_authorize(flow, **overrides)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].startswith(idp.redirect_uri + "?")
    query = location_query(response)
    assert query["error"] == [error]
    assert query["state"] == [flow.state]
    assert "code" not in query


def _redirect_variants(idp: IdpHttp) -> list[str]:
    good = idp.redirect_uri
    return [good + "/", good + "?x=1", good.upper(), good.replace("/auth/callback", "/auth/callbacks"),
            good.replace("http://", "https://"), "http://evil.example/auth/callback",
            good.replace(str(idp.settings.port), str(idp.settings.port + 1)), good + "#frag"]


def test_unregistered_redirect_uris_are_never_redirected_to(idp: IdpHttp) -> None:
    for uri in _redirect_variants(idp):
        flow = idp.new_flow()
        response = idp.open_authorize(flow, redirect_uri=uri)
        assert response.status_code == 400, uri
        assert "Location" not in response.headers
        assert "invalid_request" in response.text
        assert not parse_page(response.text).forms, "no sign-in form for a refused request"


@pytest.mark.parametrize(("overrides", "status"), [
    pytest.param({"client_id": "someone-else"}, 400, id="unknown client"),
    pytest.param({"client_id": None}, 400, id="missing client"),
    pytest.param({"redirect_uri": None}, 400, id="missing redirect_uri (OIDC Core 3.1.2.1 requires it)"),
])
def test_requests_without_a_verified_client_are_shown_not_redirected(
        idp: IdpHttp, overrides: dict, status: int) -> None:
    response = idp.open_authorize(idp.new_flow(), **overrides)
    assert response.status_code == status
    assert "Location" not in response.headers


def test_the_loopback_address_variant_of_the_callback_is_registered(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    loopback = f"http://127.0.0.1:{idp.settings.port}/auth/callback"
    response = idp.sign_in("bob", flow, redirect_uri=loopback)
    assert response.headers["Location"].startswith(loopback + "?")
    code = location_query(response)["code"][0]
    assert idp.exchange(code, flow.verifier, redirect_uri=loopback).status_code == 200


def test_a_wrong_code_verifier_is_refused_and_uses_up_the_code(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    code = idp.code_for("alice", flow)
    other_verifier, _ = idp.new_flow().verifier, None
    refused = idp.exchange(code, other_verifier)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "id_token" not in refused.json() and "access_token" not in refused.json()
    # Single-use whatever the outcome: the right verifier now gets nothing either.
    assert idp.exchange(code, flow.verifier).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("verifier", [
    pytest.param(None, id="missing verifier"),
    pytest.param("x" * 42, id="verifier too short (RFC 7636 §4.1: 43-128)"),
])
def test_a_code_cannot_be_redeemed_without_a_valid_verifier(idp: IdpHttp, verifier: str | None) -> None:
    flow = idp.new_flow()
    code = idp.code_for("alice", flow)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": idp.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    refused = idp.token(data)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert "access_token" not in refused.json()


def test_the_token_request_must_repeat_the_exact_redirect_uri(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    code = idp.code_for("alice", flow)
    loopback = f"http://127.0.0.1:{idp.settings.port}/auth/callback"
    refused = idp.exchange(code, flow.verifier, redirect_uri=loopback)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert "access_token" not in refused.json()


def test_a_reused_code_is_refused_and_revokes_what_it_issued(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    code = idp.code_for("carol", flow)
    first = idp.exchange(code, flow.verifier)
    assert first.status_code == 200
    tokens = first.json()

    again = idp.exchange(code, flow.verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert "id_token" not in again.json()
    # The tokens the code issued are revoked (best effort, RFC 6749 §4.1.2).
    assert idp.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    userinfo = requests.get(f"{idp.base}/idp/userinfo", timeout=10,
                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401


@pytest.mark.parametrize(("auth", "status"), [
    pytest.param("none", 401, id="a confidential client must authenticate"),
    pytest.param("wrong", 401, id="a wrong client secret"),
])
def test_the_token_endpoint_authenticates_the_client(idp: IdpHttp, auth: str, status: int) -> None:
    flow = idp.new_flow()
    code = idp.code_for("alice", flow)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": flow.verifier,
            "redirect_uri": idp.redirect_uri, "client_id": idp.client_id}
    if auth == "wrong":
        response = requests.post(f"{idp.base}/idp/token", data=data, auth=(idp.client_id, "nope"), timeout=10)
    else:
        response = requests.post(f"{idp.base}/idp/token", data=data, timeout=10)
    assert response.status_code == status
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def test_client_secret_post_is_accepted_too(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    response = idp.exchange(idp.code_for("bob", flow), flow.verifier, auth="post")
    assert response.status_code == 200 and "id_token" in response.json()


def test_unknown_grant_types_are_refused(idp: IdpHttp) -> None:
    for grant_type in ["password", "client_credentials", "implicit"]:
        response = idp.token({"grant_type": grant_type, "username": "alice", "password": "x"})
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"
