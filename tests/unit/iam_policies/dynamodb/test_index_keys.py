"""An item's index keys (``iam_policies.dynamodb.keys.check_item``): an index key may be left out
of an item but not written empty, string or binary alike.

Source: scylladb test/alternator/test_gsi.py test_gsi_empty_value and test_gsi_6_write_b_fail (run
against DynamoDB; they pin ValidationException and the word "empty"); the whole text is DynamoDB's
as its users quote it (dynalite issue #184, danishi/dynamodb-csv issue #41).
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.dynamodb.keys import InvalidKeyValue, check_item
from iam_policies.schema import IndexSchema, TableSchema

SCHEMA = TableSchema("t", "p", indexes={"by_s": IndexSchema(name="by_s", type="GSI", partition_key="s"),
                                        "by_b": IndexSchema(name="by_b", type="GSI", partition_key="b")},
                     attribute_types={"p": "S", "s": "S", "b": "B"})
TEXT = ("One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
        "The AttributeValue for a key attribute cannot contain an empty {word} value. IndexName: {index}, IndexKey: {key}")


@pytest.mark.parametrize(("item", "message"), [
    ({"s": {"S": ""}}, TEXT.format(word="string", index="by_s", key="s")),
    ({"b": {"B": ""}}, TEXT.format(word="binary", index="by_b", key="b")),
], ids=["string", "binary"])
def test_an_empty_index_key_is_refused(item: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidKeyValue) as caught:
        check_item({"p": {"S": "k"}, **item}, SCHEMA)
    assert caught.value.message == message


@pytest.mark.parametrize("item", [{}, {"s": {"S": "x"}, "b": {"B": "eA=="}}, {"other": {"S": ""}}],
                         ids=["left-out", "written", "empty-non-key"])
def test_other_items_pass(item: dict[str, Any]) -> None:
    assert check_item({"p": {"S": "k"}, **item}, SCHEMA) == "k"
