"""PartiQL writes and index reads keep DynamoDB's index rules (``webapp/backend/partiql_scope.py``).

PartiQL runs on our own evaluation (ff59fd3), which wrote items with ``table.put_item`` and read
an index by testing only that its key attributes are present. So an INSERT or UPDATE stored what
PutItem and UpdateItem refuse (an empty key value, an index key of another type or empty:
DynamoDB DG, "Supported data types" / "Secondary indexes"; the texts are PutItem's, ``keys.check_item``,
recorded by dynalite test/putItem.js against DynamoDB), and a SELECT of an index whose sort key held
two types in one partition sorted a Decimal against bytes: HTTP 500. DynamoDB leaves such items
out of the index (``moto_models._indexed``: ScyllaDB Alternator test_gsi.py ``test_gsi_backfill``,
checked against DynamoDB). Found by review's adversarial pass.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend

T = "Scoped"


def _table(backend: LocalBackend, *, with_index: bool) -> None:
    extra: dict[str, Any] = {}
    definitions = [{"AttributeName": n, "AttributeType": "S"} for n in ("h", "s")]
    if with_index:
        definitions.append({"AttributeName": "g", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{"IndexName": "byG", "KeySchema": [
            {"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}]
    backend.call("CreateTable", {"TableName": T, "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": definitions,
                                 "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                                               {"AttributeName": "s", "KeyType": "RANGE"}], **extra})
    backend.call("PutItem", {"TableName": T, "Item": {"h": {"S": "a"}, "s": {"S": "1"}, "g": {"S": "x"}}})


def _scan(backend: LocalBackend) -> list[dict[str, Any]]:
    return sorted(backend.call("Scan", {"TableName": T, "ConsistentRead": True})["Items"], key=repr)


def test_an_index_select_leaves_out_items_the_index_does_not_hold(open_local: Callable[..., LocalBackend]) -> None:
    """Items written before UpdateTable made the index, with its sort key as a number: a pinned
    SELECT of the index sorted them with the strings (a 500); DynamoDB's index does not hold them."""
    backend = open_local()
    _table(backend, with_index=False)
    backend.call("PutItem", {"TableName": T, "Item": {"h": {"S": "a"}, "s": {"S": "2"}, "g": {"N": "5"}}})
    backend.call("PutItem", {"TableName": T, "Item": {"h": {"S": "a"}, "s": {"S": "3"}, "g": {"S": ""}}})
    backend.call("UpdateTable", {"TableName": T, "AttributeDefinitions": [
        {"AttributeName": n, "AttributeType": "S"} for n in ("h", "s", "g")],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byG", "KeySchema": [
            {"AttributeName": "h", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}}]})
    for statement in (f'SELECT * FROM "{T}"."byG" WHERE h = \'a\'', f'SELECT * FROM "{T}"."byG"',
                      f'SELECT * FROM "{T}"."byG" WHERE h = \'a\' ORDER BY g DESC'):
        items = backend.call("ExecuteStatement", {"Statement": statement})["Items"]
        assert items == [{"h": {"S": "a"}, "s": {"S": "1"}, "g": {"S": "x"}}], statement


# (id, statement, DynamoDB's text: PutItem's / UpdateItem's for the same item)
REFUSED = [
    ("insert-empty-sort-key", f"INSERT INTO \"{T}\" VALUE {{'h': 'a', 's': ''}}",
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
     "string value. Key: s"),
    ("insert-index-key-number", f"INSERT INTO \"{T}\" VALUE {{'h': 'a', 's': '9', 'g': 5}}",
     "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG"),
    ("insert-index-key-empty", f"INSERT INTO \"{T}\" VALUE {{'h': 'a', 's': '9', 'g': ''}}",
     "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
     "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byG, IndexKey: g"),
    ("update-index-key-number", f"UPDATE \"{T}\" SET g = 5 WHERE h = 'a' AND s = '1'",
     "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: byG"),
    # UpdateItem's text (updates.EMPTY_INDEX_KEY, scylladb test_gsi.py test_gsi_empty_value)
    ("update-index-key-empty", f"UPDATE \"{T}\" SET g = '' WHERE h = 'a' AND s = '1'",
     "One or more parameter values are not valid. The update expression attempted to update a secondary index key "
     "to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value."),
]


@pytest.mark.parametrize(("case", "statement", "message"), REFUSED, ids=[c for c, _, _ in REFUSED])
def test_a_partiql_write_keeps_putitems_key_rules(case: str, statement: str, message: str,
                                                   open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    _table(backend, with_index=True)
    before = _scan(backend)
    with pytest.raises(DynamoDBError) as caught:
        backend.call("ExecuteStatement", {"Statement": statement})
    assert caught.value.code == "ValidationException", case
    assert caught.value.message == message, case
    assert _scan(backend) == before, "a refused statement wrote"
    found = backend.call("ExecuteStatement", {"Statement": f'SELECT * FROM "{T}"."byG" WHERE h = \'a\''})["Items"]
    assert found == [{"h": {"S": "a"}, "s": {"S": "1"}, "g": {"S": "x"}}]


def _token(statement: str, position: object, key: str = "null") -> str:
    """A NextToken as ``semantics.partiql.page_token`` makes it, with another position and key."""
    digest = hashlib.sha256(statement.encode()).hexdigest()[:16]
    text = f'{{"s": "{digest}", "k": {key}, "p": {position}}}'
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(("position", "key"), [("-100", "null"), ("-1", "null"), ("1e400", "null"), ("1.5", "null"),
                                               ('"2"', "null"), ("true", "null"), ("null", "null"),
                                               ("1", "[" * 3000 + "]" * 3000)])
def test_a_forged_next_token_is_refused_not_a_500(position: str, key: str,
                                                  open_local: Callable[..., LocalBackend]) -> None:
    """A NextToken is opaque (API Reference, ExecuteStatement): one whose place is not a place the
    call made (negative: an IndexError past the start; 1e400: int() overflowing), or whose key
    nests past json's recursion limit (8 KB, within NextToken's 32,768 characters), is DynamoDB's
    refusal of a token, not an HTTP 500 (found by review)."""
    backend = open_local()
    _table(backend, with_index=False)
    statement = f'SELECT * FROM "{T}" WHERE h = \'a\''
    with pytest.raises(DynamoDBError) as caught:
        backend.call("ExecuteStatement", {"Statement": statement, "Limit": 1,
                                          "NextToken": _token(statement, position, key)})
    assert (caught.value.code, caught.value.message) == ("ValidationException",
                                                         "The NextToken is not valid for this statement")

