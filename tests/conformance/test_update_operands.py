"""UpdateItem operands the stored item must provide: what DynamoDB answers when it does not.

Sources: ``alternator`` = ScyllaDB's Alternator tests, written and checked against real DynamoDB
(test/alternator/test_update_expression.py ``test_update_expression_list_append_non_list_arguments``
and ``test_update_expression_function_nesting``).
"""

from __future__ import annotations

import secrets

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import VALIDATE, Endpoint

MISSING = "The provided expression refers to an attribute that does not exist in the item"
VALUES = {":v": {"L": [{"S": "hi"}]}}


@pytest.mark.parametrize("arguments", ["b, :v", ":v, b", "if_not_exists(y, list_append(:v, b)), :v"])
@pytest.mark.parametrize("stored", [None, {"a": {"N": "2"}}], ids=["no-item", "no-attribute"])
def test_list_append_of_a_missing_attribute(endpoint: Endpoint, hash_table: str, arguments: str,
                                            stored: dict[str, object] | None) -> None:
    """Refused whichever operand is missing, and nothing is written (alternator); also when the
    ``list_append`` is the fallback of an ``if_not_exists`` whose path is missing, so that it is
    evaluated (inferred from the same test; moto failed on an assertion, a 500)."""
    client = endpoint.client()
    key = {"a": {"S": "operand-" + secrets.token_hex(6)}}
    if stored is not None:
        client.put_item(TableName=hash_table, Item={**key, "n": {"N": "2"}})
    with pytest.raises(ClientError) as caught:
        client.update_item(TableName=hash_table, Key=key, UpdateExpression=f"SET x = list_append({arguments})",
                           ExpressionAttributeValues=VALUES)
    assert (caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]) == \
        ("ValidationException", MISSING)
    after = client.get_item(TableName=hash_table, Key=key, ConsistentRead=True).get("Item")
    assert after == (None if stored is None else {**key, "n": {"N": "2"}})


NOT_ALLOWED = "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: "


@pytest.mark.parametrize("expression", ["SET x = list_append(list_append(:v, :v), :v)",
                                        "SET x = list_append(:v, list_append(list_append(:v, :v), :v))"])
def test_list_append_inside_list_append(endpoint: Endpoint, hash_table: str, expression: str) -> None:
    """It parses, but DynamoDB refuses it in these words (the test quotes them), and writes
    nothing; ``list_append(if_not_exists(...), ...)`` is fine (test_update_item.py) (alternator)."""
    key = {"a": {"S": "operand-" + secrets.token_hex(6)}}
    answer = endpoint.call("UpdateItem", {"TableName": hash_table, "Key": key, "UpdateExpression": expression,
                                          "ExpressionAttributeValues": VALUES})
    assert (answer.status, answer.type, answer.message) == (400, VALIDATE, NOT_ALLOWED + "list_append"), \
        answer.raw[:300]
    assert endpoint.client().get_item(TableName=hash_table, Key=key, ConsistentRead=True).get("Item") is None
