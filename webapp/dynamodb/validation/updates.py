"""UpdateItem's legacy ``AttributeUpdates``: each value well formed, and an action that can take it.

API Reference, ``AttributeValueUpdate``: ``PUT`` (the default) needs a value; ``DELETE`` without
a value removes the attribute and with one takes a set (the elements to remove); ``ADD`` takes a
number, a set or a list. DynamoDB checks each entry in turn - its value, then whether the action
may go without one, then the type ``DELETE`` or ``ADD`` was given - after the ``Key`` and before
``Expected`` (texts and order as recorded live by architect/dynalite: test/updateItem.js,
validations/updateItem.js ``custom``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

INVALID = "One or more parameter values were invalid: "
#: The types each action accepts a value of (API Reference, AttributeValueUpdate).
DELETE_TYPES = frozenset({"SS", "NS", "BS"})
ADD_TYPES = frozenset({"N", "SS", "NS", "BS", "L"})


def attribute_updates(operation: str, params: Mapping[str, Any]) -> None:
    from webapp.dynamodb.validation.items import attribute_value_error

    updates = params.get("AttributeUpdates")
    for update in (updates or {}).values() if isinstance(updates, Mapping) else ():
        if not isinstance(update, Mapping):
            continue
        value, action = update.get("Value"), update.get("Action", "PUT")
        if value is not None:
            message = attribute_value_error(value)
            if message:
                raise ValidationError(message)
        if value is None:
            if action != "DELETE":
                raise ValidationError(INVALID + "Only DELETE action is allowed when no attribute value is specified")
            continue
        kind = next(iter(value), "")
        if action == "DELETE" and kind not in DELETE_TYPES:
            raise ValidationError(INVALID + f"DELETE action with value is not supported for the type {kind}")
        if action == "ADD" and kind not in ADD_TYPES:
            raise ValidationError(INVALID + f"ADD action is not supported for the type {kind}")
