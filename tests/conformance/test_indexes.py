"""Global secondary indexes: what an update may write into an index key, which items an index
added later holds, and UpdateTable's index updates against the indexes the table has.

Sources (``source`` of each row):

* ``alternator``: ScyllaDB's Alternator tests, written and checked against real DynamoDB
  (test/alternator/test_gsi.py);
* ``api-update-table``: API Reference, UpdateTable ("Errors": ``ResourceNotFoundException`` - the
  operation tried to access a nonexistent table or index);
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint

SOURCES = {"alternator", "api-update-table"}
INDEX = "by_x"


@pytest.fixture(scope="module")
def gsi_table(endpoint: Endpoint) -> str:
    """Keyed by ``a`` (S), with the global index ``by_x`` keyed by ``x`` (S)."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                              {"AttributeName": "x", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": INDEX, "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
    )


@dataclass(frozen=True)
class Refused:
    id: str
    #: The UpdateItem request without TableName and Key.
    request: dict[str, Any]
    #: Words DynamoDB's message holds.
    words: str
    source: str


ROWS = [
    Refused("set-number", {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": {"N": "3"}}},
            "Type mismatch for Index Key x", "alternator: test_gsi_wrong_type_attribute_update"),
    Refused("legacy-put-number", {"AttributeUpdates": {"x": {"Action": "PUT", "Value": {"N": "3"}}}},
            "Type mismatch for Index Key x", "alternator: test_gsi_wrong_type_attribute_update"),
    Refused("set-map", {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": {"M": {"a": {"N": "3"}}}}},
            "Type mismatch", "alternator: test_gsi_wrong_type_attribute_update_nested"),
    Refused("set-inside", {"UpdateExpression": "SET x.y = :v", "ExpressionAttributeValues": {":v": {"N": "3"}}},
            "Key attributes must be scalars", "alternator: test_gsi_wrong_type_attribute_update_nested"),
    # alternator pins the code and "empty"; the words are DynamoDB's for an update expression
    # (paritysuite/dynamodb-conformance transactWriteItemsIndexes.test.ts, captured), which name no index
    Refused("set-empty", {"UpdateExpression": "SET x = :v", "ExpressionAttributeValues": {":v": {"S": ""}}},
            "The update expression attempted to update a secondary index key to a value that is not supported. "
            "The AttributeValue for a key attribute cannot contain an empty string value.",
            "alternator: test_gsi_empty_value"),
    Refused("legacy-put-empty", {"AttributeUpdates": {"x": {"Action": "PUT", "Value": {"S": ""}}}},
            "cannot contain an empty string value.", "alternator: test_gsi_empty_value"),
]

#: DynamoDB's text for an item holding an empty index key, as its users quote it (dynalite
#: issue #184, danishi/dynamodb-csv issue #41); alternator test_gsi_empty_value pins the code.
EMPTY_INDEX_KEY = ("One or more parameter values are not valid. A value specified for a secondary index key is not "
                   "supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                   f"IndexName: {INDEX}, IndexKey: x")


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_an_update_cannot_break_an_index_key(endpoint: Endpoint, gsi_table: str, row: Refused) -> None:
    assert row.source.split(":", 1)[0] in SOURCES
    client = endpoint.client()
    key = {"a": {"S": "idx-" + secrets.token_hex(6)}}
    item = {**key, "x": {"S": "before"}}
    client.put_item(TableName=gsi_table, Item=item)
    with pytest.raises(ClientError) as caught:
        client.update_item(TableName=gsi_table, Key=key, **row.request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert row.words in caught.value.response["Error"]["Message"]
    assert client.get_item(TableName=gsi_table, Key=key, ConsistentRead=True)["Item"] == item


@pytest.mark.parametrize("operation", ["PutItem", "BatchWriteItem"])
def test_an_item_cannot_hold_an_empty_index_key(endpoint: Endpoint, gsi_table: str, operation: str) -> None:
    """Refused, and nothing of the batch written (alternator: test_gsi_empty_value,
    test_gsi_empty_value_in_bigger_batch_write)."""
    client = endpoint.client()
    keys = [{"a": {"S": "idx-" + secrets.token_hex(6)}} for _ in range(3)]
    items = [{**keys[0], "x": {"S": "one"}}, {**keys[1], "x": {"S": ""}}, {**keys[2], "x": {"S": "three"}}]
    with pytest.raises(ClientError) as caught:
        if operation == "PutItem":
            client.put_item(TableName=gsi_table, Item=items[1])
        else:
            client.batch_write_item(RequestItems={gsi_table: [{"PutRequest": {"Item": item}} for item in items]})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == EMPTY_INDEX_KEY
    for key in keys:
        assert "Item" not in client.get_item(TableName=gsi_table, Key=key, ConsistentRead=True)


def test_removing_an_index_key_is_allowed(endpoint: Endpoint, gsi_table: str) -> None:
    """The item only leaves the index (alternator: test_gsi_missing_attribute)."""
    client = endpoint.client()
    key = {"a": {"S": "idx-" + secrets.token_hex(6)}}
    client.put_item(TableName=gsi_table, Item={**key, "x": {"S": "gone"}, "y": {"S": "kept"}})
    client.update_item(TableName=gsi_table, Key=key, UpdateExpression="REMOVE x")
    assert client.get_item(TableName=gsi_table, Key=key, ConsistentRead=True)["Item"] == {**key, "y": {"S": "kept"}}


def _wait_for_index(client: Any, table: str, index: str, *, gone: bool = False) -> None:
    for _ in range(240):
        described = client.describe_table(TableName=table)["Table"]
        states = {i["IndexName"]: i["IndexStatus"] for i in described.get("GlobalSecondaryIndexes", [])}
        if described["TableStatus"] == "ACTIVE" and (index not in states if gone else states.get(index) == "ACTIVE"):
            return
        time.sleep(0.5)
    raise AssertionError(f"index {index} of {table} did not become {'gone' if gone else 'ACTIVE'}")


def test_an_index_added_later_holds_only_items_it_can_key(endpoint: Endpoint) -> None:
    """Items written before UpdateTable added the index whose index key has another type or is
    empty stay in the table only; scanning and querying the index works (alternator:
    test_gsi_backfill, test_gsi_backfill_empty_string). A second index of the same name is
    refused (alternator: test_gsi_backfill), deleting a missing one is a ResourceNotFoundException
    (api-update-table)."""
    client = endpoint.client()
    table = endpoint.create_table(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    good = {"a": {"S": "good"}, "x": {"S": "hello"}}
    for item in (good, {"a": {"S": "number"}, "x": {"N": "7"}}, {"a": {"S": "empty"}, "x": {"S": ""}},
                 {"a": {"S": "none"}, "y": {"S": "no x"}}):
        client.put_item(TableName=table, Item=item)
    create = {"Create": {"IndexName": INDEX, "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}
    definitions = [{"AttributeName": "x", "AttributeType": "S"}]
    client.update_table(TableName=table, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create])
    _wait_for_index(client, table, INDEX)
    assert client.scan(TableName=table, IndexName=INDEX)["Items"] == [good]
    assert client.query(TableName=table, IndexName=INDEX, KeyConditionExpression="x = :x",
                        ExpressionAttributeValues={":x": {"S": "hello"}})["Items"] == [good]
    with pytest.raises(ClientError) as caught:
        client.update_table(TableName=table, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "already exists" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        client.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "no_such_index"}}])
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(("projection", "words"), [
    ({"ProjectionType": "INCLUDE"}, "NonKeyAttributes"),
    ({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "a"]}, "Duplicate"),
], ids=["include-without-attributes", "include-twice"])
def test_an_include_projection_names_each_attribute_once(endpoint: Endpoint, projection: dict[str, Any],
                                                         words: str) -> None:
    """alternator: test_gsi_projection_error_missing_nonkeyattributes / _duplicate."""
    client = endpoint.client()
    with pytest.raises(ClientError) as caught:
        client.create_table(TableName=f"conformance_{secrets.token_hex(6)}", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                                  {"AttributeName": "x", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                            GlobalSecondaryIndexes=[{"IndexName": INDEX, "Projection": projection,
                                                     "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert words in caught.value.response["Error"]["Message"]
