"""The authorization code flow with PKCE, over real HTTP, as the host's client will run it.

Rules from RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1 and security-anchors §3.1 (ASVS 5.0 10.4.x).
"""

from __future__ import annotations

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.functional.idp.conftest import JWT_RE, IdpHttp, location_query


def verify(idp: IdpHttp, token: str) -> dict:
    decoded = jwt.decode(token, KeySet.import_key_set(idp.jwks()), algorithms=["RS256"])
    return dict(decoded.claims), dict(decoded.header)


def test_discovery_names_the_configured_issuer_and_real_endpoints(idp: IdpHttp) -> None:
    doc = idp.discovery()
    assert doc["issuer"] == "https://idp.localhost/dev" == idp.settings.issuer
    for name, path in [("authorization_endpoint", "/idp/authorize"), ("token_endpoint", "/idp/token"),
                       ("userinfo_endpoint", "/idp/userinfo"), ("jwks_uri", "/idp/jwks.json")]:
        assert doc[name] == idp.base + path
        assert requests.options(doc[name], timeout=10).status_code < 500
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_full_flow_issues_an_id_token_that_the_jwks_verifies(idp: IdpHttp) -> None:
    flow = idp.new_flow()
    redirect = idp.sign_in("alice", flow)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(idp.redirect_uri + "?")
    query = location_query(redirect)
    assert query["state"] == [flow.state]

    response = idp.exchange(query["code"][0], flow.verifier)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert JWT_RE.match(body["id_token"]) and body["refresh_token"] and body["access_token"]

    claims, header = verify(idp, body["id_token"])
    alice = idp.provider.users.get("alice")
    assert header["alg"] == "RS256" and header["kid"] in {k["kid"] for k in idp.jwks()["keys"]}
    assert claims["iss"] == "https://idp.localhost/dev"
    assert claims["sub"] == alice.sub != "alice"
    assert claims["aud"] == idp.client_id
    assert claims["nonce"] == flow.nonce
    assert claims["preferred_username"] == "alice" and claims["name"] == "Alice"
    assert claims["email"] == alice.email
    assert claims["iat"] <= claims["auth_time"] + 5 and claims["exp"] - claims["iat"] == 600
