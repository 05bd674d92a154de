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
