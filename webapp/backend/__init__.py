"""The storage behind the IAM-enforcing DynamoDB endpoint.

The endpoint (``webapp.dynamodb``) verifies the signature and evaluates IAM, then hands only
*allowed* requests to a ``Backend``: ``call(operation, params)`` answers with the response body
DynamoDB would send, or raises a ``DynamoDBError`` (an ``iam_policies.errors.AwsError``) carrying
DynamoDB's code, ``__type`` namespace, HTTP status, message and any extra error members
(``extra``; ``body()`` renders the whole JSON error).

Two implementations, chosen by ``Settings.backend_url``:

* ``LocalBackend`` (default): moto in process, every call serialised, journaled to
  ``<data_dir>/dynamodb`` so that no acknowledged write is lost, with ``ClientRequestToken``
  idempotency and optional provisioned-throughput throttling.
* ``UpstreamBackend``: forwards to any DynamoDB-compatible URL (AWS, DynamoDB Local, ScyllaDB
  Alternator), re-signed with SigV4, answering with its responses and errors unchanged.

Configuration:

* ``WEBAPP_BACKEND_URL`` / ``--backend-url``: upstream mode; its credentials come from
  ``WEBAPP_BACKEND_ACCESS_KEY_ID`` / ``WEBAPP_BACKEND_SECRET_ACCESS_KEY`` (and
  ``WEBAPP_BACKEND_SESSION_TOKEN``) or botocore's default chain.
* ``WEBAPP_THROTTLE`` (``Settings.throttle``): off when unset; ``on`` enforces the
  provisioned throughput tables were created with; ``Photos=5:5,Sessions=10:2`` sets RCU:WCU
  per table (both may be combined).
* ``python -m webapp.backend.bench``: what the fsync before each answer costs on this disk.

Files in ``<data_dir>/dynamodb``: ``journal.jsonl`` (write-ahead log), ``snapshot.db`` (SQLite: the
state at the last compaction, ``snapshot_db.py``), ``lock`` (held by the running process).
"""

from __future__ import annotations

from typing import Any, Protocol

from iam_policies.schema import TableSchema
from webapp.backend.errors import DynamoDBError
from webapp.clock import Clock
from webapp.settings import Settings, SettingsError

__all__ = ["Backend", "DynamoDBError", "open_backend"]


class Backend(Protocol):
    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...

    def table_schema(self, name: str) -> TableSchema | None: ...

    def close(self) -> None: ...


def open_backend(settings: Settings, clock: Clock) -> Backend:
    if settings.backend_url:
        from webapp.backend.upstream import UpstreamBackend

        upstream: Backend = UpstreamBackend.from_settings(settings, clock)
        return upstream
    from webapp.backend.local import LocalBackend
    from webapp.backend.metering import CapacityMeter

    try:
        capacity = CapacityMeter.from_spec(settings.throttle)
    except ValueError as error:  # WEBAPP_THROTTLE=bogus: one line at start, not a traceback
        raise SettingsError(str(error)) from None
    return LocalBackend(
        settings.data_dir / "dynamodb",
        region=settings.region,
        account_id=settings.account_id,
        clock=clock,
        capacity=capacity,
        table_status_seconds=settings.table_status_seconds,
    )
