"""BatchWriteItem: each table's requests checked in turn, then the tables, their key schemas and
duplicate items.

Sources: API Reference "BatchWriteItem" (up to 25 requests, 400 KB items); dynalite
test/batchWriteItem.js (texts and order recorded live against DynamoDB).
"""

from __future__ import annotations

import pytest

from tests.conformance.conftest import NOT_FOUND, VALIDATE, Endpoint, Row, check, ids

SRC = "dynalite: batchWriteItem.js"
BAD_KEY = "The provided key element does not match the schema"
ITEM = {"a": {"S": "conformance-batch"}, "c": {"S": "c"}}
PUT_AND_DELETE = [{"PutRequest": {"Item": ITEM}}, {"DeleteRequest": {"Key": {"a": ITEM["a"]}}}]

ROWS = [
    Row("an empty WriteRequest", "BatchWriteItem", {"RequestItems": {"abc": [{}]}}, 400, VALIDATE,
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported "
        "datatypes", SRC),
    Row("an item over 400 KB", "BatchWriteItem",
        {"RequestItems": {"abc": [{"PutRequest": {"Item": {"a": {"S": "k"}, "b": {"S": "x" * 409598}}}}]}}, 400,
        VALIDATE, "Item size has exceeded the maximum allowed size", SRC),
    Row("the table before duplicates", "BatchWriteItem", {"RequestItems": {"abc": PUT_AND_DELETE}}, 400, NOT_FOUND,
        "Requested resource not found", SRC),
    Row("a put and a delete of one item", "BatchWriteItem", {"RequestItems": {"{hash_table}": PUT_AND_DELETE}}, 400,
        VALIDATE, "Provided list of item keys contains duplicates", SRC),
    Row("a put without the key", "BatchWriteItem",
        {"RequestItems": {"{hash_table}": [{"PutRequest": {"Item": {"b": {"S": "a"}}}}]}}, 400, VALIDATE, BAD_KEY,
        SRC),
    Row("a put with a key of another type", "BatchWriteItem",
        {"RequestItems": {"{hash_table}": [{"PutRequest": {"Item": {"a": {"N": "1"}}}}]}}, 400, VALIDATE, BAD_KEY,
        SRC),
    Row("a put without the sort key", "BatchWriteItem",
        {"RequestItems": {"{range_table}": [{"PutRequest": {"Item": {"a": {"S": "a"}}}}]}}, 400, VALIDATE, BAD_KEY,
        SRC),
]


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_batch_write_item(row: Row, endpoint: Endpoint, hash_table: str, range_table: str,
                          request: pytest.FixtureRequest) -> None:
    check(endpoint, row, request, {"hash_table": hash_table, "range_table": range_table})
