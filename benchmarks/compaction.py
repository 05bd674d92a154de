"""Compaction benchmark: how long requests wait while the local backend compacts N items.

    python benchmarks/compaction.py [--items 100000] [--seconds 2]

In one process (the backend as the stack runs it, without HTTP, so that what is measured is the
wait for the backend's lock and not the network), with ``--items`` items of
``benchmarks/restart.py``'s shape loaded and decoded (as after loading them through the API), a
reader thread does GetItems back to back while, in turn:

1. nothing else happens (the baseline);
2. the whole state is compacted at once under the lock (what every compaction did before, and
   what a clean stop still does);
3. a background compaction runs (``LocalBackend._compact_in_background``: the lock a chunk at a
   time).

For each it prints the compaction's duration and the reader's GetItem latency: median, p99 and
the longest wait. Issue 11: compaction must not stall requests.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restart import TABLE, item, key  # noqa: E402

from webapp.backend import snapshot  # noqa: E402
from webapp.backend.local import LocalBackend  # noqa: E402


def reads_during(backend: LocalBackend, count: int, action: object, seconds: float) -> tuple[float, list[float]]:
    """Run ``action`` (a callable, or ``None``) while a reader does GetItems; its duration and the
    reader's latencies (the reader goes on ``seconds`` after it ends)."""
    latencies: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        n = 0
        while not stop.is_set():
            began = time.perf_counter()
            backend.call("GetItem", {"TableName": TABLE, "Key": key(n % count)})
            latencies.append(time.perf_counter() - began)
            n += 7919

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    began = time.perf_counter()
    if callable(action):
        action()
    took = time.perf_counter() - began
    time.sleep(seconds)
    stop.set()
    thread.join()
    return took, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the table (default 100000)")
    parser.add_argument("--seconds", type=float, default=2.0, help="reads after each compaction ends (default 2)")
    args = parser.parse_args(argv)
    if args.items < 1 or args.seconds < 0:
        parser.error("--items must be at least 1 and --seconds not negative")
    with tempfile.TemporaryDirectory(prefix="bench-compaction-") as directory:
        backend = LocalBackend(Path(directory), region="us-east-1", account_id="000000000000", clock=time.time,
                               compact_every=10**9)
        backend.call("CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "UserId", "AttributeType": "S"},
                                     {"AttributeName": "PhotoId", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "UserId", "KeyType": "HASH"},
                          {"AttributeName": "PhotoId", "KeyType": "RANGE"}]})
        snapshot.load_items(backend.engine.models.tables[TABLE], (item(i) for i in range(args.items)))
        gc.collect()
        gc.freeze()  # as a start-up leaves them: not the cyclic collector's first pass over them measured

        def inline() -> None:
            with backend._lock:
                backend._compact()

        def background() -> None:
            backend.compact_every = 1  # the next write starts one
            backend.call("PutItem", {"TableName": TABLE, "Item": item(0)})
            running = backend._compactor
            if running is not None:
                running.join()
            backend.compact_every = 10**9

        print(f"{args.items} items; GetItem latency while compacting (one reader, in process)")
        for name, action in (("no compaction", None), ("compaction under the lock", inline),
                             ("background compaction", background)):
            took, latencies = reads_during(backend, args.items, action, args.seconds)
            ordered = sorted(latencies)
            p99 = ordered[int(len(ordered) * 0.99) - 1]
            duration = f"{took:6.2f} s" if action is not None else "      -"
            print(f"{name:<28} compaction {duration}   GetItem median {statistics.median(ordered) * 1e3:6.2f} ms, "
                  f"p99 {p99 * 1e3:7.2f} ms, longest {ordered[-1] * 1e3:8.1f} ms  ({len(ordered)} reads)")
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
