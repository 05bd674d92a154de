"""Server-side sessions of the token-mediating backend, in the DynamoDB ``Sessions`` table.

draft-ietf-oauth-browser-based-apps, "Token-Mediating Backend": the backend runs the OAuth
client, keeps the refresh token, and gives the page only short-lived tokens. The browser holds a
random value in a signed, HttpOnly cookie; the table is keyed by its SHA-256, so a copy of the
table is not a set of cookies (docs/data-model.md, sessions).

``ExpiresAt`` is the table's TTL attribute, but TTL deletes "typically within a few days" of
expiry (DynamoDB Developer Guide, "Time to Live"), so an item past it is treated as absent here.
Reads are strongly consistent so that a logout on one machine is seen at once on the others.

A near-expiry ID token is refreshed (``SessionRefresher``) once per session: one refresh at a
time in a process, and across machines the conditional update decides; with rotating refresh
tokens (OAuth 2.0 Security BCP, RFC 9700 §4.14.2) a loser whose token was already spent takes
the winner's tokens instead of ending the session.

The CSRF token for ``POST /auth/logout`` is an HMAC of the cookie value under the host's secret
(OWASP CSRF Cheat Sheet, "Signed Double-Submit Cookie"): nothing more to store, and it cannot be
computed without the secret and the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from webapp.clock import Clock
from webapp.host.oidc import OidcError, Tokens

log = logging.getLogger("webapp.host.sessions")

#: Refresh the ID token when it has less than this left (the page then has time to call STS).
REFRESH_MARGIN_SECONDS = 60
#: How long a refused refresh waits for a concurrent one (another machine) to store its tokens.
RACE_POLLS, RACE_POLL_SECONDS = 20, 0.1


def session_key(cookie_value: str) -> str:
    """The table key: SHA-256 (hex) of the cookie's random value."""
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def csrf_token(secret: bytes, cookie_value: str) -> str:
    return hmac.new(secret, b"csrf\x00" + cookie_value.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, cookie_value: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret, cookie_value), presented or "")


def unverified_claims(id_token: str) -> dict[str, Any]:
    """Claims of an ID token this host verified before storing it (never of one from outside)."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True)
class Session:
    session_id: str
    sub: str
    issuer: str
    refresh_token: str | None
    id_token: str
    id_token_exp: int
    expires_at: int
    created_at: str
    #: What the session was signed in from, in words ("Chromium on Linux"): the session list.
    browser: str = ""

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def needs_refresh(self, now: float, margin: int = REFRESH_MARGIN_SECONDS) -> bool:
        return self.id_token_exp - now < margin

    @property
    def claims(self) -> dict[str, Any]:
        return unverified_claims(self.id_token)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Session:
        return cls(
            session_id=item["SessionId"]["S"],
            sub=item["Sub"]["S"],
            issuer=item["Issuer"]["S"],
            refresh_token=item.get("RefreshToken", {}).get("S"),
            id_token=item["IdToken"]["S"],
            id_token_exp=int(item["IdTokenExp"]["N"]),
            expires_at=int(item["ExpiresAt"]["N"]),
            created_at=item.get("CreatedAt", {}).get("S", ""),
            browser=item.get("Browser", {}).get("S", ""),
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "SessionId": {"S": self.session_id},
            "Sub": {"S": self.sub},
            "Issuer": {"S": self.issuer},
            "IdToken": {"S": self.id_token},
            "IdTokenExp": {"N": str(self.id_token_exp)},
            "ExpiresAt": {"N": str(self.expires_at)},
            "CreatedAt": {"S": self.created_at},
        }
        if self.refresh_token:
            item["RefreshToken"] = {"S": self.refresh_token}
        if self.browser:
            item["Browser"] = {"S": self.browser}
        return item


@dataclass(frozen=True)
class SessionSummary:
    """One of a user's sessions as the session list shows it (never its tokens)."""

    session_id: str
    created_at: str
    browser: str


class SessionStore:
    """Sessions over a boto3 DynamoDB client signed with the host's own credentials (the
    ``WebHost`` role may only GetItem/PutItem/UpdateItem/DeleteItem on this table)."""

    def __init__(self, client: Any, table: str, clock: Clock,
                 lifetime_seconds: int) -> None:
        self.client = client
        self.table = table
        self.clock = clock
        self.lifetime_seconds = lifetime_seconds
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def create(self, *, sub: str, issuer: str, id_token: str, id_token_exp: int,
               refresh_token: str | None, browser: str = "") -> tuple[str, Session]:
        """A new session; returns the cookie value (never stored) and the session."""
        cookie_value = secrets.token_urlsafe(32)  # 256 bits (ASVS 5.0 7.2.3: >= 128)
        now = self.clock()
        session = Session(
            session_id=session_key(cookie_value), sub=sub, issuer=issuer,
            refresh_token=refresh_token, id_token=id_token, id_token_exp=int(id_token_exp),
            expires_at=int(now) + self.lifetime_seconds,
            created_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            browser=browser[:80],
        )
        self.client.put_item(
            TableName=self.table, Item=session.to_item(),
            ConditionExpression="attribute_not_exists(SessionId)",
        )
        return cookie_value, session

    def get(self, cookie_value: str) -> Session | None:
        """The live session for a cookie value, or ``None`` (absent, or past ``ExpiresAt``)."""
        response = self.client.get_item(
            TableName=self.table, Key={"SessionId": {"S": session_key(cookie_value)}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        session = Session.from_item(item)
        return None if session.expired(self.clock()) else session

    def replace_tokens(self, session: Session, *, id_token: str, id_token_exp: int,
                       refresh_token: str | None) -> bool:
        """Store refreshed tokens, unless another request already did (``False`` then): the
        update is conditional on the tokens this request started from."""
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        names = {"#id": "IdToken", "#exp": "IdTokenExp", "#rt": "RefreshToken"}
        values: dict[str, Any] = {":id": {"S": id_token}, ":exp": {"N": str(int(id_token_exp))},
                                  ":old": {"S": session.id_token}}
        update = "SET #id = :id, #exp = :exp"
        if refresh_token:
            update += ", #rt = :rt"
            values[":rt"] = {"S": refresh_token}
        try:
            self.client.update_item(
                TableName=self.table, Key={"SessionId": {"S": session.session_id}},
                UpdateExpression=update, ConditionExpression="#id = :old",
                ExpressionAttributeNames=names if refresh_token else
                {k: v for k, v in names.items() if k != "#rt"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, cookie_value: str) -> None:
        self.delete_by_id(session_key(cookie_value))

    def delete_by_id(self, session_id: str) -> Session | None:
        """Delete one session by its table key; returns it as it was (for revoking its grant)."""
        answer = self.client.delete_item(TableName=self.table, Key={"SessionId": {"S": session_id}},
                                         ReturnValues="ALL_OLD")
        old = answer.get("Attributes")
        return Session.from_item(old) if old else None

    def sessions_of(self, sub: str, issuer: str) -> list[SessionSummary]:
        """The user's live sessions, oldest first (Query on the GSI ``BySub``, which projects no
        token). Eventually consistent, as every GSI read is: a session started a moment ago may
        be missing for a moment."""
        found: list[SessionSummary] = []
        paginator = self.client.get_paginator("query")
        now = self.clock()
        for page in paginator.paginate(
            TableName=self.table, IndexName="BySub", KeyConditionExpression="#sub = :sub",
            ExpressionAttributeNames={"#sub": "Sub"}, ExpressionAttributeValues={":sub": {"S": sub}},
        ):
            for item in page.get("Items", []):
                if item.get("Issuer", {}).get("S") != issuer:
                    continue
                if now >= int(item.get("ExpiresAt", {}).get("N", "0")):
                    continue
                found.append(SessionSummary(item["SessionId"]["S"], item.get("CreatedAt", {}).get("S", ""),
                                            item.get("Browser", {}).get("S", "")))
        return found

    def lock(self, session_id: str) -> threading.Lock:
        """One refresh at a time per session in this process (others wait, then reuse it)."""
        with self._locks_guard:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(session_id, threading.Lock())


class TokenRefresh(Protocol):
    """What the refresher needs of the OpenID Connect client (``OidcClient.refresh``): new tokens
    for a refresh token, or ``OidcError`` (401 when refused, ``grant_refused`` when the provider
    refused the refresh token itself; another status when the provider is unreachable)."""

    def refresh(self, refresh_token: str, *, sub: str, issuer: str) -> Tokens: ...


class SessionRefresher:
    """Gives a session a fresh ID token through the provider, racing safely with other requests
    and other machines refreshing the same session."""

    def __init__(self, store: SessionStore, oidc: TokenRefresh, clock: Clock,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.oidc = oidc
        self.clock = clock
        self.sleep = sleep

    def refresh(self, current: Session, cookie_value: str) -> Session | None:
        """The session with a fresh ID token, or ``None`` when it cannot be refreshed (then it is
        deleted). One refresh at a time per session here; across machines the conditional update
        decides, and a loser whose refresh token was already rotated takes the winner's token.
        Raises ``OidcError`` (not 401) when the provider is down: the session is kept."""
        store = self.store
        with store.lock(current.session_id):
            latest = store.get(cookie_value)  # another request may have refreshed meanwhile
            if latest is None:
                return None
            if not latest.needs_refresh(self.clock()):
                return latest
            if not latest.refresh_token:
                store.delete(cookie_value)
                return None
            try:
                tokens = self.oidc.refresh(latest.refresh_token, sub=latest.sub, issuer=latest.issuer)
            except OidcError as error:
                if error.status != 401:
                    raise  # the provider is down: keep the session, say so
                winner = self._refreshed_elsewhere(cookie_value, latest) if error.grant_refused else None
                if winner is not None:
                    return winner
                log.info("refresh refused, session ended: %s", error.message)
                store.delete(cookie_value)
                return None
            store.replace_tokens(latest, id_token=tokens.id_token, id_token_exp=tokens.expires_at,
                                 refresh_token=tokens.refresh_token)
            return store.get(cookie_value)  # ours, or the one another machine stored first

    def _refreshed_elsewhere(self, cookie_value: str, spent: Session) -> Session | None:
        """When the provider refuses a refresh token, another machine may have just spent it
        (rotation) and be about to store the new tokens: wait briefly for them."""
        for _ in range(RACE_POLLS):
            now = self.store.get(cookie_value)
            if now is None:
                return None
            if now.id_token != spent.id_token:
                return now
            self.sleep(RACE_POLL_SECONDS)
        return None
