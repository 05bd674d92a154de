"""The 400 KB check sizes each attribute of a write once, not once per attribute already set.

moto's ``LimitedSizeDict`` re-summed the whole item on every attribute it set: an item of *n*
attributes cost n²/2 sizings under the table's lock (2,000 small attributes: two minutes of CPU;
10,000 held the DynamoDB endpoint for most of an hour; issue 11, ``benchmarks/fuzz.py
--hostile``). Counted, not timed: each row writes *n* attributes and the number of sizings must
stay within a few per attribute, which a quadratic check (n²/2) cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from webapp.backend import capacity, item_size
from webapp.backend.errors import DynamoDBError
from webapp.backend.moto_engine import MotoEngine

KEY = {"pk": {"S": "k"}}

#: (what, n, the call's parameters): each writes n attributes.
WRITES: list[tuple[str, int, Callable[[int], dict[str, Any]]]] = [
    ("PutItem", 1500, lambda n: {"Item": {**KEY, **{f"a{i}": {"N": str(i)} for i in range(n)}}}),
    ("UpdateItem with AttributeUpdates", 1500, lambda n: {"Key": KEY, "AttributeUpdates": {
        f"a{i}": {"Value": {"S": "v"}, "Action": "PUT"} for i in range(n)}}),
]


@pytest.fixture
def engine() -> MotoEngine:
    engine = MotoEngine("us-east-1", "000000000000")
    engine.call("CreateTable", {"TableName": "T", "BillingMode": "PAY_PER_REQUEST",
                                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    return engine


@pytest.mark.parametrize("what, n, params", WRITES, ids=[w[0] for w in WRITES])
def test_a_write_sizes_each_attribute_a_few_times_not_once_per_attribute(
        what: str, n: int, params: Callable[[int], dict[str, Any]], engine: MotoEngine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    real = capacity.value_size

    def counted(value: Any) -> int:
        calls[0] += 1
        return real(value)

    monkeypatch.setattr(item_size, "value_size", counted)
    operation = "PutItem" if what == "PutItem" else "UpdateItem"
    try:
        engine.call(operation, {"TableName": "T", **params(n)})
    except DynamoDBError as error:  # an engine refusal would make the count meaningless
        pytest.fail(f"{what} refused: {error.message}")
    assert 0 < calls[0] <= 4 * n, calls[0]  # a quadratic check makes n²/2


def test_the_check_still_refuses_an_item_over_400_kb(engine: MotoEngine) -> None:
    with pytest.raises(DynamoDBError) as refused:
        engine.call("PutItem", {"TableName": "T", "Item": {**KEY, **{f"a{i}": {"S": "x" * 1000} for i in range(500)}}})
    assert refused.value.message == "Item size has exceeded the maximum allowed size"
    with pytest.raises(DynamoDBError) as grown:
        engine.call("UpdateItem", {"TableName": "T", "Key": KEY, "UpdateExpression": "SET a = :a, b = :b",
                                   "ExpressionAttributeValues": {":a": {"S": "x" * 300000}, ":b": {"S": "y" * 300000}}})
    assert grown.value.message == "Item size to update has exceeded the maximum allowed size"
