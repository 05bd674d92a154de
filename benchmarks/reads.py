"""Benchmark: the backend's CPU per Query and Scan, each read path against moto's loop, in one run.

    python benchmarks/reads.py [--items 20000] [--partitions 200] [--rounds 15]

In process, no HTTP: one ``LocalBackend`` (locks, capacity metering, ``semantics``, ``fast_reads``,
``moto_models``: what the DynamoDB endpoint calls once a request is authorized; its journal in a
temporary directory, without fsync) holds a table of ``--items`` items of
about 150 bytes in ``--partitions`` partitions, with a local index (ALL), a global index with
many equal sort keys (INCLUDE) and a global index of few partitions (KEYS_ONLY). Each case is a
request the app or an SDK sends; each round runs every case once with this session's read paths on and once with
them off (as before: moto's loop for Query and index Scans, the Scan order dropped on every
write, a filtered read's capacity measured by reading it again),
in alternating order, and times each call with ``time.thread_time`` (this thread's CPU, which
the other developers' processes on a shared machine do not inflate). Medians per call are
printed side by side with their ratio. Answers are checked equal first.

Cases with "after a write" put one item before each timed call (not timed), as the app does
between its reads: what that write changes in the read path's caches (kept in step now, dropped
before) is paid for inside the timed call.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webapp.backend.local import LocalBackend  # noqa: E402
from webapp.backend.moto_models import _UndoableTable  # noqa: E402
from webapp.backend.semantics import reads  # noqa: E402
from webapp.clock import system_clock  # noqa: E402

TABLE = "Reads"


def spec() -> dict[str, Any]:
    return {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "UserId", "KeyType": "HASH"}, {"AttributeName": "Sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in
                                 (("UserId", "S"), ("Sk", "S"), ("TakenOn", "S"), ("Tag", "S"), ("Day", "N"),
                                  ("Shard", "S"))],
        "LocalSecondaryIndexes": [{"IndexName": "ByDate", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "UserId", "KeyType": "HASH"}, {"AttributeName": "TakenOn", "KeyType": "RANGE"}]}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "ByTag", "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Title"]},
             "KeySchema": [{"AttributeName": "Tag", "KeyType": "HASH"}, {"AttributeName": "Day", "KeyType": "RANGE"}]},
            {"IndexName": "ByShard", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "Shard", "KeyType": "HASH"}]}],
    }


def item(n: int, partitions: int) -> dict[str, Any]:
    kind = "COUNT" if n % 10 == 0 else "PHOTO"
    return {"UserId": {"S": f"user-{n % partitions:05d}"}, "Sk": {"S": f"{kind}#{n:08d}"},
            "TakenOn": {"S": f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}#{n}"}, "Tag": {"S": f"tag{n % 50}"},
            "Day": {"N": str(n % 30)}, "Shard": {"S": f"s{n % 4}"}, "Title": {"S": f"Photo number {n}"},
            "Pad": {"S": "x" * 60}}


def cases(partitions: int) -> dict[str, tuple[dict[str, Any], bool]]:
    """name -> (request, whether a write precedes each call)."""
    me = {":me": {"S": "user-00007"}}
    base = {"TableName": TABLE}
    photos = {**base, "KeyConditionExpression": "UserId = :me", "ExpressionAttributeValues": me}
    return {
        "Query table, key only (ListPhotos, control)": ({**photos, "ScanIndexForward": False, "Limit": 50}, False),
        "Query table, begins_with (TagCloud)": ({**base, "KeyConditionExpression": "UserId = :me AND begins_with(Sk, :c)",
                                                 "ExpressionAttributeValues": {**me, ":c": {"S": "COUNT#"}}}, False),
        "Query table, BETWEEN, descending": ({**base, "KeyConditionExpression": "UserId = :me AND Sk BETWEEN :a AND :b",
                                              "ScanIndexForward": False,
                                              "ExpressionAttributeValues": {**me, ":a": {"S": "PHOTO#00005000"},
                                                                            ":b": {"S": "PHOTO#00015000"}}}, False),
        "Query table, page 2 (ExclusiveStartKey)": ({**photos, "Limit": 25, "ExclusiveStartKey": {
            "UserId": {"S": "user-00007"}, "Sk": {"S": "PHOTO#00010007"}}}, False),
        "Query table, filter + projection, capacity": ({**photos, "ReturnConsumedCapacity": "TOTAL", "FilterExpression": "#d > :d", "ProjectionExpression": "Title",
                                              "ExpressionAttributeNames": {"#d": "Day"},
                                              "ExpressionAttributeValues": {**me, ":d": {"N": "15"}}}, False),
        "Query LSI, range condition": ({**base, "IndexName": "ByDate", "KeyConditionExpression":
                                        "UserId = :me AND TakenOn BETWEEN :a AND :b",
                                        "ExpressionAttributeValues": {**me, ":a": {"S": "2026-03"}, ":b": {"S": "2026-09"}}},
                                       False),
        "Query GSI, equal sort keys, page 2": ({**base, "IndexName": "ByTag", "Limit": 20,
                                                "KeyConditionExpression": "Tag = :t AND #d = :d",
                                                "ExpressionAttributeNames": {"#d": "Day"},
                                                "ExpressionAttributeValues": {":t": {"S": "tag7"}, ":d": {"N": "7"}},
                                                "ExclusiveStartKey": {"Tag": {"S": "tag7"}, "Day": {"N": "7"},
                                                                      "UserId": {"S": "user-00007"},
                                                                      "Sk": {"S": "PHOTO#00000007"}}}, False),
        "Query GSI, after a write": ({**base, "IndexName": "ByTag", "KeyConditionExpression": "Tag = :t",
                                      "Limit": 50, "ExpressionAttributeValues": {":t": {"S": "tag7"}}}, True),
        "Scan table, page of 500": ({**base, "Limit": 500}, False),
        "Scan table, page of 500, after a write": ({**base, "Limit": 500}, True),
        "Scan GSI, page of 100": ({**base, "IndexName": "ByShard", "Limit": 100}, False),
    }


class _Uncarried(dict[str, Any]):
    """``reads.Read`` as before it carried the evaluated items: capacity reads them again."""

    @property
    def evaluated(self) -> None:
        return None

    @evaluated.setter
    def evaluated(self, _items: Any) -> None:
        pass


@contextmanager
def paths(on: bool) -> Iterator[None]:
    saved = _UndoableTable.key_order_reads, reads.Read
    _UndoableTable.key_order_reads = on
    reads.Read = reads.Read if on else _Uncarried  # type: ignore[misc]
    try:
        yield
    finally:
        _UndoableTable.key_order_reads, reads.Read = saved  # type: ignore[misc]


def timed(engine: LocalBackend, operation: str, request: dict[str, Any]) -> float:
    """This thread's CPU seconds for one call (the request decoded afresh, as from the wire)."""
    params = json.loads(json.dumps(request))
    started = time.thread_time()
    engine.call(operation, params)
    return time.thread_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items in the table (default 20000)")
    parser.add_argument("--partitions", type=int, default=200, help="partition key values (default 200)")
    parser.add_argument("--rounds", type=int, default=15, help="timed calls of each case and path (default 15)")
    args = parser.parse_args()
    work = tempfile.TemporaryDirectory()
    engine = LocalBackend(Path(work.name), region="us-east-1", account_id="000000000000", clock=system_clock,
                          sync=False, compact_every=10**9)
    engine.call("CreateTable", spec())
    for n in range(args.items):
        engine.call("PutItem", {"TableName": TABLE, "Item": item(n, args.partitions)})
    written = [args.items]

    def write() -> None:
        engine.call("PutItem", {"TableName": TABLE, "Item": item(written[0], args.partitions)})
        written[0] += 1

    print(f"{args.items} items in {args.partitions} partitions; CPU ms per call (thread_time), "
          f"medians of {args.rounds}")
    print(f"{'case':48} {'before':>10} {'now':>10} {'ratio':>7}")
    for name, (request, after_write) in cases(args.partitions).items():
        answers = []
        for on in (False, True):
            with paths(on):
                answers.append(json.dumps(engine.call("Query" if "KeyConditionExpression" in request else "Scan",
                                                      json.loads(json.dumps(request))), sort_keys=True))
        if answers[0] != answers[1]:
            raise SystemExit(f"{name}: the two paths answer differently")
        operation = "Query" if "KeyConditionExpression" in request else "Scan"
        times: dict[bool, list[float]] = {False: [], True: []}
        for round_number in range(args.rounds):
            for on in (False, True) if round_number % 2 == 0 else (True, False):
                with paths(on):
                    if after_write:  # (the other path's write may have dropped what this one keeps)
                        timed(engine, operation, request)
                        write()
                    times[on].append(timed(engine, operation, request))
        before, after = statistics.median(times[False]) * 1000, statistics.median(times[True]) * 1000
        print(f"{name:48} {before:10.2f} {after:10.2f} {before / after if after else float('inf'):6.1f}x")
    engine.close()
    work.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
