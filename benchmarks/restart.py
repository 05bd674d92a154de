"""Restart benchmark: how long the local stack takes to come back with N items, beside an empty
start and beside loading the same items into a fresh stack, in one run.

    python benchmarks/restart.py [--items 100000] [--journal 2000] [--runs 3]

First the items are loaded (``--items`` small items, the size of a photo's metadata) into a
fresh stack with BatchWriteItem from 8 threads: the time to get the data there at all. Then, for
each of ``--runs`` runs, interleaved so that the machine's load falls on each alike, and each
timed from ``python -m webapp serve`` until the stack answers a GetItem:

1. an empty start (a fresh data directory);
2. a restart from a clean snapshot (the previous SIGTERM compacted the journal into
   ``snapshot.db``);
3. a restart after ``kill -9`` with ``--journal`` acknowledged PutItems since the snapshot, which
   start-up replays from the journal; a sample of them and of the loaded items is checked to be
   present (exit status 1 if any is missing).

Medians are printed with each run's figure, the resident memory and the CPU time the stack's
process had used once each start answered (steady on a loaded machine, where the wall time
mostly measures the wait for a core), for 2 and 3 the time the backend alone takes to recover
from the same files (in a process of its own, just before the stack's start): the part of a
restart that grows with the data; and the time each SIGTERM stop took. Target (issue 11): 2 and
3 at most 2 s longer than 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import stack as servers  # noqa: E402  (benchmarks/stack.py: free ports, clients)

TABLE = "Photos"


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, 0
        self.process: subprocess.Popen[bytes] | None = None
        #: Resident memory (MB) and CPU seconds used once each start answered.
        self.rss: list[float] = []
        self.cpu: list[float] = []
        #: Seconds each SIGTERM stop took.
        self.stops: list[float] = []

    def start(self) -> float:
        """Seconds from launch until the stack answers a GetItem, on ports free at that moment.
        Another program may take one of them before the stack binds it (clients' outgoing
        connections use the same range): that attempt, which never got going, is tried again on
        other ports and only the attempt that started is timed."""
        for _ in range(5):
            took = self._attempt()
            if took is not None:
                return took
        raise SystemExit("the stack could not find free ports in 5 attempts")

    def _attempt(self) -> float | None:
        self.port = servers._free_port_block(4)
        ready = self.data_dir.parent / "ready.json"
        ready.unlink(missing_ok=True)
        log = self.data_dir.parent / "stack.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--ready-file", str(ready)], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        while not ready.exists():
            if self.process.poll() is not None:
                tail = log.read_text()[-3000:]
                if "is taken by another program" in tail.splitlines()[-1]:
                    return None
                raise SystemExit(tail)
            time.sleep(0.02)
        admin = self.admin()
        while True:
            try:
                admin.get_item(TableName=TABLE, Key=key(0))
                took = time.perf_counter() - began
                self.rss.append(rss_mb(self.process.pid))
                self.cpu.append(cpu_seconds(self.process.pid))
                return took
            except Exception:  # noqa: BLE001 - not answering yet
                time.sleep(0.02)

    def admin(self) -> Any:
        values = dict(line.split(" = ", 1) for line in (self.data_dir / "admin-credentials").read_text().splitlines()
                      if " = " in line)
        return servers._client("dynamodb", f"http://127.0.0.1:{self.port + 2}", values["aws_access_key_id"],
                               values["aws_secret_access_key"])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            began = time.perf_counter()
            self.process.send_signal(sig)
            self.process.wait(timeout=600)
            if sig == signal.SIGTERM:
                self.stops.append(time.perf_counter() - began)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> float:
    """The process's resident set size (Linux ``/proc``; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def key(i: int) -> dict[str, Any]:
    return {"UserId": {"S": f"user-{i % 1000:04d}"}, "PhotoId": {"S": f"2026-01-01T00:00:00Z#{i:08x}"}}


def item(i: int) -> dict[str, Any]:
    return {**key(i), "TakenOn": {"S": f"2026-01-{1 + i % 28:02d}"}, "Title": {"S": f"Photo number {i}"},
            "Tags": {"SS": ["bench", f"tag{i % 7}"]}, "Visibility": {"S": "private"},
            "ContentType": {"S": "image/jpeg"}, "Version": {"N": "1"},
            "CreatedAt": {"S": "2026-01-01T00:00:00Z"}, "UpdatedAt": {"S": "2026-01-01T00:00:00Z"}}


def load(stack: Stack, count: int, threads: int = 8) -> float:
    began = time.perf_counter()
    batches = [list(range(start, min(count, start + 25))) for start in range(0, count, 25)]

    def worker(part: list[list[int]]) -> None:
        admin = stack.admin()
        for batch in part:
            pending = [{"PutRequest": {"Item": item(i)}} for i in batch]
            while pending:
                got = admin.batch_write_item(RequestItems={TABLE: pending})
                pending = got.get("UnprocessedItems", {}).get(TABLE, [])

    workers = [threading.Thread(target=worker, args=(batches[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - began


def put_many(stack: Stack, numbers: range, threads: int = 4) -> None:
    """Acknowledged PutItems (each answered only once its journal record is on disk)."""
    def worker(part: range) -> None:
        admin = stack.admin()
        for i in part:
            admin.put_item(TableName=TABLE, Item=item(i))

    workers = [threading.Thread(target=worker, args=(numbers[n::threads],)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


_RECOVER = """
import sys, time
from pathlib import Path
from webapp.backend.local import LocalBackend
began = time.perf_counter()
backend = LocalBackend(Path(sys.argv[1]), region="us-east-1", account_id="000000000000", clock=time.time)
print(time.perf_counter() - began)
backend.journal.close()  # as kill -9 leaves it: no compaction, the files as they were
"""


def recovery_seconds(data_dir: Path) -> float:
    """The backend's own start on the stack's files (snapshot load and journal replay), in a
    process of its own: the part of a restart that grows with the data, without the imports,
    key loading and servers an empty start has too."""
    out = subprocess.run([sys.executable, "-c", _RECOVER, str(data_dir / "dynamodb")], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def missing(stack: Stack, numbers: list[int]) -> int:
    admin = stack.admin()
    return sum(1 for i in numbers
               if "Item" not in admin.get_item(TableName=TABLE, Key=key(i), ConsistentRead=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items to load (default 100000)")
    parser.add_argument("--journal", type=int, default=2000, help="PutItems journaled before each kill -9 (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each start, interleaved; medians shown (default 3)")
    args = parser.parse_args(argv)
    if args.items < 1 or args.journal < 0 or args.runs < 1:
        parser.error("--items and --runs must be at least 1, --journal at least 0")
    work = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    stack = Stack(work / "data")
    times: dict[str, list[float]] = {"empty start": [], "restart from a clean snapshot": [],
                                     f"restart after kill -9 ({args.journal} journal records)": []}
    rss: dict[str, list[float]] = {name: [] for name in times}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    recovery: dict[str, list[float]] = {name: [] for name in times if name.startswith("restart")}
    lost = checked = 0
    try:
        stack.start()
        loading = load(stack, args.items)
        stack.stop()  # SIGTERM: compacts into the snapshot
        store = stack.data_dir / "dynamodb"
        snapshot_file = next((store / n for n in ("snapshot.db", "snapshot.jsonl") if (store / n).exists()), None)
        size = snapshot_file.stat().st_size / 1e6 if snapshot_file else 0.0
        first_stop = stack.stops.pop()
        next_item = args.items
        for run in range(args.runs):  # interleaved, so that the machine's load falls on each alike
            empty = Stack(work / f"empty-{run}" / "data")
            empty.data_dir.parent.mkdir(parents=True)
            times["empty start"].append(empty.start())
            rss["empty start"].append(empty.rss[-1])
            cpu["empty start"].append(empty.cpu[-1])
            empty.stop()
            shutil.rmtree(empty.data_dir.parent, ignore_errors=True)

            recovery["restart from a clean snapshot"].append(recovery_seconds(stack.data_dir))
            times["restart from a clean snapshot"].append(stack.start())
            rss["restart from a clean snapshot"].append(stack.rss[-1])
            cpu["restart from a clean snapshot"].append(stack.cpu[-1])
            extra = range(next_item, next_item + args.journal)
            next_item += args.journal
            put_many(stack, extra)
            stack.stop(signal.SIGKILL)
            recovery[f"restart after kill -9 ({args.journal} journal records)"].append(recovery_seconds(stack.data_dir))
            times[f"restart after kill -9 ({args.journal} journal records)"].append(stack.start())
            rss[f"restart after kill -9 ({args.journal} journal records)"].append(stack.rss[-1])
            cpu[f"restart after kill -9 ({args.journal} journal records)"].append(stack.cpu[-1])
            sample = [*extra[:100], *extra[-100:], *range(0, args.items, max(1, args.items // 300))]
            lost += missing(stack, sample)
            checked += len(sample)
            stack.stop()  # SIGTERM: the next run's clean snapshot
        empty_median = statistics.median(times["empty start"])
        print(f"{args.items} items, {snapshot_file.name if snapshot_file else 'no snapshot'} {size:.1f} MB; "
              f"medians of {args.runs} runs (each run's figures)")
        print(f"{'load ' + str(args.items) + ' items into a fresh stack (once)':<52}{loading:>8.2f} s")
        for name, values in times.items():
            median = statistics.median(values)
            extra_s = f"  ({median - empty_median:+.2f} s against an empty start)" if name.startswith("restart") else ""
            each = ", ".join(f"{v:.2f}" for v in values)
            print(f"{name:<52}{median:>8.2f} s  [{each}]{extra_s}; RSS {statistics.median(rss[name]):.0f} MB, "
                  f"CPU {statistics.median(cpu[name]):.2f} s")
            if name in recovery:
                each = ", ".join(f"{v:.2f}" for v in recovery[name])
                print(f"{'  the backend alone recovering from the same files':<52}{statistics.median(recovery[name]):>8.2f} s  [{each}]")
        each = ", ".join(f"{v:.2f}" for v in stack.stops)
        print(f"{'SIGTERM stop after ' + str(args.journal) + ' writes':<52}{statistics.median(stack.stops):>8.2f} s  [{each}]"
              f"  (after loading {args.items} items: {first_stop:.2f} s)")
        print(f"acknowledged items checked after each kill -9: {checked} in all, missing {lost}")
        print(json.dumps({"items": args.items, "journal": args.journal, "runs": args.runs, "load_seconds": loading,
                          "seconds": times, "recovery_seconds": recovery, "rss_mb": rss, "cpu_seconds": cpu,
                          "stop_seconds": [first_stop, *stack.stops], "missing": lost}))
    finally:
        stack.stop(signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
