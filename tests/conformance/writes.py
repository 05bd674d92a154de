"""One item written once, as the table-driven write tests (``test_conditions.py``,
``test_limits.py``) run each row: store the item a row starts from, send the row's PutItem,
UpdateItem or DeleteItem, and check the answer's code and the item left behind."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def send_write(client: Any, table: str, key: dict[str, Any], operation: str, request: dict[str, Any]) -> None:
    """``operation`` on the item ``key``; ``request`` holds neither TableName nor Key (a PutItem's
    ``Item`` without the key, which is added)."""
    if operation == "PutItem":
        client.put_item(TableName=table, **{**request, "Item": {**key, **request["Item"]}})
    elif operation == "UpdateItem":
        client.update_item(TableName=table, Key=key, **request)
    else:
        client.delete_item(TableName=table, Key=key, **request)


def write_once(client: Any, table: str, key: dict[str, Any], *, before: dict[str, Any] | None, operation: str,
               request: dict[str, Any], error: str | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Store ``before`` under ``key`` (``None``: no item), send the write, and check that it failed
    with ``error`` (``None``: it succeeded) and that the item is ``after`` (``None``: no item),
    read consistently. The error's ``Error`` member (``{}`` on success) for the row's own checks."""
    if before is not None:
        client.put_item(TableName=table, Item={**key, **before})
    found: dict[str, Any] = {}
    if error is None:
        send_write(client, table, key, operation, request)
    else:
        with pytest.raises(ClientError) as caught:
            send_write(client, table, key, operation, request)
        found = caught.value.response["Error"]
        assert found["Code"] == error
    stored = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    assert stored == ({**key, **after} if after is not None else None)
    return found
