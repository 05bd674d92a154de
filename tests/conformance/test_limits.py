"""Limits on what an item and a transaction may hold: numbers an update computes, the 400 KB item,
the 4 MB transaction, and a transaction member whose key has the wrong type.

Each row stores an item (or none), sends one write, and checks DynamoDB's answer - success, or
the error code (and the words of its message DynamoDB's answer is known by) - and what the table
holds afterwards: a refused write leaves the item as it was.

Sources (``source`` of each row):

* ``alternator``: ScyllaDB's Alternator tests, written and checked against real DynamoDB
  (test/alternator/test_number.py, test_limits.py, test_transact.py);
* ``dg-quotas``: Developer Guide, "Service, account, and table quotas" (item size 400 KB, which
  includes attribute names; number precision and magnitude);
* ``api-transact``: API Reference, TransactWriteItems ("The aggregate size of the items in the
  transaction cannot exceed 4 MB"; ``CancellationReasons`` in member order).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint
from tests.conformance.writes import write_once

SOURCES = {"alternator", "dg-quotas", "api-transact"}
VALIDATION = "ValidationException"


def _n(text: str) -> dict[str, str]:
    return {"N": text}


def _values(**values: dict[str, Any]) -> dict[str, Any]:
    return {f":{name}": value for name, value in values.items()}


@dataclass(frozen=True)
class Limit:
    id: str
    #: Attributes stored first (besides the key ``a``); ``None``: no item.
    before: dict[str, Any] | None
    operation: str
    #: The request without TableName and Key (PutItem: ``Item`` without ``a``).
    request: dict[str, Any]
    #: ``None`` for success, else the error code.
    error: str | None
    #: Words DynamoDB's message holds (checked case-insensitively); ``""`` when not pinned.
    words: str
    #: Attributes stored afterwards (besides ``a``); ``None``: no item.
    after: dict[str, Any] | None
    source: str


BIG = "9e125"
ROWS = [
    Limit("sum-overflows", None, "UpdateItem", {"UpdateExpression": "SET b = :x + :y",
          "ExpressionAttributeValues": _values(x=_n(BIG), y=_n(BIG))}, VALIDATION, "overflow", None,
          "alternator: test_number.py test_update_expression_plus_overflow"),
    Limit("difference-overflows", {"b": _n("1")}, "UpdateItem", {"UpdateExpression": "SET b = :x - :y",
          "ExpressionAttributeValues": _values(x=_n(BIG), y=_n("-" + BIG))}, VALIDATION, "overflow", {"b": _n("1")},
          "alternator: test_number.py test_update_expression_plus_overflow"),
    Limit("difference-inexact", {"b": _n("1")}, "UpdateItem", {"UpdateExpression": "SET b = :x - :y",
          "ExpressionAttributeValues": _values(x=_n("1e50"), y=_n("1"))}, VALIDATION, "number", {"b": _n("1")},
          "alternator: test_number.py test_update_expression_plus_imprecise (50 significant digits)"),
    Limit("sum-of-stored-inexact", {"b": _n("1e50")}, "UpdateItem", {"UpdateExpression": "SET b = b + :y",
          "ExpressionAttributeValues": _values(y=_n("1"))}, VALIDATION, "number", {"b": _n("1" + "0" * 50)},
          "dg-quotas: numbers have up to 38 digits of precision"),
    Limit("add-overflows", {"b": _n(BIG)}, "UpdateItem", {"UpdateExpression": "ADD b :y",
          "ExpressionAttributeValues": _values(y=_n(BIG))}, VALIDATION, "overflow", {"b": _n("9" + "0" * 125)},
          "dg-quotas: magnitudes up to 9.9999999999999999999999999999999999999E+125"),
    Limit("sum-exact", None, "UpdateItem", {"UpdateExpression": "SET b = :x + :y",
          "ExpressionAttributeValues": _values(x=_n("1"), y=_n("10000000000000000000000"))}, None, "",
          {"b": _n("10000000000000000000001")}, "alternator: test_number.py test_update_expression_plus_precision"),
    Limit("binary-409500-bytes", None, "PutItem", {"Item": {"b": {"B": b"x" * 409_500}}}, None, "",
          {"b": {"B": b"x" * 409_500}}, "dg-quotas: 400 KB per item, names included (a binary counts its bytes)"),
    Limit("string-over-400KB", None, "PutItem", {"Item": {"b": {"S": "x" * 409_600}}}, VALIDATION,
          "Item size has exceeded the maximum allowed size", None, "dg-quotas: 400 KB per item"),
    Limit("update-grows-past-400KB", {"s": {"S": "x" * 300_000}}, "UpdateItem", {"UpdateExpression": "SET b = :v",
          "ExpressionAttributeValues": _values(v={"S": "y" * 200_000})}, VALIDATION, "size", {"s": {"S": "x" * 300_000}},
          "dg-quotas: 400 KB per item, after the update"),
]


def _key() -> dict[str, Any]:
    return {"a": {"S": "limit-" + secrets.token_hex(6)}}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_limit(endpoint: Endpoint, hash_table: str, row: Limit) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    found = write_once(endpoint.client(), hash_table, _key(), before=row.before, operation=row.operation,
                       request=row.request, error=row.error, after=row.after)
    if row.error is not None:
        assert row.words.lower() in found["Message"].lower()


def test_a_transaction_over_4MB_is_refused(endpoint: Endpoint, hash_table: str) -> None:
    """50 puts of 100 KB: refused as a whole, nothing written (api-transact; alternator:
    test_transact.py test_transact_write_items_put_5MB)."""
    client = endpoint.client()
    keys = [_key() for _ in range(50)]
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": hash_table, "Item": {**key, "x": {"S": "x" * 100_000}}}} for key in keys])
    assert caught.value.response["Error"]["Code"] == VALIDATION
    assert "size cannot exceed" in caught.value.response["Error"]["Message"]
    assert all("Item" not in client.get_item(TableName=hash_table, Key=key, ConsistentRead=True) for key in keys)


def test_a_member_key_of_the_wrong_type_cancels_the_transaction(endpoint: Endpoint, hash_table: str) -> None:
    """The first member with a key of another type than the schema's is the ``ValidationError``,
    every other member ``None`` (no condition is evaluated), and nothing is written
    (api-transact; alternator: test_transact.py test_transact_write_cancellation_reasons_validationerror)."""
    client = endpoint.client()
    key = _key()
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": hash_table, "Item": {"a": {"N": "7"}}}},
            {"Put": {"TableName": hash_table, "Item": {"a": {"N": "8"}}}},
            {"Put": {"TableName": hash_table, "Item": key, "ConditionExpression": "attribute_exists(a)"}},
        ])
    response = caught.value.response
    assert response["Error"]["Code"] == "TransactionCanceledException"
    reasons = response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["ValidationError", "None", "None"]
    assert "Message" in reasons[0] and "Message" not in reasons[1] and "Message" not in reasons[2]
    assert "Item" not in client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)
