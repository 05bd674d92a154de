"""What the provider has handed out: authorization codes, access tokens and refresh tokens.

- Codes live in memory for at most ``CODE_LIFETIME`` (10 minutes, RFC 6749 §4.1.2 and ASVS 5.0
  10.4.3) and are single-use: the first token request that presents a code consumes it, whatever
  its outcome. A second presentation is refused and revokes every token issued from that code
  (RFC 6749 §4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on that
  authorization code"; ASVS 5.0 10.4.2).
- Access tokens (only good for ``/userinfo``) live in memory.
- Refresh tokens are persisted in ``<data>/idp/refresh-tokens.json`` so that a restart keeps the
  host's sessions. Only their SHA-256 is stored. They rotate on every use; presenting a rotated
  one again revokes the whole grant (RFC 9700 §4.14.2, refresh token rotation), except within
  ``ROTATION_GRACE`` seconds of the rotation, where it is only refused: two requests of one
  session racing to refresh are a client's accident, not a replay (the "reuse interval" of
  commercial providers).

Every code starts a *grant* (``grant_id``); the tokens issued from it, and from its refreshes,
carry the same ``grant_id``, which is what revocation acts on: a reused code, a replayed refresh
token, and a client's RFC 7009 revocation request (the host's sign-out) all revoke the grant.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from webapp.clock import Clock
from webapp.idp.jsonfile import Document, JsonFile

CODE_LIFETIME = 600
ACCESS_TOKEN_LIFETIME = 600
REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600
ROTATION_GRACE = 10
#: Spent refresh tokens are remembered this long to detect their replay, then forgotten (a session
#: refreshing every 10 minutes would otherwise add 144 records a day).
SPENT_RETENTION = 24 * 3600

log = logging.getLogger(__name__)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_grant_id() -> str:
    return secrets.token_hex(16)


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """An issued code (kept under the SHA-256 of the code itself)."""

    grant_id: str
    client_id: str
    redirect_uri: str
    scope: str
    sub: str
    auth_time: int
    expires_at: float
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass(frozen=True)
class IssuedToken(TokenMixin):  # type: ignore[misc]
    """An access or refresh token's record; ``expires_at``/``revoked`` are about that token."""

    token_hash: str
    grant_id: str
    client_id: str
    sub: str
    scope: str
    auth_time: int
    issued_at: float
    expires_at: float
    revoked: bool = False
    #: When a refresh token was spent by rotation (not when its grant was revoked).
    rotated_at: float | None = None
    clock: Clock | None = None

    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - self.issued_at)

    def is_expired(self) -> bool:
        now = self.clock() if self.clock else 0.0
        return now >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked


class GrantStore:
    def __init__(self, refresh_path: Path, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, IssuedToken] = {}
        self._refresh = JsonFile(refresh_path, lambda: {"tokens": []})

    # Codes ---------------------------------------------------------------------------------

    def save_code(self, code: str, record: AuthorizationCode) -> None:
        with self._lock:
            self._forget_expired_codes()
            self._codes[digest(code)] = record

    def take_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code's record if it is fresh, unused and was issued to ``client_id``; it is then
        used up. A code presented again revokes its grant."""
        with self._lock:
            self._forget_expired_codes()
            record = self._codes.get(digest(code))
            if record is None or record.client_id != client_id:
                return None
            if record.used:
                log.warning("authorization code presented twice (client %s, sub %s): grant %s revoked",
                            client_id, record.sub, record.grant_id)
                self.revoke_grant(record.grant_id)
                return None
            record.used = True
            return replace(record)

    def _forget_expired_codes(self) -> None:
        now = self._clock()
        for key in [k for k, r in self._codes.items() if r.expires_at <= now]:
            del self._codes[key]

    # Tokens --------------------------------------------------------------------------------

    def save_tokens(self, token: dict[str, Any], *, grant_id: str, client_id: str, sub: str,
                    scope: str, auth_time: int) -> None:
        now = self._clock()
        base = IssuedToken(token_hash="", grant_id=grant_id, client_id=client_id, sub=sub,
                           scope=scope, auth_time=auth_time, issued_at=now, expires_at=now,
                           clock=self._clock)
        with self._lock:
            if access := token.get("access_token"):
                lifetime = int(token.get("expires_in") or ACCESS_TOKEN_LIFETIME)
                self._access[digest(access)] = replace(base, token_hash=digest(access),
                                                       expires_at=now + lifetime)
                self._forget_expired_access()
            if refresh := token.get("refresh_token"):
                record = replace(base, token_hash=digest(refresh),
                                 expires_at=now + REFRESH_TOKEN_LIFETIME, clock=None)

                def add(doc: Document) -> None:
                    doc["tokens"] = [t for t in doc["tokens"] if _worth_keeping(t, now)]
                    doc["tokens"].append(_persisted(record))

                self._refresh.update(add)

    def access_token(self, token: str) -> IssuedToken | None:
        with self._lock:
            return self._access.get(digest(token))

    def take_refresh_token(self, token: str, client_id: str) -> IssuedToken | None:
        """The live record of a refresh token issued to ``client_id``, spent in the same step
        (under the file lock, so two concurrent refreshes cannot both succeed). A spent one
        presented again revokes its whole grant: someone is replaying an old token."""
        wanted = digest(token)
        now = self._clock()
        found: list[IssuedToken] = []

        def spend(doc: Document) -> None:
            for raw in doc["tokens"]:
                if raw["token_hash"] == wanted and raw["client_id"] == client_id:
                    found.append(IssuedToken(**raw, clock=self._clock))
                    if not raw["revoked"] and raw["expires_at"] > now:
                        raw["revoked"] = True
                        raw["rotated_at"] = now

        with self._lock:
            self._refresh.update(spend)
            if not found:
                return None
            record = found[0]
            if record.revoked:
                racing = record.rotated_at is not None and now - record.rotated_at < ROTATION_GRACE
                if not racing:
                    log.warning("spent refresh token replayed (client %s, sub %s): grant %s revoked",
                                record.client_id, record.sub, record.grant_id)
                    self.revoke_grant(record.grant_id)
                return None
            return None if record.is_expired() else record

    def refresh_token_record(self, token: str) -> IssuedToken | None:
        """The record of a refresh token, without spending it (RFC 7009 revocation looks it up)."""
        wanted = digest(token)
        with self._lock:
            for raw in self._refresh.read()["tokens"]:
                if raw["token_hash"] == wanted:
                    return IssuedToken(**raw, clock=self._clock)
        return None

    def revoke_grant(self, grant_id: str) -> None:
        """Revoke every token issued from one authorization (its code and all its refreshes)."""

        def change(doc: Document) -> None:
            for raw in doc["tokens"]:
                if raw["grant_id"] == grant_id:
                    raw["revoked"] = True

        with self._lock:
            for key in [k for k, t in self._access.items() if t.grant_id == grant_id]:
                self._access[key] = replace(self._access[key], revoked=True)
            self._refresh.update(change)

    def _forget_expired_access(self) -> None:
        now = self._clock()
        for key in [k for k, t in self._access.items() if t.expires_at <= now]:
            del self._access[key]


def _worth_keeping(raw: dict[str, Any], now: float) -> bool:
    spent_at = raw.get("rotated_at")
    return bool(raw["expires_at"] > now and (spent_at is None or now - spent_at < SPENT_RETENTION))


def _persisted(record: IssuedToken) -> dict[str, Any]:
    raw = asdict(record)
    raw.pop("clock")
    return raw
