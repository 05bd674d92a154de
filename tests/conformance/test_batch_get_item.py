"""BatchGetItem: each table's entry checked in turn, then the tables and their key schemas.

Sources: API Reference "BatchGetItem" (up to 100 items); dynalite test/batchGetItem.js (texts and
order recorded live against DynamoDB).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
SRC = "dynalite: batchGetItem.js"
BAD_KEY = "The provided key element does not match the schema"
KEYS_100 = [{"a": {"S": str(i)}} for i in range(100)]
KEY = {"a": {"S": "k"}, "b": {"N": "1"}}

ROWS = [
    Row("101 keys over two tables", "BatchGetItem",
        {"RequestItems": {"abc": {"Keys": KEYS_100}, "abd": {"Keys": [{"a": {"S": "100"}}]}}}, 400, VALIDATE,
        "Too many items requested for the BatchGetItem call", SRC),
    Row("100 keys, missing table", "BatchGetItem", {"RequestItems": {"abc": {"Keys": KEYS_100}}}, 400, NOT_FOUND,
        "Requested resource not found", SRC),
    Row("a key twice, members reordered", "BatchGetItem",
        {"RequestItems": {"abc": {"Keys": [KEY, {"b": {"N": "1.0"}, "a": {"S": "k"}}]}}}, 400, VALIDATE,
        "Provided list of item keys contains duplicates", SRC),
    Row("projection checked before duplicate keys", "BatchGetItem",
        {"RequestItems": {"abc": {"Keys": [KEY, KEY], "ProjectionExpression": ""}}}, 400, VALIDATE,
        "Invalid ProjectionExpression: The expression can not be empty;", SRC),
    Row("names without an expression", "BatchGetItem",
        {"RequestItems": {"abc": {"Keys": [{}], "AttributesToGet": ["a"], "ExpressionAttributeNames": {}}}}, 400,
        VALIDATE, "ExpressionAttributeNames can only be specified when using expressions", SRC),
    Row("malformed key value before the table", "BatchGetItem",
        {"RequestItems": {"abc": {"Keys": [{"a": {"SS": []}}]}}}, 400, VALIDATE,
        INVALID + "An string set  may not be empty", SRC),
    Row("key of another type", "BatchGetItem", {"RequestItems": {"{hash_table}": {"Keys": [{"a": {"N": "1"}}]}}},
        400, VALIDATE, BAD_KEY, SRC),
    Row("sort key missing", "BatchGetItem", {"RequestItems": {"{range_table}": {"Keys": [{"a": {"S": "a"}}]}}},
        400, VALIDATE, BAD_KEY, SRC),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_batch_get_item(row: Row, endpoint: Endpoint, hash_table: str, range_table: str,
                        request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table, "range_table": range_table})
