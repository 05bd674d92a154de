"""DescribeTable and DeleteTable: validation and the missing table.

Sources: API Reference "DescribeTable", "DeleteTable" (ResourceNotFoundException); dynalite
test/describeTable.js and test/deleteTable.js (texts recorded live); the not-found text
"Requested resource not found: Table: <name> not found" is also what AWS SDK users quote in
issue threads.
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

REQUIRED = "The parameter 'TableName' is required but was not present in the request"
LENGTH = "TableName must be at least 3 characters long and at most 255 characters long"
PATTERN = ("1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")

ROWS = [
    row
    for target, source in (("DescribeTable", "dynalite: describeTable.js"), ("DeleteTable", "dynalite: deleteTable.js"))
    for row in (
        Row(f"{target}: TableName as a number", target, {"TableName": 23}, 400, SERIALIZATION,
            "NUMBER_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
        Row(f"{target}: TableName as a list", target, {"TableName": []}, 400, SERIALIZATION,
            "Unrecognized collection type class java.lang.String", "dynalite: helpers.js assertType String"),
        Row(f"{target}: no TableName", target, {}, 400, VALIDATE, REQUIRED, source),
        Row(f"{target}: empty TableName", target, {"TableName": ""}, 400, VALIDATE, LENGTH, source),
        Row(f"{target}: short TableName", target, {"TableName": "a;"}, 400, VALIDATE, LENGTH, source),
        Row(f"{target}: long TableName", target, {"TableName": "a" * 256}, 400, VALIDATE, LENGTH, source),
        Row(f"{target}: bad characters", target, {"TableName": "abc;"}, 400, VALIDATE, PATTERN, source),
        Row(f"{target}: missing table", target, {"TableName": "conformance_missing"}, 400, NOT_FOUND,
            "Requested resource not found: Table: conformance_missing not found", source),
    )
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_describe_delete_table(row: Row, endpoint: Endpoint, request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request)


def test_description(endpoint: Endpoint, hash_table: str) -> None:
    """API Reference "DescribeTable": an ACTIVE table with its TableId and ARN, no empty index
    lists (the table has none)."""
    table = endpoint.client().describe_table(TableName=hash_table)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableName"] == hash_table and table["TableArn"].endswith(f":table/{hash_table}")
    assert len(table["TableId"]) == 36
    assert "LocalSecondaryIndexes" not in table and "GlobalSecondaryIndexes" not in table


def test_delete_describes_the_table_not_its_schema(endpoint: Endpoint) -> None:
    """DeleteTable's description leaves out what DescribeTable says of the schema (KeySchema,
    AttributeDefinitions, CreationDateTime, both index lists) and keeps the rest: the status,
    TableId, ARN, sizes, throughput and the billing summary with its date (alternator:
    test_table.py::test_delete_table_description, test_delete_table_description_with_si and
    _missing_fields, run against DynamoDB; scylladb issue #14132)."""
    key = [{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "c", "KeyType": "RANGE"}]
    name = endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("p", "c", "x")], KeySchema=key,
        GlobalSecondaryIndexes=[{"IndexName": "hello", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]}],
        LocalSecondaryIndexes=[{"IndexName": "hithere", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [key[0], {"AttributeName": "x", "KeyType": "RANGE"}]}])
    client = endpoint.client()
    described = client.describe_table(TableName=name)["Table"]
    deleted = client.delete_table(TableName=name)["TableDescription"]
    for member in ("KeySchema", "AttributeDefinitions", "CreationDateTime", "GlobalSecondaryIndexes",
                   "LocalSecondaryIndexes"):
        assert member in described and member not in deleted, member
    assert deleted["TableStatus"] == "DELETING"
    assert (deleted["TableName"], deleted["TableId"], deleted["TableArn"]) == (
        name, described["TableId"], described["TableArn"])
    assert deleted["TableSizeBytes"] == 0 and deleted["ItemCount"] == 0
    assert deleted["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                                "WriteCapacityUnits": 0}
    assert deleted["BillingModeSummary"] == described["BillingModeSummary"]
    assert deleted["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
