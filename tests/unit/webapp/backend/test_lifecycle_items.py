"""Items of a table still CREATING: DynamoDB answers as if the table did not exist yet (dynalite
test/putItem.js, getItem.js, batchGetItem.js, batchWriteItem.js "should return
ResourceNotFoundException if table is being created", recorded live), and serves them once it is
ACTIVE."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.webapp.backend.conftest import TABLE, create_table
from webapp.backend.errors import DynamoDBResourceNotFoundException
from webapp.backend.local import LocalBackend
from webapp.clock import ManualClock

#: A phase long enough that the real time moto stamps on the table is still inside it.
PHASE = 60.0
KEY = {"pk": {"S": "k"}}

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("PutItem", {"TableName": TABLE, "Item": KEY}),
    ("GetItem", {"TableName": TABLE, "Key": KEY}),
    ("DeleteItem", {"TableName": TABLE, "Key": KEY}),
    ("UpdateItem", {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    ("Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": {"S": "k"}}}),
    ("Scan", {"TableName": TABLE}),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY]}}}),
    ("BatchWriteItem", {"RequestItems": {TABLE: [{"PutRequest": {"Item": KEY}}]}}),
]


@pytest.mark.parametrize(("operation", "params"), CALLS, ids=[c[0] for c in CALLS])
def test_items_of_a_creating_table_are_not_found_until_it_is_active(
        open_local: Callable[..., LocalBackend], clock: ManualClock, operation: str, params: dict[str, Any]) -> None:
    clock.now = time.time()
    backend = open_local(table_status_seconds=PHASE)
    create_table(backend)
    with pytest.raises(DynamoDBResourceNotFoundException) as raised:
        backend.call(operation, params)
    assert raised.value.message == "Requested resource not found"
    clock.advance(2 * PHASE)
    backend.call(operation, params)
    assert backend.call("DescribeTable", {"TableName": TABLE})["Table"]["TableStatus"] == "ACTIVE"
