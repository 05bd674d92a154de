"""authlib's authorization server, wired to the provider: which grants, and how they are hardened.

- ``authorization_code`` (RFC 6749 §4.1) with PKCE required for every client and ``S256`` only
  (RFC 7636; RFC 9700 §2.1.1; ASVS 5.0 10.4.6: ``plain`` is refused), the OpenID Connect code
  flow extension (OpenID Connect Core §3.1) adding the ID token, single-use codes of at most
  10 minutes (see ``webapp.idp.grants``), exact redirect URIs (``webapp.idp.clients``).
- ``refresh_token`` (RFC 6749 §6) with rotation: each use returns a new refresh token and revokes
  the old one, and returns a fresh ID token (OpenID Connect Core §12.2: same ``sub``, ``iss``,
  ``aud`` and the original ``auth_time``).
- No implicit or password grants (ASVS 5.0 10.4.4).
- Token revocation (RFC 7009) for the registered client: revoking a refresh or access token
  revokes its whole grant (§2.1: "SHOULD also invalidate all access tokens based on the same
  authorization grant"); the host calls it at sign-out, so a copy of its Sessions table holds no
  usable refresh token of a signed-out session.

Each grant is a module-level class, as authlib's own are, so that it can be tested alone: authlib
instantiates it per request with the server (``ProviderServer``), through which it reaches the
provider's grant store and users.

The user travels through authlib as an ``Authentication`` (the user and when they signed in), so
that ``auth_time`` survives from the sign-in page to the code and on to every refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, OpenIDToken

from webapp.idp.clients import TOKEN_ENDPOINT_AUTH_METHODS, Client
from webapp.idp.directory import User
from webapp.idp.grants import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    AuthorizationCode,
    IssuedToken,
    new_grant_id,
)
from webapp.idp.provider import IdentityProvider


@dataclass(frozen=True)
class Authentication:
    """A user who signed in at ``auth_time`` (what authlib calls the user / grant_user)."""

    user: User
    auth_time: int


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only: a request without ``code_challenge``, or with a method
    other than ``S256`` (including none, which RFC 7636 §4.3 would read as ``plain``), is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (RFC 7636) with S256 is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Unsupported 'code_challenge_method': only 'S256' is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class _IdTokens:
    """What both OpenID extensions need: how to sign and what to claim."""

    provider: IdentityProvider

    def resolve_client_private_key(self, client: Client) -> Any:
        return self.provider.keys.current()

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, Any]:
        return {"alg": "RS256", "kid": self.provider.keys.current().kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return self.provider.token_claims(audience=client.get_client_id())

    def generate_user_info(self, user: Authentication, scope: str) -> dict[str, Any]:
        return {**self.provider.user_claims(user.user), "auth_time": user.auth_time}


class ProviderOpenIDCode(_IdTokens, OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: IdentityProvider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        # Nonce replay is the relying party's check (OpenID Connect Core §3.1.3.7, step 11);
        # a provider refusing a repeated nonce would only break retries.
        return False


class ProviderOpenIDRefresh(_IdTokens, OpenIDToken):  # type: ignore[misc]
    """Adds a fresh ID token to refresh responses (OpenID Connect Core §12.2)."""

    def __init__(self, provider: IdentityProvider) -> None:
        self.provider = provider


class ProviderServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's Flask authorization server for one provider: clients from its registry, tokens
    into its grant store. The grants and the revocation endpoint reach the provider through
    ``self.server.provider`` (authlib instantiates them per request with the server)."""

    def __init__(self, provider: IdentityProvider) -> None:
        super().__init__(query_client=provider.clients.get)
        self.provider = provider

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Record what was issued under the grant it came from (the code's, or the refreshed one's)."""
        who: Authentication = request.user
        origin = request.authorization_code or request.refresh_token
        self.provider.grants.save_tokens(
            token, grant_id=origin.grant_id, client_id=request.client.get_client_id(),
            sub=who.user.sub, scope=token.get("scope", ""), auth_time=who.auth_time,
        )

    def authentication_of(self, sub: str, auth_time: int) -> Authentication | None:
        """The user a code or refresh token was issued to, if they still exist."""
        user = self.provider.users.by_sub(sub)
        return Authentication(user, auth_time) if user is not None else None


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """RFC 6749 §4.1: codes of at most ``CODE_LIFETIME``, single-use whatever the outcome
    (``GrantStore.take_code``), each starting a new grant."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_ENDPOINT_AUTH_METHODS)
    server: ProviderServer

    def save_authorization_code(self, code: str, request: Any) -> None:
        who: Authentication = request.user
        data = request.payload.data
        provider = self.server.provider
        provider.grants.save_code(code, AuthorizationCode(
            grant_id=new_grant_id(), client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri, scope=request.scope, sub=who.user.sub,
            auth_time=who.auth_time, expires_at=provider.clock() + CODE_LIFETIME,
            nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        ))

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        return self.server.provider.grants.take_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Already used up by ``take_code``: a code is single-use whatever the outcome.
        pass

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Authentication | None:
        return self.server.authentication_of(authorization_code.sub, authorization_code.auth_time)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """RFC 6749 §6 with rotation: the presented token is spent as it is read
    (``GrantStore.take_refresh_token``) and a new one is issued."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_ENDPOINT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: ProviderServer

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        # The client is authenticated by now; the token is spent as it is read.
        return self.server.provider.grants.take_refresh_token(
            refresh_token, self.request.client.get_client_id())

    def authenticate_user(self, refresh_token: IssuedToken) -> Authentication | None:
        return self.server.authentication_of(refresh_token.sub, refresh_token.auth_time)

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        # Already spent by ``take_refresh_token``.
        pass


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: revoking a refresh or access token revokes its whole grant (§2.1)."""

    CLIENT_AUTH_METHODS = list(TOKEN_ENDPOINT_AUTH_METHODS)
    server: ProviderServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        store = self.server.provider.grants
        if token_type_hint == "access_token":
            return store.access_token(token_string) or store.refresh_token_record(token_string)
        return store.refresh_token_record(token_string) or store.access_token(token_string)

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        self.server.provider.grants.revoke_grant(token.grant_id)


def create_authorization_server(provider: IdentityProvider) -> ProviderServer:
    server = ProviderServer(provider)
    server.load_config({
        "OAUTH2_REFRESH_TOKEN_GENERATOR": True,
        "OAUTH2_TOKEN_EXPIRES_IN": {"authorization_code": ACCESS_TOKEN_LIFETIME,
                                    "refresh_token": ACCESS_TOKEN_LIFETIME},
        "OAUTH2_SCOPES_SUPPORTED": ["openid", "profile", "email", "offline_access"],
    })
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), ProviderOpenIDCode(provider)])
    server.register_grant(RefreshGrant, [ProviderOpenIDRefresh(provider)])
    server.register_endpoint(Revocation)
    return server
