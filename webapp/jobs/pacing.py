"""Never starve the app: back off on throttling, and cap the capacity units a job consumes.

- ``with_backoff``: DynamoDB answers ``ProvisionedThroughputExceededException`` (and
  ``ThrottlingException`` for control-plane rates) when a table's capacity is used up; the
  remedy is to retry with exponentially growing, randomized waits ("Error retries and
  exponential backoff", DynamoDB Developer Guide). The waits are "full jitter" (a uniform draw
  in ``[0, min(cap, base * 2**attempt)]``, AWS Architecture Blog, "Exponential Backoff And
  Jitter"), so parallel segments that were throttled together do not retry together.
- ``UnitRate``: a token bucket shared by all the job's threads, charged with the
  ``ConsumedCapacity`` DynamoDB reports for each page. A page's cost is known only after it was
  read, so the bucket may go into debt; the next request waits until the debt is paid back. Over
  any long stretch the job consumes at most ``rate`` units a second.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

T = TypeVar("T")

THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
})


class Backoff:
    """Full-jitter exponential backoff for throttled calls; counts the retries it made."""

    def __init__(self, *, base: float = 0.05, cap: float = 10.0, attempts: int = 30,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.base, self.cap, self.attempts = base, cap, attempts
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self.retries = 0

    def call(self, request: Callable[[], T]) -> T:
        """``request()``, retried while DynamoDB says it is throttled."""
        for attempt in range(self.attempts):
            try:
                response = request()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in THROTTLING_CODES:
                    raise
                if attempt == self.attempts - 1:
                    raise
                self.pause(attempt)
                continue
            self._count_sdk_retries(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _count_sdk_retries(self, response: object) -> None:
        """The SDK's own quick retries (botocore's standard mode) count as backoff too."""
        if isinstance(response, dict):
            attempts = response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            if attempts:
                with self._lock:
                    self.retries += int(attempts)

    def pause(self, attempt: int) -> None:
        """Wait before retry number ``attempt`` (0-based) of something DynamoDB pushed back."""
        with self._lock:
            self.retries += 1
            wait = self._rng.uniform(0, min(self.cap, self.base * 2 ** attempt))
        self._sleep(wait)


class UnitRate:
    """At most ``rate`` capacity units a second on average, across every thread of a job."""

    def __init__(self, rate: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("the rate must be a positive number of capacity units a second")
        self.rate = rate
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens = rate or 0.0  # one second's worth to start with
        self._stamp = clock()
        self.consumed = 0.0

    def wait(self) -> None:
        """Before a request: wait until the units consumed so far are paid back."""
        if self.rate is None:
            return
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= -1e-6:  # paid back, up to float rounding
                    return
                missing = -self._tokens / self.rate
            self._sleep(missing)

    def charge(self, units: float) -> None:
        """After a request: the units DynamoDB says it consumed."""
        with self._lock:
            self.consumed += units
            if self.rate is not None:
                self._refill()
                self._tokens -= units

    def _refill(self) -> None:
        assert self.rate is not None
        now = self._clock()
        self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
