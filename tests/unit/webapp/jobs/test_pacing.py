"""Backoff retries only throttling, with full-jitter waits; the unit rate caps the average."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError

from webapp.jobs.pacing import Backoff, UnitRate


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Scan")


class Flaky:
    def __init__(self, failures: list[str]) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise error(self.failures.pop(0))
        return "ok"


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "RequestLimitExceeded"])
def test_throttling_is_retried_with_waits_under_the_exponential_cap(code: str) -> None:
    waits: list[float] = []
    backoff = Backoff(base=0.1, cap=1.0, sleep=waits.append, rng=random.Random(7))
    request = Flaky([code] * 6)
    assert backoff.call(request) == "ok"
    assert request.calls == 7 and backoff.retries == 6
    assert all(0 <= wait <= min(1.0, 0.1 * 2 ** n) for n, wait in enumerate(waits))
    assert len(set(waits)) == len(waits)  # jittered, not a fixed schedule


@pytest.mark.parametrize("code", ["ValidationException", "ConditionalCheckFailedException",
                                  "ResourceNotFoundException"])
def test_other_errors_are_not_retried(code: str) -> None:
    backoff = Backoff(sleep=lambda _: None)
    request = Flaky([code])
    with pytest.raises(ClientError):
        backoff.call(request)
    assert request.calls == 1 and backoff.retries == 0


def test_backoff_gives_up_after_its_attempts() -> None:
    backoff = Backoff(attempts=3, sleep=lambda _: None)
    request = Flaky(["ThrottlingException"] * 5)
    with pytest.raises(ClientError):
        backoff.call(request)
    assert request.calls == 3


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_unit_rate_keeps_the_average_at_the_cap() -> None:
    time = FakeTime()
    rate = UnitRate(10.0, clock=time.clock, sleep=time.sleep)
    for _ in range(50):
        rate.wait()
        rate.charge(4.0)  # each page costs 4 units
    # Before the 50th page 196 units were charged; 10 were free at the start (one second's worth),
    # the other 186 are paid back at 10 a second.
    assert time.now == pytest.approx(18.6, abs=1e-3)
    assert rate.consumed == 200.0


def test_no_rate_never_waits() -> None:
    time = FakeTime()
    rate = UnitRate(None, clock=time.clock, sleep=time.sleep)
    for _ in range(10):
        rate.wait()
        rate.charge(100.0)
    assert time.now == 0.0 and rate.consumed == 1000.0


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        UnitRate(0.0)
