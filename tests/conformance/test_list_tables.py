"""ListTables: validation, order (by name) and paging (``ExclusiveStartTableName``, ``Limit``).

Sources: API Reference "ListTables" (Limit 1-100; names are returned in order, paging by
``LastEvaluatedTableName``); dynalite ``test/listTables.js`` (live-checked texts).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import SERIALIZATION, VALIDATE, Endpoint, Row, check, ids

P = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"

ROWS = [
    Row("no parameters", "ListTables", {}, 200, None, None, "api"),
    Row("unknown and null members are ignored", "ListTables",
        {"hi": "yo", "ExclusiveStartTableName": None, "Limit": None}, 200, None, None, "dynalite: listTables.js"),
    Row("Limit as a string", "ListTables", {"Limit": "23"}, 400, SERIALIZATION,
        "STRING_VALUE cannot be converted to Integer", "dynalite: helpers.js assertType Integer"),
    Row("Limit as true", "ListTables", {"Limit": True}, 400, SERIALIZATION,
        "TRUE_VALUE cannot be converted to Integer", "dynalite: helpers.js assertType Integer"),
    Row("Limit as a list", "ListTables", {"Limit": []}, 400, SERIALIZATION,
        "Unrecognized collection type class java.lang.Integer", "dynalite: helpers.js assertType Integer"),
    Row("Limit as a map", "ListTables", {"Limit": {}}, 400, SERIALIZATION,
        "Start of structure or map found where not expected", "dynalite: helpers.js assertType Integer"),
    Row("ExclusiveStartTableName as a number", "ListTables", {"ExclusiveStartTableName": 23}, 400, SERIALIZATION,
        "NUMBER_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
    Row("ExclusiveStartTableName as a decimal", "ListTables", {"ExclusiveStartTableName": 34.56}, 400,
        SERIALIZATION, "DECIMAL_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
    Row("ExclusiveStartTableName as false", "ListTables", {"ExclusiveStartTableName": False}, 400, SERIALIZATION,
        "FALSE_VALUE cannot be converted to String", "dynalite: helpers.js assertType String"),
    Row("ExclusiveStartTableName as a list", "ListTables", {"ExclusiveStartTableName": []}, 400, SERIALIZATION,
        "Unrecognized collection type class java.lang.String", "dynalite: helpers.js assertType String"),
    Row("three errors, in DynamoDB's order", "ListTables", {"ExclusiveStartTableName": "a;", "Limit": 500}, 400,
        VALIDATE, "3 validation errors detected: "
        "Value '500' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100; "
        f"Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: {P}; "
        "Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3", "dynalite: listTables.js"),
    Row("empty ExclusiveStartTableName", "ListTables", {"ExclusiveStartTableName": ""}, 400, VALIDATE,
        f"2 validation errors detected: Value '' at 'exclusiveStartTableName' failed to satisfy constraint: {P}; "
        "Value '' at 'exclusiveStartTableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3", "dynalite: listTables.js"),
    Row("long ExclusiveStartTableName", "ListTables", {"ExclusiveStartTableName": "a" * 256}, 400, VALIDATE,
        f"1 validation error detected: Value '{'a' * 256}' at 'exclusiveStartTableName' failed to satisfy "
        "constraint: Member must have length less than or equal to 255", "dynalite: listTables.js"),
    Row("Limit 0", "ListTables", {"Limit": 0}, 400, VALIDATE,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1", "dynalite: listTables.js"),
    Row("Limit 101", "ListTables", {"Limit": 101}, 400, VALIDATE,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 100", "dynalite: listTables.js"),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_list_tables(row: Row, endpoint: Endpoint, request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request)


def _all_names(endpoint: Endpoint, **params: object) -> list[str]:
    client = endpoint.client()
    names: list[str] = []
    while True:
        page = client.list_tables(**params)
        names += page["TableNames"]
        if "LastEvaluatedTableName" not in page:
            return names
        params["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def test_sorted_and_paged(endpoint: Endpoint, hash_table: str, range_table: str) -> None:
    """API Reference "ListTables": names come back in order; paging with Limit and
    ExclusiveStartTableName returns each name once; LastEvaluatedTableName is the last name of a
    full page. A third table created last but sorting first shows order is by name, not age."""
    first = endpoint.create_table(
        TableName="conformance_" + "0" * 12,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
    )
    everything = _all_names(endpoint)
    assert everything == sorted(everything)
    assert {first, hash_table, range_table} <= set(everything)
    assert _all_names(endpoint, Limit=1) == everything
    page = endpoint.client().list_tables(ExclusiveStartTableName=first, Limit=1)
    after = everything[everything.index(first) + 1:]
    assert page["TableNames"] == after[:1]
    if len(after) > 1:
        assert page["LastEvaluatedTableName"] == after[0]
    before = first[:-1]  # sorts just before ``first``: the start name need not exist
    assert endpoint.client().list_tables(ExclusiveStartTableName=before, Limit=1)["TableNames"] == [first]
