"""``limits.SHORTEST_UNSAFE_BODY``: the gateway skips the limits walk for shorter bodies, so the
shortest body the walk refuses must not be shorter (built here in compact JSON, the shortest
spelling, against the walk itself), and one level less must pass."""

from __future__ import annotations

import json

import pytest

from iam_policies.errors import ValidationException
from webapp.dynamodb import limits


def nested(levels: int, operation: str) -> str:
    """``levels`` attribute values inside one another: lists, the innermost a 1-byte value."""
    value = '{"L":[' * (levels - 1) + "1" + "]}" * (levels - 1)
    member = {"PutItem": "Item", "UpdateItem": "Key", "Query": "ExclusiveStartKey"}[operation]
    return '{"' + member + '":{"a":' + value + "}}"


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem", "Query"])
def test_no_body_shorter_than_the_bound_breaks_a_limit(operation: str) -> None:
    too_deep = nested(limits.MAX_DEPTH + 1, operation)
    with pytest.raises(ValidationException):
        limits.check(operation, json.loads(too_deep))
    limits.check(operation, json.loads(nested(limits.MAX_DEPTH, operation)))
    # the wrapping (member and attribute names) is more than the one byte the bound leaves out
    assert len(too_deep.encode()) > limits.SHORTEST_UNSAFE_BODY
    assert limits.SHORTEST_UNSAFE_BODY < limits.MAX_NAME_BYTES
