"""TransactWriteItems and TransactGetItems: which failure answers first, and which member errors
cancel the transaction rather than refuse the request.

Sources (``source`` of each row):

* ``paritysuite``: paritysuite/dynamodb-conformance, captured against DynamoDB (us-east-1,
  eu-west-2 and two more regions, identical answers): ``tests/tier3/validation-ordering/
  transactions.test.ts`` (every member's expressions before any table; the first failing
  member in request order), ``tests/tier3/error-messages/transactWriteItems.test.ts`` (an empty
  key value refuses the request, "are not valid." whatever the member; a key of another or a
  non-scalar type cancels it) and ``transactGetItems.test.ts`` (a Get whose key misses its
  attributes cancels);
* ``alternator``: scylladb test/alternator/test_projection_expression.py (what a projection of
  list elements returns), run against DynamoDB; a transaction's Get projects as GetItem does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint

SOURCES = {"paritysuite", "alternator"}
BAD_KEY = "The provided key element does not match the schema"
SYNTAX = 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("'
UNUSED = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
EMPTY = ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty "
         "{} value. Key: a")
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"

Members = Callable[[str, str, str], list[dict[str, Any]]]  # (hash table, binary table, missing table)


NESTING = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
           "supported limit")


def _deep(levels: int) -> dict[str, Any]:
    """A string wrapped in ``levels`` maps: with its attribute, one level too many at 32."""
    value: dict[str, Any] = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"n": value}}
    return value


def _key(value: dict[str, Any]) -> dict[str, Any]:
    return {"a": value}


def _check(table: str, key: dict[str, Any], condition: str = "attribute_not_exists(a)", **more: Any) -> dict[str, Any]:
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": condition, **more}}


def _update(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": "SET attr1 = :v",
                       "ExpressionAttributeValues": {":v": {"S": "x"}}}}


@dataclass(frozen=True)
class Refused:
    id: str
    members: Members
    #: The error code, its message, and the cancellation reasons' codes and messages (if cancelled).
    code: str
    message: str
    reasons: tuple[tuple[str, str | None], ...] | None
    source: str


WRITE_ROWS = [
    Refused("syntax-after-missing-table",
            lambda t, b, m: [{"Put": {"TableName": m, "Item": _key({"S": "a"})}}, _check(t, _key({"S": "cc"}), "attribute_not_exists(")],
            "ValidationException", SYNTAX, None, "paritysuite: validation-ordering/transactions.test.ts"),
    Refused("unused-after-missing-table",
            lambda t, b, m: [{"Put": {"TableName": m, "Item": _key({"S": "a"})}},
                             _check(t, _key({"S": "cc"}), ExpressionAttributeValues={":v": {"S": "x"}})],
            "ValidationException", UNUSED, None, "paritysuite: validation-ordering/transactions.test.ts"),
    Refused("unused-before-duplicate",
            lambda t, b, m: [{"Put": {"TableName": t, "Item": _key({"S": "cc"})}},
                             _check(t, _key({"S": "cc"}), ExpressionAttributeValues={":v": {"S": "x"}})],
            "ValidationException", UNUSED, None, "paritysuite: validation-ordering/transactions.test.ts"),
    Refused("syntax-first-before-deep-second",
            lambda t, b, m: [_check(t, _key({"S": "cc"}), "attribute_not_exists("),
                             {"Put": {"TableName": t, "Item": {**_key({"S": "a"}), "data": _deep(32)}}}],
            "ValidationException", SYNTAX, None, "paritysuite: validation-ordering/transactions.test.ts"),
    Refused("deep-first-before-syntax-second",
            lambda t, b, m: [{"Put": {"TableName": t, "Item": {**_key({"S": "a"}), "data": _deep(32)}}},
                             _check(t, _key({"S": "cc"}), "attribute_not_exists(")],
            "ValidationException", NESTING, None, "paritysuite: validation-ordering/transactions.test.ts"),
    Refused("put-list-key", lambda t, b, m: [{"Put": {"TableName": t, "Item": _key({"L": [{"S": "x"}]})}}],
            "TransactionCanceledException", CANCELLED.format("ValidationError"),
            (("ValidationError", "One or more parameter values were invalid: Type mismatch for key a expected: S actual: L"),),
            "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("put-empty-key", lambda t, b, m: [{"Put": {"TableName": t, "Item": _key({"S": ""})}}],
            "ValidationException", EMPTY.format("string"), None, "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("update-empty-key", lambda t, b, m: [_update(t, _key({"S": ""}))],
            "ValidationException", EMPTY.format("string"), None, "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("delete-empty-binary-key", lambda t, b, m: [{"Delete": {"TableName": b, "Key": _key({"B": ""})}}],
            "ValidationException", EMPTY.format("binary"), None, "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("check-empty-key", lambda t, b, m: [_check(t, _key({"S": ""}))],
            "ValidationException", EMPTY.format("string"), None, "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("delete-list-key", lambda t, b, m: [{"Delete": {"TableName": t, "Key": _key({"L": [{"S": "x"}]})}}],
            "TransactionCanceledException", CANCELLED.format("ValidationError"), (("ValidationError", BAD_KEY),),
            "paritysuite: error-messages/transactWriteItems.test.ts"),
    Refused("update-number-key-second", lambda t, b, m: [_check(t, _key({"S": "ok"})), _update(t, _key({"N": "5"}))],
            "TransactionCanceledException", CANCELLED.format("None, ValidationError"),
            (("None", None), ("ValidationError", BAD_KEY)), "paritysuite: error-messages/transactWriteItems.test.ts"),
]

GET_ROWS = [
    Refused("get-empty-key", lambda t, b, m: [{"Get": {"TableName": t, "Key": {}}}],
            "TransactionCanceledException", CANCELLED.format("ValidationError"), (("ValidationError", BAD_KEY),),
            "paritysuite: error-messages/transactGetItems.test.ts (pins the code; the reason's text is the lookup "
            "key's of transactWriteItems.test.ts)"),
    Refused("get-number-key", lambda t, b, m: [{"Get": {"TableName": t, "Key": _key({"S": "x"})}},
                                                {"Get": {"TableName": t, "Key": _key({"N": "5"})}}],
            "TransactionCanceledException", CANCELLED.format("None, ValidationError"),
            (("None", None), ("ValidationError", BAD_KEY)),
            "paritysuite: error-messages/transactWriteItems.test.ts (a lookup key of another type cancels)"),
    Refused("get-syntax-after-missing-table",
            lambda t, b, m: [{"Get": {"TableName": m, "Key": _key({"S": "x"})}},
                             {"Get": {"TableName": t, "Key": _key({"S": "x"}), "ProjectionExpression": "a, #n"}}],
            "ValidationException", "Invalid ProjectionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #n", None, "paritysuite: validation-ordering/transactions.test.ts"),
]


@pytest.fixture(scope="module")
def binary_table(endpoint: Endpoint) -> str:
    return endpoint.create_table(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "B"}],
                                 KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])


def _refused(call: Callable[[], Any], row: Refused) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (row.code, row.message)
    if row.reasons is None:
        assert "CancellationReasons" not in error
    else:
        assert tuple((r["Code"], r.get("Message")) for r in error["CancellationReasons"]) == row.reasons


@pytest.mark.parametrize("row", WRITE_ROWS, ids=[row.id for row in WRITE_ROWS])
def test_transact_write_refusals(endpoint: Endpoint, hash_table: str, binary_table: str, row: Refused) -> None:
    client = endpoint.client()
    members = row.members(hash_table, binary_table, f"conformance_missing_{secrets.token_hex(4)}")
    _refused(lambda: client.transact_write_items(TransactItems=members), row)
    for key in ({"a": {"S": "a"}}, {"a": {"S": "cc"}}, {"a": {"S": "ok"}}):
        assert "Item" not in client.get_item(TableName=hash_table, Key=key, ConsistentRead=True)


@pytest.mark.parametrize("row", GET_ROWS, ids=[row.id for row in GET_ROWS])
def test_transact_get_refusals(endpoint: Endpoint, hash_table: str, binary_table: str, row: Refused) -> None:
    client = endpoint.client()
    members = row.members(hash_table, binary_table, f"conformance_missing_{secrets.token_hex(4)}")
    _refused(lambda: client.transact_get_items(TransactItems=members), row)


def test_a_get_projects_list_elements_as_getitem_does(endpoint: Endpoint, hash_table: str) -> None:
    """``l[3], l[1]`` returns both elements, in list order, compacted (alternator:
    test_projection_expression.py::test_projection_expression_path; the same item and projection
    by GetItem for comparison)."""
    client = endpoint.client()
    key = {"a": {"S": "tx-" + secrets.token_hex(6)}}
    client.put_item(TableName=hash_table, Item={**key, "l": {"L": [{"N": str(i)} for i in range(4)]}, "x": {"S": "y"}})
    get = {"TableName": hash_table, "Key": key, "ProjectionExpression": "l[3], #l[1]", "ExpressionAttributeNames": {"#l": "l"}}
    expected = {"l": {"L": [{"N": "1"}, {"N": "3"}]}}
    assert client.transact_get_items(TransactItems=[{"Get": get}])["Responses"] == [{"Item": expected}]
    assert client.get_item(**get)["Item"] == expected


# Index keys inside a transaction (paritysuite: error-messages/transactWriteItemsIndexes.test.ts, captured
# in eu-west-2): a key value of another type cancels with the PutItem text as the reason; an empty
# one refuses the whole request. The messages name the alphabetically first index the attribute keys.
INDEX_TYPE = "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S Actual: {} IndexName: gsi1"
INDEX_EMPTY = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
               "supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, "
               "IndexKey: {}")
UPDATE_EMPTY = ("One or more parameter values are not valid. The update expression attempted to update a secondary "
                "index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an "
                "empty {} value.")
INDEXES = "paritysuite: error-messages/transactWriteItemsIndexes.test.ts"


@pytest.fixture(scope="module")
def indexed_tables(endpoint: Endpoint) -> tuple[str, str]:
    """``a``/``b`` keyed, with ``c`` (S) keying both an LSI ``lsi1`` and a GSI ``gsi1``; and a table
    whose GSI ``gsib`` is keyed by ``bidx`` (B)."""
    strings = endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "c")],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                                              {"AttributeName": "c", "KeyType": "RANGE"}]}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}]}],
    )
    binary = endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "bidx", "AttributeType": "B"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsib", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "bidx", "KeyType": "HASH"}]}],
    )
    return strings, binary


#: The item every index row writes (a fresh partition per test run).
IX = "ix-" + secrets.token_hex(6)


def _index_put(table: str, value: dict[str, Any], name: str = "c") -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"a": {"S": IX}, "b": {"S": "1"}, name: value}
                    if name == "c" else {"a": {"S": IX}, name: value}}}


def _index_update(table: str, value: dict[str, Any], name: str = "c") -> dict[str, Any]:
    key = {"a": {"S": IX}, "b": {"S": "1"}} if name == "c" else {"a": {"S": IX}}
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": f"SET {name} = :v",
                       "ExpressionAttributeValues": {":v": value}}}


INDEX_ROWS = [
    ("put-number", lambda s, b: _index_put(s, {"N": "5"}), "TransactionCanceledException", INDEX_TYPE.format("N")),
    ("put-list", lambda s, b: _index_put(s, {"L": [{"S": "x"}]}), "TransactionCanceledException", INDEX_TYPE.format("L")),
    ("update-number", lambda s, b: _index_update(s, {"N": "5"}), "TransactionCanceledException", INDEX_TYPE.format("N")),
    ("update-list", lambda s, b: _index_update(s, {"L": [{"S": "x"}]}), "TransactionCanceledException",
     INDEX_TYPE.format("L")),
    ("put-empty-string", lambda s, b: _index_put(s, {"S": ""}), "ValidationException",
     INDEX_EMPTY.format("string", "gsi1", "c")),
    ("update-empty-string", lambda s, b: _index_update(s, {"S": ""}), "ValidationException", UPDATE_EMPTY.format("string")),
    ("put-empty-binary", lambda s, b: _index_put(b, {"B": ""}, "bidx"), "ValidationException",
     INDEX_EMPTY.format("binary", "gsib", "bidx")),
    ("update-empty-binary", lambda s, b: _index_update(b, {"B": ""}, "bidx"), "ValidationException",
     UPDATE_EMPTY.format("binary")),
]


@pytest.mark.parametrize(("member", "code", "message"), [row[1:] for row in INDEX_ROWS], ids=[row[0] for row in INDEX_ROWS])
def test_index_key_values_in_a_transaction(endpoint: Endpoint, indexed_tables: tuple[str, str],
                                           member: Callable[[str, str], dict[str, Any]], code: str, message: str) -> None:
    strings, binary = indexed_tables
    client = endpoint.client()
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=[member(strings, binary)])
    error = caught.value.response
    if code == "TransactionCanceledException":
        assert error["Error"]["Code"] == code
        assert [(r["Code"], r.get("Message")) for r in error["CancellationReasons"]] == [("ValidationError", message)]
    else:
        assert (error["Error"]["Code"], error["Error"]["Message"]) == (code, message)
        assert "CancellationReasons" not in error
    # every row is refused, so the item no row may write stays absent
    assert "Item" not in client.get_item(TableName=strings, Key={"a": {"S": IX}, "b": {"S": "1"}}, ConsistentRead=True)
    assert "Item" not in client.get_item(TableName=binary, Key={"a": {"S": IX}}, ConsistentRead=True)
