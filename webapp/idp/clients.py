"""OAuth clients of the dev provider, in ``<data>/idp/clients.json``.

There is one: the host (``Settings.client_id``), a confidential client (RFC 6749 §2.1) that
authenticates at the token endpoint with ``client_secret_basic`` or ``client_secret_post`` and
whose secret is generated on first start and kept in the file. Its redirect URIs are derived from
the current settings on every start, and matched exactly (RFC 9700 §4.1.3, ASVS 5.0 10.4.1):
``<host_url>/auth/callback`` and the same on ``http://127.0.0.1:<port>``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list

from webapp.idp.jsonfile import Document, JsonFile
from webapp.settings import Settings

SCOPES = ("openid", "profile", "email", "offline_access")
TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...] = SCOPES
    client_metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OpenID Connect Core §3.1.2.1: redirect_uri is REQUIRED, so there is no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return str(list_to_scope([s for s in scope_to_list(scope) if s in self.scopes]))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # The revocation endpoint (RFC 7009 §2.1) authenticates the client as the token endpoint does.
        return endpoint in ("token", "revocation") and method in TOKEN_ENDPOINT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


def host_redirect_uris(settings: Settings) -> tuple[str, ...]:
    uris = [f"{settings.host_url}/auth/callback", f"http://127.0.0.1:{settings.port}/auth/callback"]
    return tuple(dict.fromkeys(uris))


class ClientRegistry:
    def __init__(self, path: Path, settings: Settings) -> None:
        self._settings = settings
        self._file = JsonFile(path, lambda: {"clients": []})
        self._ensure(settings.client_id)

    def _ensure(self, client_id: str) -> None:
        if any(raw["client_id"] == client_id for raw in self._file.read()["clients"]):
            return

        def change(doc: Document) -> None:
            if not any(raw["client_id"] == client_id for raw in doc["clients"]):
                doc["clients"].append({"client_id": client_id, "client_secret": secrets.token_urlsafe(32)})

        self._file.update(change)

    def get(self, client_id: str | None) -> Client | None:
        for raw in self._file.read()["clients"]:
            if raw["client_id"] == client_id:
                extra = tuple(raw.get("redirect_uris", ()))
                uris = host_redirect_uris(self._settings) if client_id == self._settings.client_id else ()
                return Client(client_id=raw["client_id"], client_secret=raw["client_secret"],
                              redirect_uris=tuple(dict.fromkeys(uris + extra)))
        return None

    def secret(self, client_id: str) -> str:
        client = self.get(client_id)
        if client is None:
            raise KeyError(f"unknown client {client_id!r}")
        return client.client_secret
