"""The dev OpenID Connect provider as a plain object: keys, users, clients, grants, ID tokens.

It owns the provider's state in the data directory (``keys/idp-signing.json``,
``idp/users.json``, ``idp/clients.json``, ``idp/refresh-tokens.json``) and mints ID tokens; the
HTTP side (``webapp.idp.views``) and the authlib grants (module-level classes in
``webapp.idp.server``) only call it.
``python -m webapp dev-token`` opens the same files, so its tokens verify against the running
stack's JWKS.

The issuer (``Settings.issuer``, ``https://idp.localhost/dev`` by default) is an identifier, not
the address of the endpoints: AWS names condition keys after the issuer without ``https://`` and
wants it portless (IAM UG, "Create an OpenID Connect (OIDC) identity provider"), so policies read
``${idp.localhost/dev:sub}``. The endpoints advertised in the discovery document are real URLs
under ``Settings.idp_url``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from joserfc import jwt

from webapp.clock import Clock, system_clock
from webapp.idp.clients import SCOPES, TOKEN_ENDPOINT_AUTH_METHODS, ClientRegistry
from webapp.idp.directory import DEMO_USERS, User, UserDirectory
from webapp.idp.grants import GrantStore
from webapp.idp.keys import ALGORITHM, SigningKeys
from webapp.settings import Settings

#: Claims every ID token carries (OpenID Connect Core §2 and §5.1).
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name",
                   "preferred_username", "email")


class IdentityProvider:
    def __init__(self, settings: Settings, clock: Clock, keys: SigningKeys, users: UserDirectory,
                 clients: ClientRegistry, grants: GrantStore, csrf_key: bytes) -> None:
        self.settings = settings
        self.clock = clock
        self.keys = keys
        self.users = users
        self.clients = clients
        self.grants = grants
        self.csrf_key = csrf_key

    @classmethod
    def open(cls, settings: Settings, clock: Clock = system_clock) -> IdentityProvider:
        """The provider whose state lives in ``settings.data_dir``; created on first start."""
        data = Path(settings.data_dir)
        keys = SigningKeys(data / "keys" / "idp-signing.json")
        keys.current()
        users = UserDirectory(data / "idp" / "users.json", clock)
        users.ensure()
        clients = ClientRegistry(data / "idp" / "clients.json", settings)
        grants = GrantStore(data / "idp" / "refresh-tokens.json", clock)
        return cls(settings, clock, keys, users, clients, grants, _csrf_key(data / "keys" / "idp-csrf.key"))

    # What the rest of the stack reads ---------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: what ``/idp/jwks.json`` serves and what STS verifies tokens against."""
        return self.keys.jwks()

    def client_secret(self, client_id: str) -> str:
        """The secret of a registered client (the host reads its own to call the token endpoint)."""
        return self.clients.secret(client_id)

    def demo_profiles(self) -> list[tuple[str, str, str, str]]:
        """``(sub, display_name, plan, role)`` of the demo users, to seed the Profiles table."""
        profiles = []
        for name, *_ in DEMO_USERS:
            user = self.users.find(name)
            if user is not None:
                profiles.append((user.sub, user.display_name, user.plan, user.role))
        return profiles

    def metadata(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 §3 provider metadata."""
        base = self.settings.idp_url
        return {
            "issuer": self.settings.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "revocation_endpoint": f"{base}/revoke",
            "revocation_endpoint_auth_methods_supported": list(TOKEN_ENDPOINT_AUTH_METHODS),
            "jwks_uri": f"{base}/jwks.json",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": list(TOKEN_ENDPOINT_AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": list(ID_TOKEN_CLAIMS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }

    # ID tokens -------------------------------------------------------------------------------

    def user_claims(self, user: User) -> dict[str, Any]:
        """The identity claims of a user (OpenID Connect Core §5.1)."""
        return {"sub": user.sub, "name": user.display_name, "preferred_username": user.name,
                "email": user.email}

    def token_claims(self, *, audience: str, lifetime: int | None = None) -> dict[str, Any]:
        """The registered claims of a token issued now (RFC 7519 §4.1)."""
        now = int(self.clock())
        seconds = self.settings.id_token_lifetime_seconds if lifetime is None else lifetime
        return {"iss": self.settings.issuer, "aud": audience, "iat": now, "exp": now + seconds}

    def mint_id_token(self, user: User | str, *, audience: str | None = None, nonce: str | None = None,
                      lifetime: int | None = None, extra_claims: dict[str, Any] | None = None) -> str:
        """A signed ID token for ``user``, as the code flow would issue it.

        ``extra_claims`` replace or add claims; a value of ``None`` removes the claim (tests use
        this to build tokens without ``sub``, ``exp``, ...).
        """
        account = self.users.get(user) if isinstance(user, str) else user
        claims = self.token_claims(audience=audience or self.settings.client_id, lifetime=lifetime)
        claims["auth_time"] = claims["iat"]
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(self.user_claims(account))
        for name, value in (extra_claims or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)

    def sign(self, claims: dict[str, Any]) -> str:
        """RS256 over ``claims`` with the newest key, its ``kid`` in the header."""
        key = self.keys.current()
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[ALGORITHM])


def _csrf_key(path: Path) -> bytes:
    """The key that signs the sign-in form's CSRF tokens; kept so that a restart keeps open forms.
    Created atomically (``os.link`` of a complete file), so concurrent first starts agree."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()
