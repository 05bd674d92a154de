"""``python -m webapp.backend.bench``: what durability costs (the fsync before each answer).

Prints the median and 99th-percentile latency of a journal append with and without ``fsync``,
and the median in-process PutItem latency of the local backend with and without it, in a
temporary directory on the file system of ``--dir`` (default: the system's temp directory).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from webapp.backend.journal import Journal
from webapp.backend.local import LocalBackend
from webapp.clock import system_clock

ITEM = {"pk": {"S": "k"}, "d": {"S": "x" * 200}}


def journal_append(base: Path, sync: bool, count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(dir=base) as directory:
        journal = Journal(Path(directory), sync=sync)
        body = {"op": "PutItem", "params": {"TableName": "Bench", "Item": ITEM}, "t": 0.0}
        latencies = []
        for _ in range(count):
            start = time.perf_counter()
            journal.append(body)
            latencies.append(time.perf_counter() - start)
        journal.close()
    latencies.sort()
    return statistics.median(latencies) * 1e3, latencies[int(count * 0.99)] * 1e3


def put_item(base: Path, sync: bool, count: int) -> float:
    with tempfile.TemporaryDirectory(dir=base) as directory:
        backend = LocalBackend(Path(directory), region="us-east-1", account_id="000000000000",
                               clock=system_clock, sync=sync, compact_every=10**9)
        backend.call("CreateTable", {
            "TableName": "Bench", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        })
        latencies = []
        for index in range(count):
            start = time.perf_counter()
            backend.call("PutItem", {"TableName": "Bench", "Item": {**ITEM, "pk": {"S": f"k{index}"}}})
            latencies.append(time.perf_counter() - start)
        backend.close()
    return statistics.median(latencies) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--count", type=int, default=1500)
    args = parser.parse_args()
    for sync in (True, False):
        median, p99 = journal_append(args.dir, sync, args.count)
        put = put_item(args.dir, sync, args.count)
        label = "fsync   " if sync else "no fsync"
        print(f"{label}: journal append median {median:.3f} ms, p99 {p99:.3f} ms; PutItem median {put:.3f} ms")


if __name__ == "__main__":
    main()
