"""``ClientRequestToken`` for TransactWriteItems (security-anchors §5.1, R-4).

DynamoDB API Reference, TransactWriteItems, ``ClientRequestToken``: "A client token is valid
for 10 minutes after the first request that uses it is completed. After 10 minutes, any request
with the same client token is treated as a new request. ... If you submit a request with the
same client token but a change in other parameters within the 10-minute idempotency window,
DynamoDB returns an IdempotentParameterMismatch exception." A repeat within the window
"returns successfully without making any changes".

moto has none of this (§5.2), so the cache lives here. Only successful transactions are
remembered: a cancelled one changed nothing and may be retried. The cache is rebuilt from the
journal (each remembered transaction's record carries its token) and kept in snapshots.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webapp.backend.errors import IdempotentParameterMismatchException

WINDOW_SECONDS = 600.0


def fingerprint(params: Mapping[str, Any]) -> str:
    """What must be identical for a repeat: every parameter but the token itself."""
    rest = {k: v for k, v in params.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    completed_at: float
    response: dict[str, Any]


class IdempotencyCache:
    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._entries: dict[str, Entry] = {}

    def lookup(self, token: str, params: Mapping[str, Any], now: float) -> dict[str, Any] | None:
        """The first response for a repeat within the window; ``None`` for a new request."""
        self._purge(now)
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry.fingerprint != fingerprint(params):
            raise IdempotentParameterMismatchException()
        return entry.response

    def remember(self, token: str, digest: str, completed_at: float, response: dict[str, Any]) -> None:
        self._entries[token] = Entry(digest, completed_at, response)

    def _purge(self, now: float) -> None:
        expired = [t for t, e in self._entries.items() if now - e.completed_at >= self.window]
        for token in expired:
            del self._entries[token]

    # Snapshots ----------------------------------------------------------------------------------

    def export(self, now: float) -> list[dict[str, Any]]:
        self._purge(now)
        return [
            {"token": t, "fingerprint": e.fingerprint, "completed_at": e.completed_at, "response": e.response}
            for t, e in self._entries.items()
        ]

    def load(self, entries: list[dict[str, Any]]) -> None:
        for e in entries:
            self.remember(e["token"], e["fingerprint"], e["completed_at"], e["response"])
