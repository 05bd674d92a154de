"""Compaction and garbage-collection benchmark: how long requests wait while the local backend
compacts, and while the cyclic garbage collector walks N items.

    python benchmarks/compaction.py [--items 100000] [--writes 2000] [--grow 30000] [--seconds 2]

In one process (the backend as the stack runs it, without HTTP, so that what is measured is the
wait for the backend's lock and the interpreter, not the network), with ``--items`` items of
``benchmarks/restart.py``'s shape, a reader thread does GetItems back to back while, in turn:

1. nothing else happens (the baseline);
2. the snapshot is written whole, under the lock (what the first compaction after a restore or
   an import costs, ``SnapshotDB.rewrite``), and, in a backend of its own opened on a
   ``snapshot.jsonl`` of the same items, a previous version's snapshot converted to ``snapshot.db``
   in the background (``LocalBackend._upgrade_in_background``; it was the rewrite under the lock);
3. ``--writes`` PutItems are journaled, then compacted under the lock, as a clean stop does
   (``LocalBackend._compact``: the rows those records wrote);
4. the same after another ``--writes`` PutItems, in the background (``_compact_in_background``),
   alone and beside a thread writing to the table the reader reads (``--sync`` to include the
   journal's ``fsync``s: a writer waiting inside its table lock makes that table's readers wait);
5. a writer adds ``--grow`` items through the backend's API, to another table (so that the
   reader waits for no table lock, only for the interpreter), while every item is tracked by the
   cyclic collector (``gc.unfreeze()``: as after writing them all through the API in a backend
   that never froze them), and
6. the same with the backend's policy (``gc.freeze()`` after start-up and each compaction, with
   ``compact_every`` records between compactions).

For each it prints the compaction's duration (or the writes'), the reader's GetItem latency
(median, p99, the longest wait) and, for 5 and 6, the full (generation 2) collections that ran
and the longest of them. Issue 11: compaction must not stall requests, nor full collections.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restart import TABLE, item, key  # noqa: E402

from webapp.backend import local, snapshot  # noqa: E402
from webapp.backend.local import LocalBackend  # noqa: E402

GROWN = "Grown"


class FullCollections:
    """Durations of the generation-2 collections while it is active (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.durations.append(time.perf_counter() - self._began)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


def reads_during(backend: LocalBackend, count: int, action: Callable[[], None] | None,
                 seconds: float) -> tuple[float, list[float]]:
    """Run ``action`` while a reader does GetItems; its duration and the reader's latencies
    (the reader goes on ``seconds`` after it ends)."""
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
    if action is not None:
        action()
    took = time.perf_counter() - began
    time.sleep(seconds)
    stop.set()
    thread.join()
    return took, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the table (default 100000)")
    parser.add_argument("--writes", type=int, default=2000, help="PutItems before each compaction (default 2000)")
    parser.add_argument("--grow", type=int, default=30_000,
                        help="items added through the API in the collector runs (default 30000)")
    parser.add_argument("--seconds", type=float, default=2.0, help="reads after each action ends (default 2)")
    parser.add_argument("--sync", action="store_true",
                        help="fsync the journal and snapshot as the stack does (default: not, so that what is "
                             "measured is the locks and the interpreter, not this machine's disk)")
    args = parser.parse_args(argv)
    if args.items < 1 or args.writes < 1 or args.grow < 1 or args.seconds < 0:
        parser.error("--items, --writes and --grow must be at least 1, --seconds not negative")
    with tempfile.TemporaryDirectory(prefix="bench-compaction-") as directory:
        backend = LocalBackend(Path(directory), region="us-east-1", account_id="000000000000", clock=time.time,
                               compact_every=10**9, sync=args.sync)
        for name in (TABLE, GROWN):
            backend.call("CreateTable", {
                "TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "UserId", "AttributeType": "S"},
                                         {"AttributeName": "PhotoId", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "UserId", "KeyType": "HASH"},
                              {"AttributeName": "PhotoId", "KeyType": "RANGE"}]})
        snapshot.load_items(backend.engine.models.tables[TABLE], (item(i) for i in range(args.items)))
        gc.collect()
        gc.freeze()  # as a start-up leaves them
        next_item = args.items

        def put(count: int, table: str = TABLE) -> None:
            nonlocal next_item
            for i in range(next_item, next_item + count):
                backend.call("PutItem", {"TableName": table, "Item": item(i)})
            next_item += count

        def rewrite() -> None:
            with backend._lock:
                mark = backend.journal.mark()
                backend.store.rewrite(backend.engine.models, mark.seq, [])
                backend.journal.drop_through(mark)

        def stop_compaction() -> None:
            with backend._lock:
                backend._compact()

        def background() -> None:
            backend.compact_every = 1  # the next write starts one
            put(1)
            running = backend._compactor
            if running is not None:
                running.join()
            backend.compact_every = 10**9

        def background_beside_a_writer() -> None:
            """The same, while another thread keeps writing to the table the reader reads (a
            writer that waits inside its table lock makes the reader wait too)."""
            done = threading.Event()

            def writer() -> None:
                n = 0
                while not done.is_set():
                    backend.call("PutItem", {"TableName": TABLE, "Item": item(n % args.items)})
                    n += 1

            thread = threading.Thread(target=writer)
            thread.start()
            try:
                background()
            finally:
                done.set()
                thread.join()

        def grow_tracked() -> None:
            gc.unfreeze()  # every item in the collector's generations, as if never frozen
            put(args.grow, GROWN)

        def grow_as_the_backend_does() -> None:
            gc.freeze()  # as the last start-up or compaction left them
            backend.compact_every = local.DEFAULT_COMPACT_EVERY
            put(args.grow, GROWN)
            running = backend._compactor
            if running is not None:
                running.join()
            backend.compact_every = 10**9

        print(f"{args.items} items; GetItem latency meanwhile (one reader, in process)")
        rows: list[tuple[str, Callable[[], None] | None, bool]] = [
            ("no compaction", None, False),
            ("snapshot rewritten whole, under the lock", rewrite, False),
            (f"clean stop's compaction ({args.writes} records)", stop_compaction, False),
            (f"background compaction ({args.writes} records)", background, False),
            (f"the same beside a writer to the table ({args.writes} records)", background_beside_a_writer, False),
            (f"{args.grow} puts, every item tracked by gc", grow_tracked, True),
            (f"{args.grow} puts, gc.freeze at start and compactions", grow_as_the_backend_does, True),
        ]
        for name, action, growing in rows:
            if action in (stop_compaction, background, background_beside_a_writer):
                put(args.writes)
            with FullCollections() as collections:
                took, latencies = reads_during(backend, args.items, action, args.seconds)
            report(name, action is not None, growing, took, latencies, collections)
            if action is rewrite:
                took, latencies = upgrade(backend, Path(directory) / "previous", args)
                report("previous version's snapshot converted, in background", True, False, took, latencies, None)
        backend.close()
    return 0


def upgrade(backend: LocalBackend, directory: Path, args: argparse.Namespace) -> tuple[float, list[float]]:
    """A backend opened on a ``snapshot.jsonl`` of ``backend``'s state (what a previous version
    wrote), read from while it converts the file to ``snapshot.db``."""
    directory.mkdir()
    data = b"".join(snapshot.dump(backend.engine.models, backend.journal.last_seq, []))
    (directory / "snapshot.jsonl").write_bytes(data)
    old = LocalBackend(directory, region="us-east-1", account_id="000000000000", clock=time.time,
                       compact_every=10**9, sync=args.sync)

    began = time.perf_counter()
    ended = began

    def converted() -> None:
        nonlocal ended
        running = old._compactor
        if running is not None:
            running.join()
        ended = time.perf_counter()
        if (directory / "snapshot.jsonl").exists() or not (directory / "snapshot.db").exists():
            raise SystemExit("the previous version's snapshot was not converted")

    try:
        latencies = reads_during(old, args.items, converted, args.seconds)[1]
        return ended - began, latencies
    finally:
        old.close()


def report(name: str, acted: bool, growing: bool, took: float, latencies: list[float],
           collections: FullCollections | None) -> None:
    ordered = sorted(latencies)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    duration = f"{took:6.2f} s" if acted else "      -"
    full = (f"; {len(collections.durations)} full collections, longest "
            f"{max(collections.durations, default=0) * 1e3:.0f} ms") if growing and collections else ""
    print(f"{name:<52} {duration}   GetItem median {statistics.median(ordered) * 1e3:6.2f} ms, "
          f"p99 {p99 * 1e3:7.2f} ms, longest {ordered[-1] * 1e3:8.1f} ms  ({len(ordered)} reads){full}")


if __name__ == "__main__":
    sys.exit(main())
