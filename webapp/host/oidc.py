"""The host's OpenID Connect client: authorization code flow with PKCE, through authlib.

OpenID Connect Core 1.0 §3.1 (code flow) with RFC 7636 PKCE (``S256``), ``state`` (RFC 6749
§10.12) and ``nonce`` (OIDC Core §3.1.2.1), all three as security-anchors §3.1 asks; ``state``
and ``nonce`` are at least 128-bit CSPRNG values (ASVS 5.0 11.5.1). authlib's Flask client keeps
them in the (signed) session cookie for the round trip and validates the ID token against the
provider's JWKS (signature, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``).

The provider is found by discovery (OIDC Discovery 1.0 §4); its ``issuer`` must equal the
configured one exactly (§4.3, ASVS 5.0 10.5.3), or the host refuses to sign anyone in.

A refresh (OIDC Core §12) must give an ID token for the same ``iss`` and ``sub`` (§12.2, and the
conformance suite's ``refresh-token-invalid-issuer``/``-invalid-sub`` tests), else it is refused.

After sign-in the browser returns only to a same-origin path (``safe_next``, RFC 9700 §4.11).

At sign-out the refresh token is revoked at the provider (RFC 7009), when its discovery document
names a ``revocation_endpoint``: the grant ends at the provider too, not only in the Sessions table.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, redirect, session
from werkzeug.wrappers import Response as BaseResponse

from webapp.settings import Settings

log = logging.getLogger("webapp.host.oidc")

#: authlib's session key prefix for one pending sign-in (``_state_<client name>_<state>``).
PENDING_FLOW_PREFIX = "_state_idp_"
#: Unfinished sign-ins remembered per browser (one per tab that started one).
MAX_PENDING_FLOWS = 3


class OidcError(Exception):
    """Signing in or refreshing failed; ``error`` is an OAuth-style code for the JSON body."""

    def __init__(self, error: str, message: str, status: int = 400, *, grant_refused: bool = False) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status
        #: The provider refused the refresh token (spent, revoked or expired).
        self.grant_refused = grant_refused


@dataclass(frozen=True)
class Tokens:
    id_token: str
    claims: dict[str, Any]
    refresh_token: str | None

    @property
    def expires_at(self) -> int:
        return int(self.claims["exp"])


class OidcClient:
    """authlib's Flask OAuth client, registered once for the configured provider."""

    def __init__(self, app: Flask, settings: Settings, *, client_secret: str | None,
                 metadata_url: str, on_metadata: Any = None) -> None:
        from authlib.integrations.flask_client import OAuth

        self.settings = settings
        self._client_secret = client_secret
        self.metadata_url = metadata_url
        self._on_metadata = on_metadata
        self._checked = False
        oauth = OAuth(app)
        self.remote = oauth.register(
            name="idp",
            client_id=settings.client_id,
            client_secret=client_secret,
            server_metadata_url=metadata_url,
            client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                           "timeout": 10},
        )

    def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once; its issuer must be the configured one."""
        import requests

        try:
            metadata: dict[str, Any] = self.remote.load_server_metadata()
        except (requests.RequestException, ValueError) as error:
            raise OidcError("idp_unavailable", f"The identity provider's discovery document "
                            f"{self.metadata_url} could not be read: {error}", 502) from error
        if metadata.get("issuer") != self.settings.issuer:
            raise OidcError("idp_misconfigured", f"The identity provider's discovery document names "
                            f"issuer {metadata.get('issuer')!r}, but the host is configured for "
                            f"{self.settings.issuer!r} (WEBAPP_ISSUER); refusing to sign in.", 502)
        if not self._checked:
            self._checked = True
            if self._on_metadata is not None:
                self._on_metadata(metadata)
        return metadata

    def login_redirect(self, redirect_uri: str) -> BaseResponse:
        """Redirect to the provider; the flow's ``state``, ``nonce`` and PKCE verifier go into the
        signed session cookie. Only the newest ``MAX_PENDING_FLOWS`` unfinished sign-ins are kept
        (each tab may start one), so abandoned ones cannot grow the cookie past the 4 KB
        browsers keep (RFC 6265 §6.1)."""
        self.metadata()
        flow = self.remote.create_authorization_url(redirect_uri, nonce=secrets.token_urlsafe(32))
        prefix = PENDING_FLOW_PREFIX
        pending = sorted((k for k in session if k.startswith(prefix)),
                         key=lambda k: session[k].get("exp", 0) if isinstance(session[k], dict) else 0)
        for stale in pending[: max(0, len(pending) - (MAX_PENDING_FLOWS - 1))]:
            session.pop(stale, None)
        self.remote.save_authorize_data(
            redirect_uri=redirect_uri, state=flow["state"],
            **{k: flow[k] for k in ("code_verifier", "nonce") if k in flow},
        )
        return redirect(flow["url"])

    def complete(self) -> Tokens:
        """Handle the callback: check ``state``, redeem the code (with the PKCE verifier), and
        validate the ID token (with the ``nonce``)."""
        import requests
        from authlib.common.errors import AuthlibBaseError
        from joserfc.errors import JoseError

        self.metadata()
        try:
            token = self.remote.authorize_access_token(claims_options=self._claims_options(), leeway=60)
        except (AuthlibBaseError, JoseError) as error:  # state, code, or the ID token's claims
            raise OidcError("login_failed", f"Sign-in failed: {_describe(error)}") from error
        except requests.RequestException as error:
            raise OidcError("idp_unavailable", f"The identity provider's token endpoint could not be "
                            f"reached: {error}", 502) from error
        except (ValueError, KeyError) as error:
            raise OidcError("login_failed", f"Sign-in failed: {error}") from error
        if "id_token" not in token or "userinfo" not in token or token["userinfo"] is None:
            raise OidcError("login_failed", "Sign-in failed: the provider returned no ID token "
                            "(is the 'openid' scope allowed for this client?)")
        return Tokens(token["id_token"], dict(token["userinfo"]), token.get("refresh_token"))

    def refresh(self, refresh_token: str, *, sub: str, issuer: str) -> Tokens:
        """A new ID token with the refresh token; same ``iss`` and ``sub`` or it is refused."""
        import requests
        from authlib.common.errors import AuthlibBaseError
        from joserfc.errors import JoseError

        self.metadata()
        try:
            token = self.remote.fetch_access_token(grant_type="refresh_token",
                                                   refresh_token=refresh_token)
            if "id_token" not in token:
                raise OidcError("login_required", "The provider's refresh response has no ID token.", 401)
            claims = dict(self.remote.parse_id_token(token, nonce=None,
                                                     claims_options=self._claims_options(), leeway=60))
        except AuthlibBaseError as error:
            raise OidcError("login_required", f"The session could not be refreshed: {_describe(error)}",
                            401, grant_refused=True) from error
        except JoseError as error:  # the refreshed ID token's signature or claims
            raise OidcError("login_required", f"The provider's refreshed ID token is not valid: "
                            f"{_describe(error)}; signing out.", 401) from error
        except requests.RequestException as error:
            raise OidcError("idp_unavailable", f"The identity provider could not be reached: {error}",
                            502) from error
        if claims.get("iss") != issuer or claims.get("sub") != sub:
            raise OidcError("login_required", "The refreshed ID token names another issuer or "
                            "subject than the session; signing out.", 401)
        return Tokens(token["id_token"], claims, token.get("refresh_token") or refresh_token)

    def revoke(self, refresh_token: str) -> bool:
        """Revoke a refresh token (and so its grant) at the provider, RFC 7009 §2.1, authenticated
        as at the token endpoint (``client_secret_basic``). ``False`` when the provider has no
        revocation endpoint or refused; raises ``OidcError`` when it cannot be reached."""
        import requests

        endpoint = self.metadata().get("revocation_endpoint")
        if not endpoint:
            return False
        try:
            answer = requests.post(endpoint, data={"token": refresh_token, "token_type_hint": "refresh_token"},
                                   auth=(self.settings.client_id, self._client_secret or ""), timeout=5)
        except requests.RequestException as error:
            raise OidcError("idp_unavailable", f"The identity provider's revocation endpoint could not "
                            f"be reached: {error}", 502) from error
        return answer.status_code == 200

    def revoke_quietly(self, refresh_token: str) -> None:
        """End the grant at the provider at sign-out. Best effort: the session is already gone
        then, so a provider that is down only leaves a refresh token nobody holds any more."""
        try:
            if not self.revoke(refresh_token):
                log.warning("sign-out: the provider did not revoke the refresh token")
        except OidcError as error:
            log.warning("sign-out: %s", error.message)

    def _claims_options(self) -> dict[str, Any]:
        return {"iss": {"essential": True, "values": [self.settings.issuer]},
                "sub": {"essential": True}, "exp": {"essential": True}}


def safe_next(value: str | None) -> str:
    """A same-origin path to return to after sign-in, or ``/`` (no open redirect: RFC 9700
    §4.11). Only an absolute path is accepted: no scheme, no host, no ``//`` or ``/\\``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ch in value for ch in "\\\r\n\t\x00") or any(ord(ch) < 0x20 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _describe(error: Exception) -> str:
    description = getattr(error, "description", None)
    code = getattr(error, "error", None)
    return ": ".join(str(p) for p in (code, description) if p) or type(error).__name__
