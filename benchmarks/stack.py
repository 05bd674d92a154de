"""Benchmark: our whole DynamoDB path (SigV4, IAM policy, backend) against moto's own server, and
what the security layers cost.

    python benchmarks/stack.py [--rounds 200]

Three servers, each in its own process so none shares the client's GIL:

* ours:     ``LocalStack`` (the same composition as ``python -m webapp serve``) on P..P+4;
* bypass:   the same stack plus one more DynamoDB endpoint on P+5, built with ``enforce=False``
            over the *same* backend, so it skips SigV4, IAM and the audit log and nothing else;
* no-audit: one more on P+6 that enforces SigV4 and IAM but writes no audit line, so the
            issue's "security layers (SigV4 plus policy)" are measured apart from the audit log;
* moto:     ``moto.server.ThreadedMotoServer`` with the same table and the same 100 items.

The client is boto3 with the page's own credentials (a dev-IdP ID token traded at our STS), on
the app's ``Photos`` table under the real ``WebUser`` policy. Rounds interleave the endpoints,
each round in the next of all their orders (every permutation in turn), so drift, and whatever a
server still does after it has answered (moto's garbage collection, the 10 ms drain of the
connection moto's Werkzeug server closes), hits each of them alike: each endpoint follows each
other one equally often. (A rotation of one order, used before, put "ours" right after moto's
server in three rounds of four and "no-audit" never, and charged moto's trailing work to ours:
the 0.5-0.6 ms "audit log cost" it printed for GetItem was that.) Medians are reported. All are
reached at ``127.0.0.1`` with the same client settings, after checking that they give the same
answers, and the connection handling each server announces is printed.
Targets: Query of 100 items >= 5x faster than moto's server, GetItem >= 2x, security overhead
(SigV4 plus policy: no-audit vs bypass) <= 20%; the overhead with the audit log (ours vs bypass)
is printed beside it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Offsets from the stack's base port P: the stack itself takes P..P+4 (host, STS, DynamoDB, IAM,
#: S3; ``webapp.settings``), the benchmark's extra endpoints and moto's server follow.
BYPASS, NO_AUDIT, MOTO = 5, 6, 7
PORTS = MOTO + 1


# Servers (child processes) -------------------------------------------------------------------


def serve_ours(data_dir: Path, port: int, ready: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import threading

    from webapp.dynamodb import create_dynamodb_app
    from webapp.serving import Server
    from webapp.settings import Settings
    from webapp.stack import LocalStack

    if os.environ.get("BENCH_TRACE"):  # load.py --trace: where the server's time goes
        import request_trace

        request_trace.install(Path(os.environ["BENCH_TRACE"]))
    settings = Settings.from_env({}, data_dir=data_dir, port=port)
    stack = LocalStack(settings).start()
    c = stack.components
    bypass = create_dynamodb_app(settings, c["registry"], c["credentials"], c["backend"], None,
                                 stack.clock, enforce=False)
    Server(bypass, settings.bind, port + BYPASS, threads=16, name="bypass").start()
    unaudited = create_dynamodb_app(settings, c["registry"], c["credentials"], c["backend"], None, stack.clock)
    Server(unaudited, settings.bind, port + NO_AUDIT, threads=16, name="no-audit").start()
    ready.write_text("ok")
    threading.Event().wait()


def serve_moto(port: int, ready: Path) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    ready.write_text("ok")
    import threading

    threading.Event().wait()


def _spawn(args: list[str], ready: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server {args[0]} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process


def _free_port_block(count: int) -> int:
    import socket

    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        try:
            sockets = []
            for port in range(base, base + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            for sock in sockets:
                sock.close()
            return base
        except OSError:
            continue
    raise SystemExit("no free ports")


# Clients -------------------------------------------------------------------------------------


def _client(service: str, url: str, key: str, secret: str, token: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name="us-east-1", endpoint_url=url, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=4))


def _user_credentials(data_dir: Path, port: int) -> tuple[dict[str, str], str]:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    token = subprocess.run([sys.executable, "-m", "webapp", "dev-token", "alice", "--data-dir", str(data_dir)],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://localhost:{port + 1}",
                       config=Config(signature_version=UNSIGNED))
    response = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::000000000000:role/WebUser", RoleSessionName="bench", WebIdentityToken=token)
    return response["Credentials"], response["SubjectFromWebIdentityToken"]


def _items(sub: str, count: int = 100) -> list[dict[str, Any]]:
    return [{
        "UserId": {"S": sub}, "PhotoId": {"S": f"2026-01-01T00:00:{i:02d}Z#{i:08x}"},
        "TakenOn": {"S": f"2026-01-{1 + i % 28:02d}"}, "Title": {"S": f"Photo number {i}"},
        "Tags": {"SS": ["bench", f"tag{i % 7}"]}, "Visibility": {"S": "private"},
        "ContentType": {"S": "image/jpeg"}, "Version": {"N": "1"},
        "CreatedAt": {"S": "2026-01-01T00:00:00Z"}, "UpdatedAt": {"S": "2026-01-01T00:00:00Z"},
    } for i in range(count)]


def _copy_table(source: Any, target: Any, name: str) -> None:
    table = source.describe_table(TableName=name)["Table"]
    spec: dict[str, Any] = {
        "TableName": name, "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"], "BillingMode": "PAY_PER_REQUEST",
    }
    if table.get("LocalSecondaryIndexes"):
        spec["LocalSecondaryIndexes"] = [{k: i[k] for k in ("IndexName", "KeySchema", "Projection")}
                                         for i in table["LocalSecondaryIndexes"]]
    target.create_table(**spec)


def _time(call: Any) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--serve-ours", nargs=3, metavar=("DIR", "PORT", "READY"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-moto", nargs=2, metavar=("PORT", "READY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_ours:
        serve_ours(Path(args.serve_ours[0]), int(args.serve_ours[1]), Path(args.serve_ours[2]))
        return 0
    if args.serve_moto:
        serve_moto(int(args.serve_moto[0]), Path(args.serve_moto[1]))
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    port = _free_port_block(PORTS)
    moto_port = port + MOTO
    processes = []
    try:
        processes.append(_spawn(["--serve-ours", str(work / "data"), str(port), str(work / "ours.ready")],
                                work / "ours.ready", work / "ours.log"))
        processes.append(_spawn(["--serve-moto", str(moto_port), str(work / "moto.ready")],
                                work / "moto.ready", work / "moto.log"))
        creds, sub = _user_credentials(work / "data", port)
        admin_values = dict(line.split(" = ", 1) for line in (work / "data" / "admin-credentials")
                            .read_text().splitlines() if " = " in line)
        admin = _client("dynamodb", f"http://localhost:{port + 2}", admin_values["aws_access_key_id"],
                        admin_values["aws_secret_access_key"])
        moto = _client("dynamodb", f"http://127.0.0.1:{moto_port}", "testing", "testing")
        _copy_table(admin, moto, "Photos")
        for item in _items(sub):
            admin.put_item(TableName="Photos", Item=item)
            moto.put_item(TableName="Photos", Item=item)

        user = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        clients = {
            "ours": _client("dynamodb", f"http://127.0.0.1:{port + 2}", *user),
            "bypass": _client("dynamodb", f"http://127.0.0.1:{port + BYPASS}", *user),
            "no-audit": _client("dynamodb", f"http://127.0.0.1:{port + NO_AUDIT}", *user),
            "moto": moto,
        }
        key = {"UserId": {"S": sub}, "PhotoId": _items(sub, 1)[0]["PhotoId"]}
        requests = {
            "Query (100 items)": lambda c: c.query(
                TableName="Photos", KeyConditionExpression="UserId = :u",
                ExpressionAttributeValues={":u": {"S": sub}}),
            "GetItem": lambda c: c.get_item(TableName="Photos", Key=key),
        }
        for name, request in requests.items():  # same answers everywhere before timing anything
            answers = [request(c) for c in clients.values()]
            counts = {len(a.get("Items", [a.get("Item")])) for a in answers}
            assert counts == ({100} if name.startswith("Query") else {1}), (name, counts)
            bodies = {json.dumps({k: v for k, v in a.items() if k != "ResponseMetadata"}, sort_keys=True)
                      for a in answers}
            assert len(bodies) == 1, (name, "the endpoints answered differently")
        # Same client, same settings: our servers keep the SDK's connection alive (webapp/serving.py,
        # as AWS's endpoints do), moto's Werkzeug server closes it after every response. That is
        # part of what users of each get, so it is measured, and printed so the figure is read right.
        connection = {label: c.get_item(TableName="Photos", Key=key)["ResponseMetadata"]["HTTPHeaders"]
                      .get("connection", "keep-alive") for label, c in clients.items()}
        print(f"connection handling per endpoint: {connection}")

        print(f"{'request':<20}{'ours ms':>10}{'no-audit':>10}{'bypass ms':>11}{'moto ms':>10}"
              f"{'moto/ours':>11}{'sigv4+policy':>14}{'+audit':>8}")
        results: dict[str, dict[str, float]] = {}
        for name, request in requests.items():
            samples: dict[str, list[float]] = {k: [] for k in clients}
            orders = list(itertools.permutations(clients))  # each endpoint follows each other equally often
            for round_ in range(args.warmup + args.rounds):
                for label in orders[round_ % len(orders)]:
                    elapsed = _time(lambda c=clients[label], r=request: r(c))
                    if round_ >= args.warmup:
                        samples[label].append(elapsed)
            med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
            results[name] = med
            print(f"{name:<20}{med['ours']:>10.2f}{med['no-audit']:>10.2f}{med['bypass']:>11.2f}"
                  f"{med['moto']:>10.2f}{med['moto'] / med['ours']:>10.1f}x"
                  f"{(med['no-audit'] / med['bypass'] - 1) * 100:>13.0f}%{(med['ours'] / med['bypass'] - 1) * 100:>7.0f}%")
        targets = {"Query (100 items)": 5.0, "GetItem": 2.0}
        for name, med in results.items():
            speedup, overhead = med["moto"] / med["ours"], med["no-audit"] / med["bypass"] - 1
            audited = med["ours"] / med["bypass"] - 1
            print(f"{name}: {speedup:.1f}x moto's server (target >= {targets[name]:g}x: "
                  f"{'met' if speedup >= targets[name] else 'MISSED'}); SigV4 + policy overhead "
                  f"{overhead * 100:.0f}% (target <= 20%: {'met' if overhead <= 0.2 else 'MISSED'}); "
                  f"with the audit log {audited * 100:.0f}%")
        print(json.dumps({"rounds": args.rounds, "median_ms": results}))
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
