"""The clock is injected everywhere time matters (token expiry, SigV4 skew, credential expiry,
TTL, token buckets), so that tests can move it."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Seconds since the epoch, as ``time.time`` gives them.
Clock = Callable[[], float]

system_clock: Clock = time.time


class ManualClock:
    """A clock tests can set and advance."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
