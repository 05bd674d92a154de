"""The provider's authlib classes one by one, as authlib tests its own grants: each built with a
hand-made ``OAuth2Request`` and the real server and grant store, without HTTP.

Expected behaviour comes from RFC 6749 (§4.1.2 single-use codes of at most 10 minutes, revoking
what a reused code issued; §6 refresh), RFC 9700 §4.14.2 (refresh token rotation), RFC 7009 §2.1
(revoking a token revokes its grant) and RFC 7636 (PKCE, here S256 only).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload

from webapp.clock import ManualClock
from webapp.idp import IdentityProvider
from webapp.idp.clients import Client
from webapp.idp.grants import CODE_LIFETIME, AuthorizationCode, IssuedToken
from webapp.idp.server import (
    Authentication,
    CodeGrant,
    ProviderOpenIDCode,
    ProviderServer,
    RefreshGrant,
    Revocation,
    S256CodeChallenge,
    create_authorization_server,
)
from webapp.settings import Settings

REDIRECT = "http://localhost:8000/auth/callback"
#: RFC 7636 Appendix B's example challenge (43 characters of base64url).
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def provider(tmp_path: Path, clock: ManualClock) -> IdentityProvider:
    return IdentityProvider.open(Settings(data_dir=tmp_path / "data"), clock)


@pytest.fixture
def server(provider: IdentityProvider) -> ProviderServer:
    return create_authorization_server(provider)


@pytest.fixture
def client(provider: IdentityProvider) -> Client:
    found = provider.clients.get("webapp")
    assert found is not None
    return found


@pytest.fixture
def alice(provider: IdentityProvider) -> Authentication:
    user = provider.users.find("alice")
    assert user is not None
    return Authentication(user, auth_time=1_799_999_990)


def oauth_request(*, client: Client | None = None, user: Authentication | None = None,
                  **data: str) -> OAuth2Request:
    request = OAuth2Request("POST", "https://idp.localhost/dev/token")
    request.payload = BasicOAuth2Payload(data)
    request.client = client
    request.user = user
    return request


def issue_code(server: ProviderServer, client: Client, user: Authentication, code: str = "c-1") -> None:
    request = oauth_request(client=client, user=user, redirect_uri=REDIRECT, scope="openid profile",
                            nonce="n-1", code_challenge=CHALLENGE, code_challenge_method="S256")
    CodeGrant(request, server).save_authorization_code(code, request)


def issue_tokens(server: ProviderServer, client: Client, user: Authentication, *, code: str = "c-1",
                 access: str = "at-1", refresh: str = "rt-1") -> AuthorizationCode:
    issue_code(server, client, user, code)
    record = server.provider.grants.take_code(code, client.get_client_id())
    assert record is not None
    request = oauth_request(client=client, user=user)
    request.authorization_code = record
    server.save_token({"access_token": access, "refresh_token": refresh, "expires_in": 600,
                       "scope": "openid"}, request)
    return record


# CodeGrant --------------------------------------------------------------------------------------


def test_code_grant_saves_what_the_authorization_request_carried(
        server: ProviderServer, client: Client, alice: Authentication, clock: ManualClock) -> None:
    issue_code(server, client, alice)
    grant = CodeGrant(oauth_request(client=client), server)
    record = grant.query_authorization_code("c-1", client)
    assert record is not None
    assert (record.client_id, record.redirect_uri, record.scope, record.sub, record.auth_time) == (
        "webapp", REDIRECT, "openid profile", alice.user.sub, alice.auth_time)
    assert (record.nonce, record.code_challenge, record.code_challenge_method) == ("n-1", CHALLENGE, "S256")
    assert record.expires_at == clock() + CODE_LIFETIME


@pytest.mark.parametrize(("wait", "found"), [
    pytest.param(CODE_LIFETIME - 1, True, id="within 10 minutes"),
    pytest.param(CODE_LIFETIME, False, id="after 10 minutes"),
])
def test_code_grant_finds_a_code_only_while_it_lives(
        server: ProviderServer, client: Client, alice: Authentication, clock: ManualClock,
        wait: int, found: bool) -> None:
    issue_code(server, client, alice)
    clock.advance(wait)
    grant = CodeGrant(oauth_request(client=client), server)
    assert (grant.query_authorization_code("c-1", client) is not None) is found


def test_code_grant_finds_a_code_once_and_only_for_its_client(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    issue_code(server, client, alice)
    other = Client(client_id="other", client_secret="", redirect_uris=(REDIRECT,))
    grant = CodeGrant(oauth_request(client=client), server)
    assert grant.query_authorization_code("c-1", other) is None, "another client's code"
    first = grant.query_authorization_code("c-1", client)
    assert first is not None
    grant.delete_authorization_code(first)  # a no-op: the code was used up when it was found
    assert grant.query_authorization_code("c-1", client) is None, "a code is single-use"


def test_a_code_presented_twice_revokes_the_tokens_it_issued(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    issue_tokens(server, client, alice)
    store = server.provider.grants
    grant = CodeGrant(oauth_request(client=client), server)
    assert grant.query_authorization_code("c-1", client) is None
    access, refresh = store.access_token("at-1"), store.refresh_token_record("rt-1")
    assert access is not None and access.is_revoked()
    assert refresh is not None and refresh.is_revoked()


def test_code_grant_authenticates_the_user_the_code_was_issued_to(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    issue_code(server, client, alice)
    grant = CodeGrant(oauth_request(client=client), server)
    record = grant.query_authorization_code("c-1", client)
    assert record is not None
    assert grant.authenticate_user(record) == alice
    assert grant.authenticate_user(replace(record, sub="nobody")) is None, "a user since removed"


# RefreshGrant -----------------------------------------------------------------------------------


def test_refresh_grant_spends_the_token_as_it_reads_it(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    issue_tokens(server, client, alice)
    grant = RefreshGrant(oauth_request(client=client), server)
    record = grant.authenticate_refresh_token("rt-1")
    assert isinstance(record, IssuedToken) and record.sub == alice.user.sub
    grant.revoke_old_credential(record)  # a no-op: already spent
    spent = server.provider.grants.refresh_token_record("rt-1")
    assert spent is not None and spent.is_revoked() and spent.rotated_at is not None
    assert grant.authenticate_refresh_token("rt-1") is None, "a rotated token is refused"


@pytest.mark.parametrize(("token", "client_id"), [
    pytest.param("rt-unknown", "webapp", id="an unknown token"),
    pytest.param("rt-1", "other", id="another client's token"),
])
def test_refresh_grant_refuses_what_it_did_not_issue_to_this_client(
        server: ProviderServer, client: Client, alice: Authentication, token: str, client_id: str) -> None:
    issue_tokens(server, client, alice)
    caller = Client(client_id=client_id, client_secret="", redirect_uris=(REDIRECT,))
    grant = RefreshGrant(oauth_request(client=caller), server)
    assert grant.authenticate_refresh_token(token) is None
    record = server.provider.grants.refresh_token_record("rt-1")
    assert record is not None and not record.is_revoked(), "the real token is untouched"


def test_refresh_grant_keeps_the_original_auth_time(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    issue_tokens(server, client, alice)
    grant = RefreshGrant(oauth_request(client=client), server)
    record = grant.authenticate_refresh_token("rt-1")
    assert record is not None
    assert grant.authenticate_user(record) == alice


def test_tokens_of_a_refresh_stay_in_the_refreshed_grant(
        server: ProviderServer, client: Client, alice: Authentication) -> None:
    code = issue_tokens(server, client, alice)
    spent = RefreshGrant(oauth_request(client=client), server).authenticate_refresh_token("rt-1")
    request = oauth_request(client=client, user=alice)
    request.refresh_token = spent
    server.save_token({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 600}, request)
    fresh = server.provider.grants.refresh_token_record("rt-2")
    assert fresh is not None and fresh.grant_id == code.grant_id


# Revocation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "hint"), [
    ("rt-1", "refresh_token"), ("rt-1", None), ("rt-1", "access_token"),
    ("at-1", "access_token"), ("at-1", None), ("at-1", "refresh_token"),
])
def test_revocation_finds_a_token_whatever_the_hint(
        server: ProviderServer, client: Client, alice: Authentication, token: str, hint: str | None) -> None:
    code = issue_tokens(server, client, alice)
    found = Revocation(server).query_token(token, hint)
    assert found is not None and found.grant_id == code.grant_id
    assert Revocation(server).query_token("unknown", hint) is None


@pytest.mark.parametrize("token", ["rt-1", "at-1"])
def test_revoking_one_token_revokes_its_whole_grant_and_no_other(
        server: ProviderServer, client: Client, alice: Authentication, token: str) -> None:
    issue_tokens(server, client, alice)
    issue_tokens(server, client, alice, code="c-2", access="at-other", refresh="rt-other")
    endpoint = Revocation(server)
    found = endpoint.query_token(token, None)
    assert found is not None
    endpoint.revoke_token(found, oauth_request(client=client))
    store = server.provider.grants
    revoked: dict[str, Any] = {
        "at-1": store.access_token("at-1"), "rt-1": store.refresh_token_record("rt-1"),
        "at-other": store.access_token("at-other"), "rt-other": store.refresh_token_record("rt-other"),
    }
    assert {name: record.is_revoked() for name, record in revoked.items()} == {
        "at-1": True, "rt-1": True, "at-other": False, "rt-other": False}


# Extensions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "refusal"), [
    pytest.param({}, "Missing 'code_challenge'", id="no PKCE at all"),
    pytest.param({"code_challenge": CHALLENGE}, "only 'S256'", id="no method (plain by RFC 7636 §4.3)"),
    pytest.param({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "only 'S256'", id="plain"),
    pytest.param({"code_challenge": "short", "code_challenge_method": "S256"}, "Invalid 'code_challenge'",
                 id="a malformed challenge"),
    pytest.param({"code_challenge": CHALLENGE, "code_challenge_method": "S256"}, None, id="S256"),
])
def test_pkce_is_required_and_s256_only(server: ProviderServer, client: Client, data: dict[str, str],
                                        refusal: str | None) -> None:
    grant = CodeGrant(oauth_request(client=client, **data), server)
    check = S256CodeChallenge(required=True)
    if refusal is None:
        check.validate_code_challenge(grant, REDIRECT)
    else:
        with pytest.raises(InvalidRequestError, match=refusal):
            check.validate_code_challenge(grant, REDIRECT)


def test_the_provider_leaves_nonce_replay_to_the_relying_party(provider: IdentityProvider) -> None:
    # OpenID Connect Core §3.1.3.7 step 11: the client checks the nonce; a provider that refused a
    # repeated one would only break a user's retry.
    extension = ProviderOpenIDCode(provider)
    assert extension.exists_nonce("n-1", oauth_request()) is False
    assert extension.require_nonce is False


def test_id_tokens_are_signed_with_the_current_key_for_the_client(
        provider: IdentityProvider, client: Client, alice: Authentication) -> None:
    extension = ProviderOpenIDCode(provider)
    assert extension.get_encode_header(client) == {"alg": "RS256", "kid": provider.keys.current().kid, "typ": "JWT"}
    assert extension.get_client_claims(client)["aud"] == "webapp"
    info = extension.generate_user_info(alice, "openid")
    assert (info["sub"], info["auth_time"]) == (alice.user.sub, alice.auth_time)
