"""The parallel scan every job is made of: one thread per segment, each resumable on its own.

DynamoDB splits a table into ``TotalSegments`` disjoint segments; a ``Scan`` with ``Segment=n``
returns only segment ``n``'s items, paginated by ``LastEvaluatedKey`` (DynamoDB Developer Guide,
"Parallel scan"). ``pages`` walks one segment from a checkpointed key; ``run_parallel`` runs one
worker per segment on threads, stops them all between pages on Ctrl-C or when one fails, and
reports the first failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from webapp.jobs.checkpoint import JobError
from webapp.jobs.pacing import Backoff, UnitRate
from webapp.jobs.wire import Item, from_json, to_json


@dataclass(frozen=True)
class Page:
    items: list[Item]
    #: where the next page starts, in DynamoDB JSON (what the checkpoint stores); None: segment done
    next_key: dict[str, Any] | None


@dataclass(frozen=True)
class ScanSettings:
    table: str
    total_segments: int
    page_size: int | None = None
    consistent_read: bool = False


def describe(client: Any, table: str, *, missing: str = "") -> dict[str, Any]:
    """``DescribeTable``'s ``Table``, or a one-line error when there is no such table (``missing``
    is added to it: what to do about it)."""
    try:
        return dict(client.describe_table(TableName=table)["Table"])
    except client.exceptions.ResourceNotFoundException:
        raise JobError(f"no table named {table} at this endpoint{missing}") from None


class Interrupted(Exception):
    """The job was stopped (Ctrl-C) between pages; its checkpoint says where to resume."""


def pages(client: Any, settings: ScanSettings, segment: int, start_key: dict[str, Any] | None, *,
          backoff: Backoff, rate: UnitRate, stop: threading.Event) -> Iterator[Page]:
    """Segment ``segment``'s pages from ``start_key`` (DynamoDB JSON) to its end."""
    params: dict[str, Any] = {"TableName": settings.table, "Segment": segment,
                              "TotalSegments": settings.total_segments,
                              "ConsistentRead": settings.consistent_read,
                              "ReturnConsumedCapacity": "TOTAL"}
    if settings.page_size:
        params["Limit"] = settings.page_size
    key = start_key
    while not stop.is_set():
        rate.wait()
        request = dict(params, ExclusiveStartKey=from_json(key)) if key else params
        response: dict[str, Any] = backoff.call(partial(client.scan, **request))
        rate.charge(float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)))
        last = response.get("LastEvaluatedKey")
        key = to_json(last) if last else None
        yield Page(response.get("Items", []), key)
        if key is None:
            return


def run_parallel(segments: Iterable[int], work: Callable[[int], None], stop: threading.Event) -> None:
    """``work(segment)`` for each segment on its own thread; the first failure is re-raised.

    The main thread only waits (in short joins, so Ctrl-C reaches it); on Ctrl-C or a failure it
    sets ``stop``, which every worker checks between pages, and waits for them to finish the page
    in hand and record it.
    """
    failures: list[tuple[int, BaseException]] = []

    def guarded(segment: int) -> None:
        try:
            work(segment)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread below
            failures.append((segment, exc))
            stop.set()

    threads = [threading.Thread(target=guarded, args=(s,), name=f"segment-{s}", daemon=True)
               for s in segments]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
        raise Interrupted() from None
    if failures:
        segment, exc = min(failures, key=lambda f: f[0])
        raise SegmentFailed(segment, exc) from exc
    if stop.is_set():
        raise Interrupted()


class SegmentFailed(Exception):
    def __init__(self, segment: int, cause: BaseException) -> None:
        super().__init__(f"segment {segment} failed: {_error_text(cause)}")
        self.segment, self.cause = segment, cause


def _error_text(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(exc).__name__}: {exc}"
