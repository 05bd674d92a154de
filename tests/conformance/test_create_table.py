"""CreateTable (and the table lifecycle it starts): validation, status and description.

Sources: API Reference "CreateTable" (response ``TableDescription`` with ``TableStatus`` CREATING
and a ``TableId``; ``ResourceInUseException`` for a table being created or deleted); dynalite
``test/createTable.js`` and ``test/deleteTable.js`` (live-checked texts).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from tests.conformance.conftest import IN_USE, NOT_FOUND, SERIALIZATION, VALIDATE, Endpoint, Row, check, ids
from tests.conftest import RunningStack, free_port_block

P = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
KEY = [{"AttributeName": "a", "KeyType": "HASH"}]
DEFS = [{"AttributeName": "a", "AttributeType": "S"}]

ROWS = [
    Row("TableName as a number", "CreateTable", {"TableName": 23}, 400, SERIALIZATION,
        "NUMBER_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
    Row("AttributeDefinitions as a string", "CreateTable", {"AttributeDefinitions": "23"}, 400, SERIALIZATION,
        "Unexpected field type", "dynalite: helpers.js assertType List"),
    Row("AttributeDefinitions as a map", "CreateTable", {"AttributeDefinitions": {}}, 400, SERIALIZATION,
        "Start of structure or map found where not expected", "dynalite: helpers.js assertType List"),
    Row("ProvisionedThroughput as a string", "CreateTable", {"ProvisionedThroughput": "23"}, 400, SERIALIZATION,
        "Unexpected field type", "dynalite: helpers.js assertType FieldStruct"),
    Row("ProvisionedThroughput as a list", "CreateTable", {"ProvisionedThroughput": []}, 400, SERIALIZATION,
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ProvisionedThroughput",
        "dynalite: helpers.js assertType FieldStruct"),
    Row("ReadCapacityUnits as a string", "CreateTable", {"ProvisionedThroughput": {"ReadCapacityUnits": "23"}},
        400, SERIALIZATION, "STRING_VALUE cannot be converted to Long", "dynalite: helpers.js assertType Long"),
    Row("KeySchema.0 as a string", "CreateTable", {"KeySchema": ["23"]}, 400, SERIALIZATION,
        "Unexpected value type in payload", "dynalite: helpers.js assertType ValueStruct"),
    Row("KeySchema.0 as a list", "CreateTable", {"KeySchema": [[]]}, 400, SERIALIZATION,
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.KeySchemaElement",
        "dynalite: helpers.js assertType ValueStruct"),
    Row("KeySchema.0.KeyType as true", "CreateTable", {"KeySchema": [{"KeyType": True}]}, 400, SERIALIZATION,
        "TRUE_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
    Row("no TableName", "CreateTable", {}, 400, VALIDATE,
        "The parameter 'TableName' is required but was not present in the request", "dynalite: createTable.js"),
    Row("empty TableName", "CreateTable", {"TableName": ""}, 400, VALIDATE,
        "TableName must be at least 3 characters long and at most 255 characters long", "dynalite: createTable.js"),
    Row("long TableName", "CreateTable", {"TableName": "a" * 256}, 400, VALIDATE,
        "TableName must be at least 3 characters long and at most 255 characters long", "dynalite: createTable.js"),
    Row("null members and a bad name", "CreateTable", {"TableName": "abc;"}, 400, VALIDATE,
        ("Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null",
         f"Value 'abc;' at 'tableName' failed to satisfy constraint: {P}",
         "Value null at 'keySchema' failed to satisfy constraint: Member must not be null"),
        "dynalite: createTable.js"),
    Row("empty ProvisionedThroughput", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [], "ProvisionedThroughput": {}}, 400, VALIDATE,
        ("Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: "
         "Member must not be null",
         "Value null at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
         "Member must not be null",
         "Value null at 'keySchema' failed to satisfy constraint: Member must not be null"),
        "dynalite: createTable.js"),
    Row("attribute definition nulls", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [{}], "KeySchema": [*KEY, *KEY],
         "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}, 400, VALIDATE,
        ("Value null at 'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: "
         "Member must not be null",
         "Value null at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
         "Member must not be null"), "dynalite: createTable.js"),
    Row("empty AttributeDefinitions", "CreateTable", {"TableName": "abc", "AttributeDefinitions": []}, 400,
        VALIDATE, "1 validation error detected: "
        "Value null at 'keySchema' failed to satisfy constraint: Member must not be null", "dynalite: createTable.js"),
    Row("attribute type SS", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "b", "AttributeType": "SS"}],
         "KeySchema": KEY, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
        400, VALIDATE, "1 validation error detected: "
        "Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [B, N, S]", "dynalite: createTable.js"),
    Row("missing ProvisionedThroughput", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [], "KeySchema": KEY}, 400, VALIDATE,
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
        "specified when BillingMode is PROVISIONED", "dynalite: createTable.js (BillingMode era)"),
    Row("ReadCapacityUnits out of bounds", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [], "KeySchema": KEY,
         "ProvisionedThroughput": {"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1000000000001}},
        400, VALIDATE, "Given value 1000000000001 for ReadCapacityUnits is out of bounds", "dynalite: createTable.js"),
    Row("WriteCapacityUnits out of bounds", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [], "KeySchema": KEY,
         "ProvisionedThroughput": {"ReadCapacityUnits": 1000000000000, "WriteCapacityUnits": 1000000000001}},
        400, VALIDATE, "Given value 1000000000001 for WriteCapacityUnits is out of bounds",
        "dynalite: createTable.js"),
    Row("key attribute without definition", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": [], "KeySchema": [*KEY, *KEY],
         "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
        400, VALIDATE, "Invalid KeySchema: Some index key attribute have no definition", "dynalite: createTable.js"),
    Row("PAY_PER_REQUEST with throughput", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": DEFS, "KeySchema": KEY, "BillingMode": "PAY_PER_REQUEST",
         "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}, 400, VALIDATE,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
        "specified when BillingMode is PAY_PER_REQUEST", "dynalite: createTable.js"),
    # Reported before the definitions are counted against the keys (they outnumber them here).
    Row("an attribute defined twice", "CreateTable",
        {"TableName": "abc", "BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName": "xyz", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "xyz", "AttributeType": "S"},
                                  {"AttributeName": "xyz", "AttributeType": "N"}]},
        400, VALIDATE, "Attribute Name is duplicated: xyz",
        "alternator: test_table.py::test_create_table_duplicate_attribute_name, text quoted in scylladb issue #13870"),
    Row("an index key defined twice", "CreateTable",
        {"TableName": "abc", "BillingMode": "PAY_PER_REQUEST", "KeySchema": KEY,
         "AttributeDefinitions": [*DEFS, {"AttributeName": "xyz", "AttributeType": "S"},
                                  {"AttributeName": "xyz", "AttributeType": "N"}],
         "GlobalSecondaryIndexes": [{"IndexName": f"index{i}", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "xyz", "KeyType": "HASH"}]} for i in (1, 2)]},
        400, VALIDATE, "Attribute Name is duplicated: xyz", "alternator: test_gsi.py::test_gsi_key_type_conflict_on_create"),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_create_table_rows(row: Row, endpoint: Endpoint, request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request)


def _name() -> str:
    return f"conformance_{secrets.token_hex(6)}"


def test_created_then_active(endpoint: Endpoint) -> None:
    """CREATING with a TableId (a UUID), no empty index lists; ACTIVE once the waiter says so,
    with the same TableId (API Reference "CreateTable", "DescribeTable")."""
    client = endpoint.client()
    name = _name()
    created = client.create_table(TableName=name, AttributeDefinitions=DEFS, KeySchema=KEY,
                                  BillingMode="PAY_PER_REQUEST")["TableDescription"]
    endpoint.created.append(name)
    assert created["TableStatus"] == "CREATING"
    assert len(created["TableId"]) == 36 and created["TableId"].count("-") == 4
    assert "LocalSecondaryIndexes" not in created and "GlobalSecondaryIndexes" not in created
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    described = client.describe_table(TableName=name)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["TableId"] == created["TableId"]
    assert "LocalSecondaryIndexes" not in described


@pytest.fixture
def slow_endpoint(endpoint: Endpoint, tmp_path: Path) -> Iterator[Endpoint]:
    """An endpoint whose tables take a while to create: an upstream as it is, or a private local
    stack with ``WEBAPP_TABLE_STATUS_SECONDS=3``."""
    if not endpoint.local:
        yield endpoint
        return
    stack = RunningStack(tmp_path / "data", free_port_block(),
                         extra_env={"WEBAPP_TABLE_STATUS_SECONDS": "3"}).start()
    admin = stack.admin_credentials()
    try:
        yield Endpoint(stack.dynamodb_url, stack.region,
                       Credentials(admin.access_key_id, admin.secret_access_key), local=True)
    finally:
        stack.stop()


def test_delete_while_creating_is_refused(slow_endpoint: Endpoint) -> None:
    """DeleteTable of a table still CREATING: ResourceInUseException (API Reference "DeleteTable";
    text from dynalite test/deleteTable.js, recorded live); once ACTIVE it can be deleted."""
    client = slow_endpoint.client()
    name = _name()
    client.create_table(TableName=name, AttributeDefinitions=DEFS, KeySchema=KEY, BillingMode="PAY_PER_REQUEST")
    slow_endpoint.created.append(name)
    answer = slow_endpoint.call("DeleteTable", {"TableName": name})
    assert (answer.status, answer.type, answer.message) == (
        400, IN_USE, f"Attempt to change a resource which is still in use: Table is being created: {name}")
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "CREATING"
    # Items only once ACTIVE (API Reference "CreateTable"): a read or a write meanwhile is refused
    # as of a missing table, and writes nothing.
    for operation, request in (("PutItem", {"TableName": name, "Item": {"a": {"S": "early"}}}),
                               ("GetItem", {"TableName": name, "Key": {"a": {"S": "early"}}})):
        early = slow_endpoint.call(operation, request)
        assert (early.status, early.type) == (400, NOT_FOUND), early.raw[:300]
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert "Item" not in client.get_item(TableName=name, Key={"a": {"S": "early"}})
    assert client.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"


def test_delete_answers_deleting(endpoint: Endpoint) -> None:
    """DeleteTable answers the description with TableStatus DELETING (API Reference "DeleteTable");
    the table is gone once the ``table_not_exists`` waiter returns."""
    name = endpoint.create_table(TableName=_name(), AttributeDefinitions=DEFS, KeySchema=KEY)
    client = endpoint.client()
    table_id = client.describe_table(TableName=name)["Table"]["TableId"]
    deleted = client.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    assert deleted["TableId"] == table_id
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert name not in client.list_tables()["TableNames"]
