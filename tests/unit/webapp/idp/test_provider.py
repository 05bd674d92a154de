"""The provider object: ID token claims and signature (checked with joserfc against ``jwks()``),
persistence across reopen, key rotation, demo users and the host client's secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet

from webapp.clock import ManualClock
from webapp.idp import IdentityProvider
from webapp.settings import Settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=8123)


@pytest.fixture
def provider(settings: Settings, clock: ManualClock) -> IdentityProvider:
    return IdentityProvider.open(settings, clock)


def decode(provider: IdentityProvider, token: str) -> tuple[dict, dict]:
    result = jwt.decode(token, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"])
    return dict(result.header), dict(result.claims)


def test_an_id_token_carries_the_oidc_claims_and_verifies_against_the_jwks(provider: IdentityProvider) -> None:
    header, claims = decode(provider, provider.mint_id_token("alice", nonce="n-123"))
    alice = provider.users.get("alice")
    assert header == {"alg": "RS256", "kid": provider.jwks()["keys"][0]["kid"], "typ": "JWT"}
    assert claims == {
        "iss": "https://idp.localhost/dev", "sub": alice.sub, "aud": "webapp",
        "iat": 1_800_000_000, "auth_time": 1_800_000_000, "exp": 1_800_000_600, "nonce": "n-123",
        "name": "Alice", "preferred_username": "alice", "email": "alice@example.org",
    }


def test_sub_is_a_stable_random_id_never_the_name(provider: IdentityProvider) -> None:
    subs = {provider.users.get(n).sub for n in ("alice", "bob", "carol")}
    assert len(subs) == 3
    for name in ("alice", "bob", "carol"):
        sub = provider.users.get(name).sub
        assert name not in sub.lower() and len(sub) == 36


@pytest.mark.parametrize(("kwargs", "expected"), [
    pytest.param({"audience": "other"}, {"aud": "other"}, id="audience"),
    pytest.param({"lifetime": -400}, {"exp": 1_800_000_000 - 400}, id="negative lifetime gives an expired token"),
    pytest.param({"extra_claims": {"exp": "9999999999"}}, {"exp": "9999999999"}, id="a claim is replaced verbatim"),
    pytest.param({"extra_claims": {"azp": "webapp"}}, {"azp": "webapp"}, id="a claim is added"),
    pytest.param({"extra_claims": {"sub": None}}, {"sub": None}, id="null removes a claim"),
])
def test_mint_options(provider: IdentityProvider, kwargs: dict, expected: dict) -> None:
    token = provider.mint_id_token("bob", **kwargs)
    claims = dict(jwt.decode(token, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"]).claims)
    for name, value in expected.items():
        if value is None:
            assert name not in claims
        else:
            assert claims[name] == value


def test_a_tampered_token_does_not_verify(provider: IdentityProvider) -> None:
    header, payload, signature = provider.mint_id_token("alice").split(".")
    flipped = signature[:-6] + ("A" if signature[-6] != "A" else "B") + signature[-5:]
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{payload}.{flipped}", KeySet.import_key_set(provider.jwks()), algorithms=["RS256"])


def test_state_survives_a_reopen(settings: Settings, clock: ManualClock, provider: IdentityProvider) -> None:
    token = provider.mint_id_token("carol")
    provider.users.add("dave")
    again = IdentityProvider.open(settings, clock)
    assert again.jwks() == provider.jwks()
    assert again.users.get("dave").sub == provider.users.get("dave").sub
    assert again.client_secret("webapp") == provider.client_secret("webapp")
    decode(again, token)


def test_a_different_data_dir_is_a_different_provider(tmp_path: Path, clock: ManualClock,
                                                      provider: IdentityProvider) -> None:
    other = IdentityProvider.open(Settings(data_dir=tmp_path / "other"), clock)
    assert other.jwks() != provider.jwks()
    assert other.users.get("alice").sub != provider.users.get("alice").sub
    with pytest.raises(InvalidKeyIdError):
        jwt.decode(provider.mint_id_token("alice"), KeySet.import_key_set(other.jwks()), algorithms=["RS256"])


def test_files_are_where_the_architecture_says_and_private(settings: Settings, provider: IdentityProvider) -> None:
    data = settings.data_dir
    for relative in ["keys/idp-signing.json", "idp/users.json", "idp/clients.json"]:
        mode = stat.S_IMODE((data / relative).stat().st_mode)
        assert mode == 0o600, relative
    private = KeySet.import_key_set(__import__("json").loads((data / "keys/idp-signing.json").read_text()))
    assert private.keys[0].is_private and private.keys[0].as_dict()["alg"] == "RS256"
    assert provider.client_secret("webapp") in (data / "idp/clients.json").read_text()


def test_rotation_signs_with_the_newest_key_and_keeps_old_tokens_verifiable(provider: IdentityProvider) -> None:
    old_token = provider.mint_id_token("alice")
    old_kid = decode(provider, old_token)[0]["kid"]
    new_kid = provider.keys.rotate()
    assert [k["kid"] for k in provider.jwks()["keys"]] == [new_kid, old_kid]
    assert decode(provider, provider.mint_id_token("alice"))[0]["kid"] == new_kid
    decode(provider, old_token)
    provider.keys.retire(keep=1)
    assert [k["kid"] for k in provider.jwks()["keys"]] == [new_kid]
    with pytest.raises(InvalidKeyIdError):
        decode(provider, old_token)


def test_demo_profiles_seed_alice_as_pro_moderator(provider: IdentityProvider) -> None:
    profiles = {name: row for name, row in zip(("alice", "bob", "carol"), provider.demo_profiles(), strict=True)}
    assert profiles["alice"] == (provider.users.get("alice").sub, "Alice", "pro", "moderator")
    assert profiles["bob"][1:] == ("Bob", "free", "member")
    assert profiles["carol"][1:] == ("Carol", "free", "member")


def test_the_host_client_has_exact_redirect_uris(provider: IdentityProvider) -> None:
    client = provider.clients.get("webapp")
    assert client is not None
    assert client.redirect_uris == ("http://localhost:8123/auth/callback", "http://127.0.0.1:8123/auth/callback")
    assert not client.check_redirect_uri("http://localhost:8123/auth/callback/")
    assert client.check_client_secret(provider.client_secret("webapp"))
    assert not client.check_client_secret(provider.client_secret("webapp")[:-1])
    assert provider.clients.get("nobody") is None


def test_metadata_advertises_only_what_is_supported(provider: IdentityProvider) -> None:
    doc = provider.metadata()
    assert doc["issuer"] == "https://idp.localhost/dev"
    assert doc["authorization_endpoint"] == "http://localhost:8123/idp/authorize"
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_a_rotation_by_another_process_is_seen_without_a_restart(settings: Settings, clock: ManualClock,
                                                                 provider: IdentityProvider) -> None:
    """The running stack keeps serving; an admin rotates the key on disk (another process)."""
    admin = IdentityProvider.open(settings, clock)
    new_kid = admin.keys.rotate()
    assert provider.jwks()["keys"][0]["kid"] == new_kid
    assert decode(provider, provider.mint_id_token("alice"))[0]["kid"] == new_kid
