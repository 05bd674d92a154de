"""UpdateItem: what it stores and what ``ReturnValues`` returns, as DynamoDB answers.

Sources (``source`` of each row):

* ``api-update``: API Reference, UpdateItem ("Edits an existing item's attributes, or adds a new
  item to the table if it does not already exist"; ``ReturnValues``: "UPDATED_OLD - Returns only
  the updated attributes, as they appeared before the UpdateItem operation", "UPDATED_NEW -
  Returns only the updated attributes, as they appear after the UpdateItem operation")
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html);
* ``dg-update``: Developer Guide, "Update expressions" (every path names the item as it was
  before the update; ``REMOVE`` of list elements; ``DELETE`` from a set)
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html);
* ``api-av``: API Reference, AttributeValue (``N``: "leading and trailing zeroes are trimmed");
* ``api-avu``: API Reference, AttributeValueUpdate (the legacy ``AttributeUpdates`` actions);
* ``alternator``: ScyllaDB Alternator's tests run against real DynamoDB
  (test/alternator/test_returnvalues.py);
* ``issue13``: requests the suite behind issue 13 (checked against real DynamoDB) saw accepted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.conftest import Endpoint

SOURCES = {"api-update", "dg-update", "api-av", "api-avu", "alternator", "issue13"}
N1, N2 = {"N": "1"}, {"N": "2"}


@dataclass(frozen=True)
class Update:
    id: str
    #: Attributes stored first (besides the key ``a``); ``None``: no item.
    before: dict[str, Any] | None
    #: The UpdateItem request without TableName and Key.
    request: dict[str, Any]
    #: The response's ``Attributes`` (``None``: no such member).
    returned: dict[str, Any] | None
    #: Attributes stored afterwards (besides ``a``); ``None``: no item.
    after: dict[str, Any] | None
    source: str


def _list(*values: str) -> dict[str, Any]:
    return {"L": [{"S": v} for v in values]}


ROWS = [
    Update("key-only-creates", None, {}, None, {}, "api-update: adds a new item if it does not exist"),
    Update("key-only-all-new", None, {"ReturnValues": "ALL_NEW"}, {}, {}, "api-update: the new item is its key"),
    Update("remove-on-missing-creates-nothing", None, {"UpdateExpression": "REMOVE x", "ReturnValues": "ALL_NEW"},
           None, None, "alternator: test_returnvalues.py test_update_item_returnvalues_all_new (no item is created)"),
    Update("legacy-delete-on-missing", None, {"AttributeUpdates": {"x": {"Action": "DELETE"}}}, None, None,
           "api-avu: DELETE of an attribute of no item creates nothing"),
    Update("updated-old-same-value", {"x": N1}, {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {
           ":v": N1}, "ReturnValues": "UPDATED_OLD"}, {"x": N1}, {"x": N1},
           "alternator: test_returnvalues.py test_update_item_returnvalues_updated_old (same value)"),
    Update("updated-new-same-value", {"x": N1}, {"UpdateExpression": "SET x = :v, y = :w",
           "ExpressionAttributeValues": {":v": N1, ":w": N2}, "ReturnValues": "UPDATED_NEW"},
           {"x": N1, "y": N2}, {"x": N1, "y": N2}, "api-update: UPDATED_NEW - every updated attribute"),
    Update("updated-new-remove-only", {"x": N1, "y": N2}, {"UpdateExpression": "REMOVE x",
           "ReturnValues": "UPDATED_NEW"}, None, {"y": N2}, "api-update: nothing updated remains to return"),
    Update("updated-old-nested-path", {"m": {"M": {"b": N1, "c": N2}}}, {"UpdateExpression": "SET m.b = :v",
           "ExpressionAttributeValues": {":v": N2}, "ReturnValues": "UPDATED_OLD"}, {"m": {"M": {"b": N1}}},
           {"m": {"M": {"b": N2, "c": N2}}}, "alternator: test_returnvalues.py test_update_item_returnvalues_nested (only the path)"),
    Update("all-old-missing", None, {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": N1},
           "ReturnValues": "ALL_OLD"}, None, {"x": N1}, "api-update: ALL_OLD of no item returns nothing"),
    Update("remove-then-set-list", {"l": _list("0", "1", "2", "3", "4")}, {
           "UpdateExpression": "REMOVE l[1] SET l[3] = :x", "ExpressionAttributeValues": {":x": {"S": "x"}}},
           None, {"l": _list("0", "2", "x", "4")}, "dg-update: paths name the item before the update"),
    Update("set-reads-removed", {"x": N1}, {"UpdateExpression": "REMOVE x SET y = x"}, None, {"y": N1},
           "dg-update: a SET reads the item as it was before the update"),
    Update("number-normalized", None, {"UpdateExpression": "SET x = :v, y = :w", "ExpressionAttributeValues": {
           ":v": {"N": "-0015.789e6"}, ":w": {"N": "000100.500"}}, "ReturnValues": "UPDATED_NEW"},
           {"x": {"N": "-15789000"}, "y": {"N": "100.5"}}, {"x": {"N": "-15789000"}, "y": {"N": "100.5"}},
           "api-av: leading and trailing zeroes are trimmed"),
    Update("if-not-exists-reads-key", {"x": N1}, {"UpdateExpression": "SET c = if_not_exists(c, a)",
           "ReturnValues": "UPDATED_NEW"}, {"c": {"S": "KEY"}}, {"x": N1, "c": {"S": "KEY"}},
           "issue13: reading a key attribute in SET is accepted by real DynamoDB (writing one is not)"),
    Update("arithmetic-with-exponent", {"x": {"N": "5"}}, {"UpdateExpression": "SET x = x + :v",
           "ExpressionAttributeValues": {":v": {"N": "1e2"}}, "ReturnValues": "UPDATED_NEW"}, {"x": {"N": "105"}},
           {"x": {"N": "105"}}, "api-av: a number is its value, whatever its notation"),
    Update("legacy-put-binary", None, {"AttributeUpdates": {"b": {"Action": "PUT", "Value": {"B": b"\x00\x01"}}}},
           None, {"b": {"B": b"\x00\x01"}}, "api-avu: PUT stores the value as given (a binary stays a binary)"),
    Update("legacy-put-bool-null", None, {"AttributeUpdates": {"t": {"Value": {"BOOL": True}},
                                                               "z": {"Value": {"NULL": True}}}},
           None, {"t": {"BOOL": True}, "z": {"NULL": True}}, "api-avu: PUT is the default action, any type"),
    Update("legacy-add-list", {"l": _list("a")}, {"AttributeUpdates": {"l": {"Action": "ADD", "Value": _list("b")}}},
           None, {"l": _list("a", "b")}, "api-avu: ADD of a list appends to it"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_update_item(endpoint: Endpoint, hash_table: str, row: Update) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    client = endpoint.client()
    key = {"a": {"S": "upd-" + secrets.token_hex(6)}}
    if row.before is not None:
        client.put_item(TableName=hash_table, Item={**key, **row.before})
    answer = client.update_item(TableName=hash_table, Key=key, **row.request)
    expected_returned = _with_key(row.returned, key)
    if expected_returned is not None and row.request.get("ReturnValues", "").startswith("ALL_"):
        expected_returned = {**key, **expected_returned}
    assert answer.get("Attributes") == expected_returned
    stored = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True).get("Item")
    assert stored == ({**key, **_with_key(row.after, key)} if row.after is not None else None)


def _with_key(attributes: dict[str, Any] | None, key: dict[str, Any]) -> dict[str, Any] | None:
    """``{"S": "KEY"}`` in a row stands for the row's own key value."""
    if attributes is None:
        return None
    return {name: key["a"] if value == {"S": "KEY"} else value for name, value in attributes.items()}
