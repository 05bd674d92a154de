"""A cache of the providers' public JWKS, with one rate-limited refetch for an unknown ``kid``.

STS reads a provider's keys from its JWKS (IAM UG, "Obtaining the thumbprint for an OIDC
identity provider": discovery, then ``jwks_uri``). The cache keeps each issuer's keys for
``ttl`` seconds; a token naming a ``kid`` that is not in the cached set triggers one refetch, so
a genuinely rotated key is picked up at once (OIDF ``oidcc-client-test-signing-key-rotation``,
attack T-43), while the same unknown ``kid`` again, or a flood of made-up ones, cannot hammer the
provider (attack T-07). Keys never come from the token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webapp.clock import Clock
from webapp.sts.errors import IDPCommunicationError
from webapp.sts.tokens import NO_KEY

JwksFetcher = Callable[[str], Mapping[str, Any]]


@dataclass
class _Entry:
    jwks: Mapping[str, Any]
    fetched_at: float


class JwksCache:
    """``cache(issuer, kid)`` -> the issuer's JWKS; thread-safe.

    An unknown ``kid`` triggers a refetch unless the same ``kid`` was already missing less than
    ``min_refetch_interval`` seconds ago; refetches for unknown ``kid``s also draw on a small token
    bucket per issuer (``burst``, refilled one per ``refill_seconds``), so a flood of made-up
    ``kid``s costs the provider a handful of requests, while a genuine rotation is seen at once.
    """

    def __init__(self, fetch: JwksFetcher, clock: Clock, *, ttl: float = 300.0,
                 min_refetch_interval: float = 30.0, burst: int = 5, refill_seconds: float = 10.0) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._min_refetch = min_refetch_interval
        self._burst = burst
        self._refill = refill_seconds
        self._entries: dict[str, _Entry] = {}
        self._missing: dict[tuple[str, str], float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        #: How many times each issuer's JWKS was fetched (for tests and the audit).
        self.fetches: dict[str, int] = {}

    def __call__(self, issuer: str, kid: str | None) -> Mapping[str, Any]:
        with self._lock:
            now = self._clock()
            entry = self._entries.get(issuer)
            fetched = False
            if entry is None or now - entry.fetched_at >= self._ttl:
                entry, fetched = self._refresh(issuer, now), True
            if kid is None or _has_kid(entry.jwks, kid):
                return entry.jwks
            missed = self._missing.get((issuer, kid))
            recently_missed = missed is not None and now - missed < self._min_refetch
            if not fetched and not recently_missed and self._take(issuer, now):
                entry = self._refresh(issuer, now)
            if not _has_kid(entry.jwks, kid):
                if len(self._missing) >= 1024:
                    self._missing.clear()
                self._missing[(issuer, kid)] = now
            return entry.jwks

    def _take(self, issuer: str, now: float) -> bool:
        tokens, last = self._buckets.get(issuer, (float(self._burst), now))
        tokens = min(float(self._burst), tokens + (now - last) / self._refill)
        if tokens < 1.0:
            self._buckets[issuer] = (tokens, now)
            return False
        self._buckets[issuer] = (tokens - 1.0, now)
        return True

    def _refresh(self, issuer: str, now: float) -> _Entry:
        self.fetches[issuer] = self.fetches.get(issuer, 0) + 1
        try:
            jwks = self._fetch(issuer)
        except Exception as exc:  # the provider is unreachable or broken: STS says so, retryably
            raise IDPCommunicationError(NO_KEY) from exc
        entry = _Entry(jwks=dict(jwks), fetched_at=now)
        self._entries[issuer] = entry
        return entry


def _has_kid(jwks: Mapping[str, Any], kid: str) -> bool:
    keys = jwks.get("keys")
    return isinstance(keys, list) and any(isinstance(k, Mapping) and k.get("kid") == kid for k in keys)
