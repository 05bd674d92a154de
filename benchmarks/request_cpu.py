"""Benchmark: server CPU per signed DynamoDB request, in process, from the WSGI call inward.

    python benchmarks/request_cpu.py [--requests 3000] [--profile]

The DynamoDB endpoint is composed as ``python -m webapp serve`` composes it (``webapp.stack``'s
parts: the credential authority, the IAM registry provisioned from the templates, the backend
with the app's tables, the audit log, CORS around the gateway), in a temporary data directory,
but called directly as a WSGI app: no sockets, no waitress, no client. The caller is a ``WebUser``
session as STS mints it (the dev provider's ``sub``/``aud`` keys), and every request is signed
beforehand with botocore's own ``SigV4Auth``, each with its own signature, so what is measured is
what the server does for one request: SigV4, validation, derive, policy, backend, audit, answer.

CPU time (``time.process_time``) per request is printed as a median of batches, which a busy
shared machine inflates far less than wall-clock time; ``--profile`` prints cProfile's top
entries by cumulative and by own time for the same requests. ``benchmarks/stack.py`` measures the
same requests over HTTP against moto's server.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

SUB = "5f1c2a9e-user-alice"


def build(data_dir: Path) -> tuple[Any, Any, Credentials, Any]:
    """The endpoint's WSGI app, the settings, the caller's credentials and the audit log."""
    from webapp.audit import AuditLog
    from webapp.backend import open_backend
    from webapp.clock import system_clock
    from webapp.credentials import CredentialAuthority
    from webapp.dynamodb import create_dynamodb_app
    from webapp.iam.registry import IamRegistry
    from webapp.settings import Settings
    from webapp.tables import ensure_tables

    settings = Settings.from_env({}, data_dir=data_dir, port=18000)
    data_dir.mkdir(parents=True, exist_ok=True)
    credentials = CredentialAuthority.open(data_dir, system_clock)
    registry = IamRegistry.open(settings, system_clock)
    backend = open_backend(settings, system_clock)
    ensure_tables(backend, settings)
    audit = AuditLog(data_dir / "audit.jsonl")
    app = create_dynamodb_app(settings, registry, credentials, backend, audit.record, system_clock)
    prefix = settings.provider_key
    minted = credentials.mint_session(
        role_arn=settings.user_role_arn, session_name="bench", duration_seconds=3600,
        variables={"aws:FederatedProvider": settings.oidc_provider_arn, f"{prefix}:sub": SUB,
                   f"{prefix}:aud": settings.client_id})
    creds = Credentials(minted.access_key_id, minted.secret_access_key, minted.session_token)
    for i in range(100):
        backend.call("PutItem", {"TableName": _photos(settings), "Item": _item(i)})
    return app, settings, creds, audit


def _photos(settings: Any) -> str:
    return str(settings.table_name("photos"))


def _item(i: int) -> dict[str, Any]:
    return {
        "UserId": {"S": SUB}, "PhotoId": {"S": f"2026-01-01T00:00:{i:02d}Z#{i:08x}"},
        "TakenOn": {"S": f"2026-01-{1 + i % 28:02d}"}, "Title": {"S": f"Photo number {i}"},
        "Tags": {"SS": ["bench", f"tag{i % 7}"]}, "Visibility": {"S": "private"},
        "ContentType": {"S": "image/jpeg"}, "Version": {"N": "1"},
        "CreatedAt": {"S": "2026-01-01T00:00:00Z"}, "UpdatedAt": {"S": "2026-01-01T00:00:00Z"},
    }


def signed_environ(operation: str, params: dict[str, Any], creds: Credentials) -> dict[str, Any]:
    """The WSGI environ waitress would build for the SDK's request, signed by botocore."""
    body = json.dumps(params).encode()
    request = AWSRequest(method="POST", url="http://127.0.0.1:18002/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        "User-Agent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.11.7",
        "Accept-Encoding": "identity"})
    SigV4Auth(creds, "dynamodb", "us-east-1").add_auth(request)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/x-amz-json-1.0",
        "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": "127.0.0.1:18002", "wsgi.url_scheme": "http",
        "_body": body,
    }
    for name, value in request.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def run(app: Any, environs: Iterable[dict[str, Any]]) -> None:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(line)

    for environ in environs:
        environ["wsgi.input"] = io.BytesIO(environ["_body"])
        b"".join(app(environ, start_response))
        if not status[-1].startswith("200"):
            raise SystemExit(f"request refused: {status[-1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="signed requests per operation")
    parser.add_argument("--batch", type=int, default=100, help="requests per timed batch")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    parser.add_argument("--profile-out", type=Path, help="with --profile: also write the raw profile here")
    parser.add_argument("--operation", choices=("GetItem", "Query", "PutItem"), default="GetItem")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as work:
        app, settings, creds, audit = build(Path(work) / "data")
        table = _photos(settings)
        key = {"UserId": {"S": SUB}, "PhotoId": _item(0)["PhotoId"]}
        make: dict[str, Callable[[int], tuple[str, dict[str, Any]]]] = {
            "GetItem": lambda i: ("GetItem", {"TableName": table, "Key": key}),
            "Query": lambda i: ("Query", {"TableName": table, "KeyConditionExpression": "UserId = :u",
                                          "ExpressionAttributeValues": {":u": {"S": SUB}}}),
            "PutItem": lambda i: ("PutItem", {"TableName": table, "Item": _item(i % 100)}),
        }
        environs = [signed_environ(*make[args.operation](i), creds) for i in range(args.requests)]
        run(app, environs[:200])  # warm caches and imports
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run(app, environs)
            profiler.disable()
            if args.profile_out:
                profiler.dump_stats(str(args.profile_out))
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(45)
                print(out.getvalue())
        else:
            per_request = []
            for start in range(0, len(environs), args.batch):
                batch = environs[start:start + args.batch]
                cpu = time.process_time()
                run(app, batch)
                per_request.append((time.process_time() - cpu) / len(batch))
            print(f"{args.operation}: {statistics.median(per_request) * 1e6:.0f} us server CPU per request "
                  f"(median of {len(per_request)} batches of {args.batch}; min "
                  f"{min(per_request) * 1e6:.0f} us)")
        audit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
