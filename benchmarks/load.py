"""Load benchmark: N simulated users doing what the page does, against our stack and against
moto's own server in the same run.

    python benchmarks/load.py [--users 16 64] [--duration 20] [--clients 4]

Each user has STS credentials of its own (a dev-IdP ID token with its own ``sub``, traded at our
STS for the ``WebUser`` role, as the page does), so each works in its own partitions under the
real policy. For ``--duration`` seconds every user loops over the app's operations, with the
weights of a browsing session:

* ``AddPhoto`` (15%): the page's add transaction: ``Put`` photo (``attribute_not_exists``),
  ``Put`` tag item, ``Update`` tag counter (``ADD PhotoCount :one``);
* ``ListPhotos`` (25%): ``Query`` newest first, 50 at most;
* ``GetPhoto`` (30%): ``GetItem`` of one of the user's photos;
* ``EditTitle`` (10%): ``UpdateItem`` under the optimistic lock (``Version = :expected``);
* ``TagCloud`` (10%): ``Query`` ``begins_with(TagKey, "COUNT#")``;
* ``EditProfile`` (5%) / ``GetProfile`` (5%): ``UpdateItem`` / ``GetItem`` of the profile.

The same requests go to ``moto.server.ThreadedMotoServer`` (same tables, no IAM). Users run as
threads spread over ``--clients`` client processes, so the client's own GIL is not the limit;
server and clients share the machine's cores, which bounds every figure (say so when quoting).

Printed per target and user count: throughput (ops/s), p50/p99 per operation, errors by type,
and a final audit, read back by the admin after the run, that every acknowledged write is
present (each acknowledged photo with its last acknowledged title and version, each tag counter
equal to the acknowledged adds, each profile's last acknowledged name). A write that failed
(its error is counted) is not expected.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import stack as servers  # noqa: E402  (benchmarks/stack.py: the server processes and clients)

WEIGHTS = {"AddPhoto": 15, "ListPhotos": 25, "GetPhoto": 30, "EditTitle": 10, "TagCloud": 10,
           "EditProfile": 5, "GetProfile": 5}
TABLES = ("Photos", "PhotoTags", "Profiles")


# One user ---------------------------------------------------------------------------------------


class User:
    """One simulated user: its client, what it has written and had acknowledged."""

    def __init__(self, name: str, sub: str, client: Any, rng: random.Random) -> None:
        self.name, self.sub, self.db, self.rng = name, sub, client, rng
        self.photos: dict[str, dict[str, Any]] = {}  # acknowledged: PhotoId -> {Title, Version}
        self.counters: Counter[str] = Counter()  # acknowledged adds per tag
        self.display_name: str | None = None
        self.serial = 0

    def next_operation(self) -> str:
        operation = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if operation in ("GetPhoto", "EditTitle") and not self.photos:
            operation = "AddPhoto"
        return operation

    def AddPhoto(self) -> None:  # noqa: N802 - named after the page's operation
        self.serial += 1
        photo_id = f"2026-01-01T00:00:00Z#{self.name}-{self.serial:06d}"
        tag = f"tag{self.serial % 5}"
        taken = f"2026-01-{1 + self.serial % 28:02d}"
        title = f"Photo {self.serial}"
        self.db.transact_write_items(TransactItems=[
            {"Put": {"TableName": "Photos", "ConditionExpression": "attribute_not_exists(PhotoId)", "Item": {
                "UserId": {"S": self.sub}, "PhotoId": {"S": photo_id}, "TakenOn": {"S": taken},
                "Title": {"S": title}, "Tags": {"SS": [tag]}, "Visibility": {"S": "private"},
                "ContentType": {"S": "image/jpeg"}, "Version": {"N": "1"},
                "CreatedAt": {"S": "2026-01-01T00:00:00Z"}, "UpdatedAt": {"S": "2026-01-01T00:00:00Z"}}}},
            {"Put": {"TableName": "PhotoTags", "Item": {
                "UserId": {"S": self.sub}, "TagKey": {"S": f"TAG#{tag}#{taken}#{photo_id}"}, "Tag": {"S": tag},
                "PhotoId": {"S": photo_id}, "TakenOn": {"S": taken}, "Title": {"S": title}}}},
            {"Update": {"TableName": "PhotoTags", "Key": {"UserId": {"S": self.sub}, "TagKey": {"S": f"COUNT#{tag}"}},
                        "UpdateExpression": "SET Tag = :t ADD PhotoCount :one",
                        "ExpressionAttributeValues": {":t": {"S": tag}, ":one": {"N": "1"}}}},
        ])
        self.photos[photo_id] = {"Title": title, "Version": 1}
        self.counters[tag] += 1

    def ListPhotos(self) -> None:  # noqa: N802
        self.db.query(TableName="Photos", KeyConditionExpression="UserId = :me", ScanIndexForward=False,
                      Limit=50, ExpressionAttributeValues={":me": {"S": self.sub}})

    def GetPhoto(self) -> None:  # noqa: N802
        photo_id = self.rng.choice(list(self.photos))
        self.db.get_item(TableName="Photos", Key={"UserId": {"S": self.sub}, "PhotoId": {"S": photo_id}})

    def EditTitle(self) -> None:  # noqa: N802
        photo_id = self.rng.choice(list(self.photos))
        known = self.photos[photo_id]
        title = f"Edited {self.rng.randrange(10**6)}"
        self.db.update_item(
            TableName="Photos", Key={"UserId": {"S": self.sub}, "PhotoId": {"S": photo_id}},
            ConditionExpression="Version = :expected",
            UpdateExpression="SET Title = :t, UpdatedAt = :now, Version = Version + :one",
            ExpressionAttributeValues={":expected": {"N": str(known["Version"])}, ":t": {"S": title},
                                       ":now": {"S": "2026-01-02T00:00:00Z"}, ":one": {"N": "1"}})
        self.photos[photo_id] = {"Title": title, "Version": known["Version"] + 1}

    def TagCloud(self) -> None:  # noqa: N802
        self.db.query(TableName="PhotoTags", KeyConditionExpression="UserId = :me AND begins_with(TagKey, :c)",
                      ExpressionAttributeValues={":me": {"S": self.sub}, ":c": {"S": "COUNT#"}})

    def EditProfile(self) -> None:  # noqa: N802
        name = f"{self.name} {self.rng.randrange(10**6)}"
        self.db.update_item(TableName="Profiles", Key={"UserId": {"S": self.sub}},
                            UpdateExpression="SET DisplayName = :n, UpdatedAt = :now",
                            ExpressionAttributeValues={":n": {"S": name}, ":now": {"S": "2026-01-02T00:00:00Z"}})
        self.display_name = name

    def GetProfile(self) -> None:  # noqa: N802
        self.db.get_item(TableName="Profiles", Key={"UserId": {"S": self.sub}})

    def expected(self) -> dict[str, Any]:
        return {"sub": self.sub, "photos": self.photos, "counters": dict(self.counters),
                "display_name": self.display_name}


# A client process: some users as threads ----------------------------------------------------------


def run_clients(url: str, users: list[dict[str, Any]], duration: float, start_at: float, out: Any) -> None:
    from botocore.exceptions import ClientError

    samples: list[tuple[str, float, str | None]] = []
    lock = threading.Lock()
    expected: list[dict[str, Any]] = []

    def one(spec: dict[str, Any], seed: int) -> None:
        client = servers._client("dynamodb", url, spec["key"], spec["secret"], spec.get("token"))
        user = User(spec["name"], spec["sub"], client, random.Random(seed))
        mine: list[tuple[str, float, str | None]] = []
        while time.time() < start_at:
            time.sleep(0.005)
        deadline = start_at + duration
        while time.time() < deadline:
            operation = user.next_operation()
            began = time.perf_counter()
            try:
                getattr(user, operation)()
                error = None
            except ClientError as exc:
                error = exc.response["Error"]["Code"]
            except Exception as exc:  # connection errors, timeouts: counted, not fatal
                error = type(exc).__name__
            mine.append((operation, time.perf_counter() - began, error))
        with lock:
            samples.extend(mine)
            expected.append(user.expected())

    threads = [threading.Thread(target=one, args=(spec, hash(spec["name"]) & 0xFFFF)) for spec in users]
    for thread in threads:
        thread.start()
    while time.time() < start_at:
        time.sleep(0.005)
    cpu = time.process_time()
    for thread in threads:
        thread.join()
    out.send((samples, expected, time.process_time() - cpu))
    out.close()


# Setup ---------------------------------------------------------------------------------------------


def make_users(data_dir: Path, port: int, count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` users with their own ``sub`` and their own STS credentials (as the page gets them)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    from webapp.idp.provider import IdentityProvider
    from webapp.settings import Settings

    provider = IdentityProvider.open(Settings.from_env({}, data_dir=data_dir, port=port))
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port + 1}",
                       config=Config(signature_version=UNSIGNED))
    users = []
    for i in range(count):
        name = f"{prefix}{i:03d}"
        token = provider.mint_id_token("alice", extra_claims={"sub": f"load-{name}"})
        got = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::000000000000:role/WebUser",
                                                RoleSessionName=name, WebIdentityToken=token)
        creds = got["Credentials"]
        users.append({"name": name, "sub": got["SubjectFromWebIdentityToken"], "key": creds["AccessKeyId"],
                      "secret": creds["SecretAccessKey"], "token": creds["SessionToken"]})
    return users


def copy_tables(source: Any, target: Any) -> None:
    for name in TABLES:
        table = source.describe_table(TableName=name)["Table"]
        spec: dict[str, Any] = {"TableName": name, "KeySchema": table["KeySchema"],
                                "AttributeDefinitions": table["AttributeDefinitions"],
                                "BillingMode": "PAY_PER_REQUEST"}
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if table.get(kind):
                spec[kind] = [{k: i[k] for k in ("IndexName", "KeySchema", "Projection")} for i in table[kind]]
        target.create_table(**spec)


def audit(admin: Any, expected: list[dict[str, Any]]) -> tuple[int, int]:
    """(acknowledged writes checked, missing or stale) read back with ``admin``."""
    checked = missing = 0
    for user in expected:
        sub = user["sub"]
        photos: dict[str, Any] = {}
        kwargs: dict[str, Any] = {"TableName": "Photos", "KeyConditionExpression": "UserId = :u",
                                  "ExpressionAttributeValues": {":u": {"S": sub}}, "ConsistentRead": True}
        while True:
            page = admin.query(**kwargs)
            photos.update({i["PhotoId"]["S"]: i for i in page["Items"]})
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for photo_id, want in user["photos"].items():
            checked += 1
            got = photos.get(photo_id)
            if got is None or got["Title"]["S"] != want["Title"] or int(got["Version"]["N"]) != want["Version"]:
                missing += 1
        for tag, adds in user["counters"].items():
            checked += 1
            got = admin.get_item(TableName="PhotoTags", ConsistentRead=True,
                                 Key={"UserId": {"S": sub}, "TagKey": {"S": f"COUNT#{tag}"}}).get("Item")
            if got is None or int(got["PhotoCount"]["N"]) != adds:
                missing += 1
        if user["display_name"] is not None:
            checked += 1
            got = admin.get_item(TableName="Profiles", ConsistentRead=True, Key={"UserId": {"S": sub}}).get("Item")
            if got is None or got.get("DisplayName", {}).get("S") != user["display_name"]:
                missing += 1
    return checked, missing


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (Linux ``/proc/PID/stat``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(label: str, url: str, users: list[dict[str, Any]], duration: float, clients: int,
            admin: Any, server_pid: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    groups = [users[i::clients] for i in range(min(clients, len(users)))]
    start_at = time.time() + 3.0 + 0.05 * len(users)  # every client ready before the clock starts
    pipes, processes = [], []
    for group in groups:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=run_clients, args=(url, group, duration, start_at, send))
        process.start()
        pipes.append(receive)
        processes.append(process)
    samples: list[tuple[str, float, str | None]] = []
    expected: list[dict[str, Any]] = []
    while time.time() < start_at:
        time.sleep(0.005)
    server_cpu = cpu_seconds(server_pid)
    time.sleep(max(0.0, start_at + duration - time.time()))
    server_cpu = cpu_seconds(server_pid) - server_cpu
    client_cpu = 0.0
    for receive in pipes:
        got_samples, got_expected, got_cpu = receive.recv()
        samples += got_samples
        expected += got_expected
        client_cpu += got_cpu
    for process in processes:
        process.join()
    checked, missing = audit(admin, expected)
    by_op: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    for operation, elapsed, error in samples:
        if error is None:
            by_op[operation].append(elapsed)
        else:
            errors[f"{operation}: {error}"] += 1
    done = sum(len(v) for v in by_op.values())
    result = {
        "target": label, "users": len(users), "seconds": duration, "ops": done,
        "ops_per_s": done / duration, "errors": dict(errors), "audit_checked": checked, "audit_missing": missing,
        "server_cpu_ms_per_op": server_cpu * 1000 / max(len(samples), 1),
        "client_cpu_ms_per_op": client_cpu * 1000 / max(len(samples), 1),
        "latency_ms": {op: {"n": len(v), "p50": _pct(v, 50), "p99": _pct(v, 99)} for op, v in sorted(by_op.items())},
        "window": [start_at, start_at + duration],
    }
    return result


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if pct == 50:
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] * 1000


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['target']} with {result['users']} users for {result['seconds']:g} s: "
          f"{result['ops']} operations, {result['ops_per_s']:.1f} ops/s")
    print(f"  {'operation':<12}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'p99/p50':>9}")
    for op, stats in result["latency_ms"].items():
        print(f"  {op:<12}{stats['n']:>7}{stats['p50']:>10.1f}{stats['p99']:>10.1f}{stats['p99'] / stats['p50']:>8.1f}x")
    print(f"  CPU per operation: server {result['server_cpu_ms_per_op']:.2f} ms, "
          f"clients {result['client_cpu_ms_per_op']:.2f} ms")
    print(f"  errors: {result['errors'] or 'none'}")
    print(f"  audit: {result['audit_checked']} acknowledged writes checked, {result['audit_missing']} missing or stale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[16], help="user counts to run (default 16)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target and user count (default 20)")
    parser.add_argument("--clients", type=int, default=4, help="client processes the users are spread over (default 4)")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    parser.add_argument("--trace", action="store_true",
                        help="also print where our server's time went in each run: task-queue wait, service "
                             "time and CPU, response send wait, lock, journal and fsync waits, GC pauses "
                             "(benchmarks/request_trace.py)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = servers._free_port_block(servers.PORTS)
    moto_port = port + servers.MOTO
    processes = []
    results = []
    windows: list[tuple[str, float, float]] = []
    if args.trace:
        os.environ["BENCH_TRACE"] = str(work / "trace.json")
    try:
        processes.append(servers._spawn(["--serve-ours", str(work / "data"), str(port), str(work / "ours.ready")],
                                        work / "ours.ready", work / "ours.log"))
        processes.append(servers._spawn(["--serve-moto", str(moto_port), str(work / "moto.ready")],
                                        work / "moto.ready", work / "moto.log"))
        admin_values = dict(line.split(" = ", 1) for line in (work / "data" / "admin-credentials")
                            .read_text().splitlines() if " = " in line)
        ours_admin = servers._client("dynamodb", f"http://127.0.0.1:{port + 2}", admin_values["aws_access_key_id"],
                                     admin_values["aws_secret_access_key"])
        moto_admin = servers._client("dynamodb", f"http://127.0.0.1:{moto_port}", "testing", "testing")
        copy_tables(ours_admin, moto_admin)
        for round_, count in enumerate(args.users):
            users = make_users(work / "data", port, count, prefix=f"r{round_}u")
            moto_users = [{**u, "key": "testing", "secret": "testing", "token": None} for u in users]
            for label, url, group, admin, pid in (
                ("ours", f"http://127.0.0.1:{port + 2}", users, ours_admin, processes[0].pid),
                ("moto", f"http://127.0.0.1:{moto_port}", moto_users, moto_admin, processes[1].pid),
            ):
                result = measure(label, url, group, args.duration, args.clients, admin, pid)
                if label == "ours":
                    windows.append((f"ours with {count} users", result["window"][0], result["window"][1]))
                report(result)
                results.append(result)
            ours, moto = results[-2], results[-1]
            get = ours["latency_ms"].get("GetPhoto", {})
            print(f"\n{count} users: ours {ours['ops_per_s']:.1f} ops/s vs moto's server {moto['ops_per_s']:.1f} ops/s "
                  f"= {ours['ops_per_s'] / max(moto['ops_per_s'], 1e-9):.2f}x (target >= 2x); GetItem p99/p50 "
                  f"{get.get('p99', float('nan')) / get.get('p50', float('nan')):.1f}x (target <= 3x)")
        if args.json:
            print(json.dumps(results))
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=15)
            except Exception:
                process.kill()
        if args.trace and (work / "trace.json").exists():
            import request_trace

            request_trace.summarize(work / "trace.json", windows)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
