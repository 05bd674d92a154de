"""``ConsumedCapacity`` through the backend: reported only when asked, per table and per index.

Expected figures follow the Developer Guide ("Read/write capacity mode", "Item sizes and
formats"): Query/Scan round the summed size of the items they evaluate once, before filters;
transactions count double; multi-table operations report a list.
"""

from __future__ import annotations

from typing import Any

import pytest

from webapp.backend.local import LocalBackend

from .conftest import TABLE, create_table, put


@pytest.mark.parametrize(("call", "expected"), [
    (("PutItem", {"Item": {"pk": {"S": "new"}, "d": {"S": "x" * 1500}}}), 2.0),
    (("GetItem", {"Key": {"pk": {"S": "big"}}}), 1.0),                           # 5006 B: 2 units, halved
    (("GetItem", {"Key": {"pk": {"S": "big"}}, "ConsistentRead": True}), 2.0),
    (("GetItem", {"Key": {"pk": {"S": "absent"}}, "ConsistentRead": True}), 1.0),
    (("GetItem", {"Key": {"pk": {"S": "big"}}, "ProjectionExpression": "pk"}), 1.0),  # whole item read
    (("DeleteItem", {"Key": {"pk": {"S": "big"}}}), 5.0),                        # 5006 B: 5 KB
    (("UpdateItem", {"Key": {"pk": {"S": "small"}}, "UpdateExpression": "SET d = :d",
                     "ExpressionAttributeValues": {":d": {"S": "y" * 3000}}}), 3.0),
    (("Scan", {"ConsistentRead": True}), 2.0),                                   # 5.1 KB summed: 2
    (("Scan", {"FilterExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nothing"}}}), 1.0),
])
def test_consumed_capacity_is_reported_when_asked(backend: LocalBackend, call: tuple[str, dict[str, Any]], expected: float) -> None:
    put(backend, "big", size=5000)
    put(backend, "small", size=100)
    operation, params = call
    response = backend.call(operation, {"TableName": TABLE, "ReturnConsumedCapacity": "TOTAL", **params})
    assert response["ConsumedCapacity"] == {"TableName": TABLE, "CapacityUnits": expected}


def test_consumed_capacity_is_absent_unless_asked(backend: LocalBackend) -> None:
    assert "ConsumedCapacity" not in put(backend, "a")
    assert "ConsumedCapacity" not in backend.call("UpdateItem", {
        "TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": {"N": "1"}},
    })
    assert "ConsumedCapacity" not in backend.call("BatchWriteItem", {
        "RequestItems": {TABLE: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]},
    })


def test_multi_table_operations_report_a_list_and_transactions_count_double(backend: LocalBackend) -> None:
    response = backend.call("TransactWriteItems", {
        "ReturnConsumedCapacity": "INDEXES",
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t2"}, "d": {"S": "x" * 1500}}}},
        ],
    })
    assert response["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 6.0, "Table": {"CapacityUnits": 6.0}},
    ]


def test_consumed_capacity_of_batches_is_a_list_per_table(backend: LocalBackend) -> None:
    create_table(backend, "Second")
    written = backend.call("BatchWriteItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        TABLE: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "d": {"S": "x" * 1500}}}}],
        "Second": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}, {"PutRequest": {"Item": {"pk": {"S": "c"}}}}],
    }})
    assert written["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 2.0}, {"TableName": "Second", "CapacityUnits": 2.0},
    ]
    read = backend.call("BatchGetItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        TABLE: {"Keys": [{"pk": {"S": "a"}}], "ConsistentRead": True},
        "Second": {"Keys": [{"pk": {"S": "b"}}, {"pk": {"S": "c"}}]},
    }})
    assert read["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 1.0}, {"TableName": "Second", "CapacityUnits": 1.0},
    ]


def test_index_reads_are_reported_per_index_with_indexes(backend: LocalBackend) -> None:
    backend.call("CreateTable", {
        "TableName": "Indexed", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
    })
    backend.call("PutItem", {"TableName": "Indexed", "Item": {"pk": {"S": "a"}, "g": {"S": "G"}}})
    response = backend.call("Query", {
        "TableName": "Indexed", "IndexName": "byG", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "G"}}, "ReturnConsumedCapacity": "INDEXES",
    })
    assert response["ConsumedCapacity"] == {
        "TableName": "Indexed", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
        "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 0.5}},
    }


@pytest.mark.parametrize(("existing", "item", "expected"), [
    ("big", {"d": {"S": "x"}}, 5.0),          # the item replaced weighs more: 5006 B, 5 units
    ("small", {"d": {"S": "x" * 1500}}, 2.0),  # the item put weighs more: 1.5 KB, 2 units
    ("absent", {}, 1.0),                        # nothing before, a bare key after: 1 unit
])
def test_a_batch_put_is_charged_the_larger_of_the_items_before_and_after(
        backend: LocalBackend, existing: str, item: dict[str, Any], expected: float) -> None:
    put(backend, "big", size=5000)
    put(backend, "small", size=100)
    written = backend.call("BatchWriteItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        TABLE: [{"PutRequest": {"Item": {"pk": {"S": existing}, **item}}}]}})
    assert written["ConsumedCapacity"] == [{"TableName": TABLE, "CapacityUnits": expected}]
