"""Benchmark: a burst of parallel connections against the local stack's DynamoDB endpoint.

    python benchmarks/burst.py [--connections 400] [--rounds 3]

Starts ``python -m webapp serve`` on free ports, then opens ``--connections`` TCP connections at
once (one thread each, as dynalite's test suite does with ``maxSockets = 1000``), sends a signed
``ListTables`` on each while all are open, and counts the answers: HTTP 200s, other statuses,
refused or reset connections, and how often the server logged that it reached its connection
limit (waitress: "total open connections reached the connection limit"). Prints the medians of
the burst's wall time over ``--rounds``. Nothing is asserted: a script, not a timed test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port_block  # noqa: E402


def start_stack(data: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port_block()
    ready, log = data.parent / "ready.json", data.parent / "stack.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "serve", "--port", str(port), "--data-dir", str(data),
         "--ready-file", str(ready)], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the stack did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process, port + 2, log


def signed_headers(port: int, data: Path) -> dict[str, str]:
    values = dict(line.split(" = ", 1) for line in (data / "admin-credentials").read_text().splitlines()
                  if " = " in line)
    creds = Credentials(values["aws_access_key_id"], values["aws_secret_access_key"])
    request = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    SigV4Auth(creds, "dynamodb", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def burst(port: int, headers: dict[str, str], connections: int) -> tuple[float, dict[str, int]]:
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    opened = threading.Barrier(connections)

    def one() -> None:
        outcome = "ok"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.connect()
            opened.wait(timeout=60)  # every connection is open before any request is sent
            conn.request("POST", "/", body=b"{}", headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                outcome = f"HTTP {response.status}"
            conn.close()
        except threading.BrokenBarrierError:
            outcome = "barrier broken"
        except OSError as error:
            outcome = type(error).__name__
        with lock:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    threads = [threading.Thread(target=one) for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=400, help="parallel connections per burst")
    parser.add_argument("--rounds", type=int, default=3, help="bursts to take the median of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        process, port, log = start_stack(data)
        try:
            headers = signed_headers(port, data)
            times, totals = [], {}
            for _ in range(args.rounds):
                took, outcomes = burst(port, headers, args.connections)
                times.append(took)
                for key, count in outcomes.items():
                    totals[key] = totals.get(key, 0) + count
            limit_hits = log.read_text().count("reached the connection limit")
        finally:
            process.terminate()
            process.wait(15)
    print(json.dumps({"connections": args.connections, "rounds": args.rounds,
                      "median_burst_seconds": round(statistics.median(times), 3),
                      "outcomes": totals, "connection_limit_log_lines": limit_hits}, indent=2))


if __name__ == "__main__":
    main()
