"""Tokens after the code flow: refresh with rotation (RFC 6749 §6, RFC 9700 §4.14.2), the
refreshed ID token (OpenID Connect Core §12.2), userinfo (§5.3), and the JWKS."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.functional.idp.conftest import IdpHttp


def claims_of(idp: IdpHttp, token: str) -> dict:
    return dict(jwt.decode(token, KeySet.import_key_set(idp.jwks()), algorithms=["RS256"]).claims)


def test_refresh_returns_a_fresh_id_token_and_rotates_the_refresh_token(idp: IdpHttp) -> None:
    _, first = idp.login("alice")
    original = claims_of(idp, first["id_token"])

    response = idp.refresh(first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    refreshed = claims_of(idp, second["id_token"])
    for name in ["iss", "sub", "aud", "auth_time", "preferred_username", "email"]:
        assert refreshed[name] == original[name], name
    assert "nonce" not in refreshed

    # The old refresh token is spent. Presented again at once (two requests racing), it is only
    # refused; later it counts as a replay and revokes the grant (test_grant_lifetimes).
    replay = idp.refresh(first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "id_token" not in replay.json()
    assert "id_token" in idp.refresh(second["refresh_token"]).json()


def test_a_refresh_token_is_bound_to_its_client(idp: IdpHttp) -> None:
    _, tokens = idp.login("bob")
    response = requests.post(f"{idp.base}/idp/token", timeout=10, auth=("someone-else", "x"),
                             data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401 and "access_token" not in response.json()
    assert idp.refresh("not-a-refresh-token").json()["error"] == "invalid_grant"


def test_userinfo_needs_a_valid_access_token(idp: IdpHttp) -> None:
    _, tokens = idp.login("carol")
    good = requests.get(f"{idp.base}/idp/userinfo", timeout=10,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert good.status_code == 200
    assert good.json()["sub"] == claims_of(idp, tokens["id_token"])["sub"]
    for header in [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {tokens['access_token']}"}]:
        refused = requests.get(f"{idp.base}/idp/userinfo", headers=header, timeout=10)
        assert refused.status_code == 401, header
        assert "sub" not in refused.text


def test_the_jwks_is_public_rs256_signing_keys_only(idp: IdpHttp) -> None:
    jwks = idp.jwks()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "no private members"
        assert len(KeySet.import_key_set({"keys": [key]}).keys[0].as_dict()["n"]) >= 342  # 2048 bits


def test_concurrent_refreshes_of_one_token_give_exactly_one_new_token(idp: IdpHttp) -> None:
    _, tokens = idp.login("alice")
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: idp.refresh(tokens["refresh_token"]).json(), range(6)))
    winners = [a for a in answers if "refresh_token" in a]
    assert len(winners) == 1
    assert all(a.get("error") == "invalid_grant" for a in answers if a not in winners)
    # Within the grace period the losers did not revoke the winner's grant.
    assert "id_token" in idp.refresh(winners[0]["refresh_token"]).json()
