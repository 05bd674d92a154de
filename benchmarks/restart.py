"""Restart benchmark: how long the local stack takes to come back with N items, beside an empty
start and beside loading the same items into a fresh stack, in one run.

    python benchmarks/restart.py [--items 100000] [--journal 2000]

Steps, each timed from ``python -m webapp serve`` until it answers a GetItem:

1. an empty start (fresh data directory);
2. loading ``--items`` small items (the size of a photo's metadata) into that fresh stack with
   BatchWriteItem from 8 threads (the time to get the data there at all);
3. a restart from a clean snapshot (SIGTERM compacts the journal into ``snapshot.json``);
4. a restart after ``kill -9`` with ``--journal`` acknowledged PutItems since the snapshot, which
   start-up replays from the journal; every one of them is checked to be present.

Target (issue 11): steps 3 and 4 at most 2 s longer than step 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Seconds from launch until the stack answers a GetItem."""
        ready = self.data_dir.parent / "ready.json"
        ready.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--ready-file", str(ready)], cwd=ROOT, env=env,
            stdout=(self.data_dir.parent / "stack.log").open("ab"), stderr=subprocess.STDOUT)
        while not ready.exists():
            if self.process.poll() is not None:
                raise SystemExit((self.data_dir.parent / "stack.log").read_text()[-3000:])
            time.sleep(0.02)
        admin = self.admin()
        while True:
            try:
                admin.get_item(TableName=TABLE, Key=key(0))
                return time.perf_counter() - began
            except Exception:  # noqa: BLE001 - not answering yet
                time.sleep(0.02)

    def admin(self) -> Any:
        values = dict(line.split(" = ", 1) for line in (self.data_dir / "admin-credentials").read_text().splitlines()
                      if " = " in line)
        return servers._client("dynamodb", f"http://127.0.0.1:{self.port + 2}", values["aws_access_key_id"],
                               values["aws_secret_access_key"])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=600)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items to load (default 100000)")
    parser.add_argument("--journal", type=int, default=2000, help="PutItems journaled before kill -9 (default 2000)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    stack = Stack(work / "data", servers._free_port_block(4))
    results: dict[str, float] = {}
    try:
        results["empty start"] = stack.start()
        results[f"load {args.items} items"] = load(stack, args.items)
        stack.stop()
        size = (stack.data_dir / "dynamodb" / "snapshot.json").stat().st_size / 1e6
        results["restart from snapshot"] = stack.start()
        admin = stack.admin()
        extra = range(args.items, args.items + args.journal)
        for i in extra:
            admin.put_item(TableName=TABLE, Item=item(i))
        stack.stop(signal.SIGKILL)
        results[f"restart after kill -9 ({args.journal} journal records)"] = stack.start()
        admin = stack.admin()
        missing = sum(1 for i in (*extra[:200], *extra[-200:], *range(0, args.items, max(1, args.items // 500)))
                      if "Item" not in admin.get_item(TableName=TABLE, Key=key(i), ConsistentRead=True))
        stack.stop()
        empty = results["empty start"]
        print(f"snapshot.json: {size:.1f} MB for {args.items} items")
        for name, seconds in results.items():
            extra_s = f"   (+{seconds - empty:.2f} s over an empty start)" if name.startswith("restart") else ""
            print(f"{name:<48}{seconds:>8.2f} s{extra_s}")
        print(f"acknowledged items checked after kill -9: {min(400, args.journal) + 500}, missing {missing}")
        print(json.dumps({"items": args.items, "journal": args.journal, "seconds": results, "missing": missing}))
    finally:
        stack.stop(signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
