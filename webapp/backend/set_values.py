"""A ``SET`` writes a copy of the value it read, as DynamoDB does, not the stored object itself.

DynamoDB evaluates every operand of an UpdateExpression against the item as it was before the
update (Developer Guide, "Update expressions"), so ``SET b[5] = b`` appends to ``b`` a copy of
the list ``b`` held. moto 5.2.1's ``SetExecutor`` (``moto/dynamodb/parsing/executors.py``) puts
the very ``DynamoType`` it read into the item: the list then holds itself, and the item-size check
that follows recurses without end (a RecursionError, answered as an InternalServerError; found by
fuzzing UpdateItem). Only a list or a map can hold itself, so only those are copied.

``install()`` wraps ``SetExecutor.get_action_value``, the one place a ``SET`` takes its value.
"""

from __future__ import annotations

import copy

from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.parsing.executors import NodeExecutor, SetExecutor

_original = SetExecutor.get_action_value


def _copied_value(self: NodeExecutor) -> DynamoType:
    value = _original(self)
    return copy.deepcopy(value) if value.is_list() or value.is_map() else value


def install() -> None:
    """Make moto's ``SET`` write a copy of a list or map value (idempotent)."""
    SetExecutor.get_action_value = _copied_value  # type: ignore[method-assign]
