"""Collaborators for backend tests: a journaled local backend on a manual clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from webapp.backend.local import LocalBackend
from webapp.clock import ManualClock

TABLE = "Counters"


def create_table(backend: Any, name: str = TABLE, **extra: Any) -> None:
    backend.call("CreateTable", {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        **extra,
    })


def put(backend: Any, pk: str, size: int = 0, **extra: Any) -> dict[str, Any]:
    return backend.call("PutItem", {
        "TableName": TABLE, "Item": {"pk": {"S": pk}, "d": {"S": "x" * size}}, **extra,
    })


def item(backend: Any, pk: str, table: str = TABLE) -> dict[str, Any] | None:
    result: dict[str, Any] | None = backend.call(
        "GetItem", {"TableName": table, "Key": {"pk": {"S": pk}}, "ConsistentRead": True}
    ).get("Item")
    return result


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def open_local(tmp_path: Path, clock: ManualClock) -> Iterator[Callable[..., LocalBackend]]:
    """Opens a backend on one data directory (again and again, as a restart would)."""
    opened: list[LocalBackend] = []

    def open_(**options: Any) -> LocalBackend:
        backend = LocalBackend(
            tmp_path / "dynamodb", region="us-east-1", account_id="000000000000", clock=clock, **options
        )
        opened.append(backend)
        return backend

    yield open_
    for backend in opened:
        if not getattr(backend, "abandoned", False):
            backend.close()


def abandon(backend: LocalBackend) -> None:
    """What ``kill -9`` leaves behind: no close, no compaction; only the file handle goes."""
    backend.abandoned = True  # type: ignore[attr-defined]
    backend.journal.close()


@pytest.fixture
def backend(open_local: Callable[..., LocalBackend]) -> LocalBackend:
    b = open_local()
    create_table(b)
    return b
