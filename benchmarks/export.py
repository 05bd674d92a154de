"""Benchmark: a parallel export against a single-segment one, on the same table in one run.

    python benchmarks/export.py [--items 100000] [--latency-ms 10] [--rounds 3] [--page-size 500]

Starts the local stack (``python -m webapp serve``, in its own process) on a temporary data
directory, fills one table with ``--items`` items of about 100 bytes through the DynamoDB API, then
exports it alternately with 1 and with 4 segments, ``--rounds`` times each, and prints the medians
and their ratio (target: 4 segments at least 3x faster than 1).

The latency a real DynamoDB endpoint adds to every call (a network round trip; the local stack
answers in under a millisecond) is injected on the client, as a ``--latency-ms`` sleep in
botocore's ``before-send`` event of every Scan: a job's threads wait for it in parallel, as they
would for the network. Each export is also checked complete (the item count of its manifest).

On this project's 2-core machine the export is CPU-bound, not latency-bound: the stack and the
client each run under one GIL, and 4 segments overlap the 10 ms latencies but not that work. So
each export also prints the CPU seconds the stack's process and this one spent (``/proc``), the
steadier figure on a machine others share. Per page of 100 items (100,000 items, load average
8-11): the stack about 4.2-5.0 ms (1.5 ms a request - HTTP, SigV4, IAM, audit, validation - and
12-14 µs an item, of which walking the stored items in scan order and rendering them
(``served.py``) about half and the JSON encoding a quarter); the client about 3.5-4 ms (botocore's
request and response about 1.6 ms, then the lines and the checkpoint). Before ``served.py`` the
stack spent 6.5-8.8 ms a page (moto's ``Item.size``, ``dynamo_to_dict``, the serialiser,
``normalize_item`` and ``item_size`` each walked every item). At the session's lowest load
(4-8) 4 segments took 9-10 s for about 7.4 s of CPU (stack and client together) on 2 cores, so
neither process was saturated: the rest is waiting along each page's chain (the client's thread,
the stack's I/O and worker threads, each taking its GIL in turn); a 1 ms GIL switch interval in
the client changed nothing measurable, and 0.5 ms in the stack made it worse (2.6x and 1.8x
against 3.2x and 3.7x with the default, alternating, 30,000 items). With 30,000 items 4 segments
ran about 1 s of CPU a second (3.2x-3.7x); with 100,000 about 0.8 s a second (2.3x-2.65x), per
page the same CPU: what makes the larger table wait longer was not found.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from webapp.jobs.export import export_table  # noqa: E402

TABLE = "ExportBench"


def start_stack(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    ready = data_dir.parent / "ready"
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "serve", "--port", str(port), "--data-dir", str(data_dir),
         "--ready-file", str(ready)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the stack did not start on port {port}")
        time.sleep(0.05)
    return process


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU time (user + system) of the stack's process (from ``/proc``, Linux) or, without a pid,
    of this one: where an export's time goes, server or client, on a machine the two share."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def admin_client(data_dir: Path, port: int, latency: float) -> Any:
    values = dict(line.split(" = ", 1) for line in (data_dir / "admin-credentials").read_text().splitlines()
                  if " = " in line)
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port + 2}",
                          aws_access_key_id=values["aws_access_key_id"],
                          aws_secret_access_key=values["aws_secret_access_key"],
                          config=Config(max_pool_connections=32, retries={"mode": "standard"}))
    if latency:
        client.meta.events.register("before-send.dynamodb.Scan", lambda **_: time.sleep(latency))
    return client


def fill(client: Any, items: int) -> None:
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    batches = [range(start, min(items, start + 25)) for start in range(0, items, 25)]

    def writer(worker: int) -> None:
        for batch in batches[worker::8]:
            request = {TABLE: [{"PutRequest": {"Item": {"pk": {"S": f"user-{n:07d}"}, "n": {"N": str(n)},
                                                        "pad": {"S": "x" * 64}}}} for n in batch]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the table (default 100000)")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="added to every Scan call (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="exports of each kind (default 3)")
    parser.add_argument("--page-size", type=int, default=500, help="Scan Limit (default 500)")
    parser.add_argument("--port", type=int, default=27400, help="the stack's first port (default 27400)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work) / "data"
        stack = start_stack(data_dir, args.port)
        try:
            client = admin_client(data_dir, args.port, args.latency_ms / 1000)
            started = time.monotonic()
            fill(client, args.items)
            print(f"filled {args.items} items in {time.monotonic() - started:.1f} s")
            times: dict[int, list[float]] = {1: [], 4: []}
            for round_number in range(args.rounds):
                for segments in (1, 4) if round_number % 2 == 0 else (4, 1):
                    target = Path(work) / f"export-{round_number}-{segments}"
                    server_before, client_before = cpu_seconds(stack.pid), cpu_seconds()
                    result = export_table(client, TABLE, target, segments=segments,
                                          page_size=args.page_size, progress=False)
                    assert result.items == args.items, (result.items, args.items)
                    times[segments].append(result.seconds)
                    server_after, client_after = cpu_seconds(stack.pid), cpu_seconds()
                    cpu = "" if server_before is None or server_after is None else (
                        f", CPU: stack {server_after - server_before:.2f} s, "
                        f"client {(client_after or 0) - (client_before or 0):.2f} s")
                    print(f"  round {round_number}: {segments} segment(s) {result.seconds:.2f} s "
                          f"({result.items / result.seconds:.0f} items/s{cpu})")
        finally:
            stack.terminate()
            stack.wait(timeout=30)
    one, four = statistics.median(times[1]), statistics.median(times[4])
    print(f"median export of {args.items} items, {args.latency_ms:g} ms per call, pages of "
          f"{args.page_size}: 1 segment {one:.2f} s, 4 segments {four:.2f} s: {one / four:.2f}x "
          f"(target >= 3x) on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
