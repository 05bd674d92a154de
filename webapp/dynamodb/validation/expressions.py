"""The expressions of an item request checked as DynamoDB checks them, before the table is looked
up: ``Invalid UpdateExpression: ...``, ``Invalid FilterExpression: ...`` and the unused names and
values, each in DynamoDB's order.

DynamoDB parses a request's expressions one after the other - ``UpdateExpression``,
``ConditionExpression``, ``KeyConditionExpression``, ``FilterExpression``,
``ProjectionExpression`` - and reports the first thing wrong with the first that is wrong; only
then does it refuse ``ExpressionAttributeNames`` and ``ExpressionAttributeValues`` entries that no
expression used (names before values). The order and the texts are DynamoDB's as recorded live by
architect/dynalite (validations/index.js ``validateExpressions``; test/updateItem.js,
test/scan.js). The grammar and the per-expression checks are ``iam_policies.dynamodb.expressions``
(``syntax`` then ``check``), the parser the endpoint also derives IAM condition keys with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

#: The expression members of each operation, in the order DynamoDB checks them.
MEMBERS: dict[str, tuple[ex.Kind, ...]] = {
    "GetItem": ("ProjectionExpression",),
    "PutItem": ("ConditionExpression",),
    "DeleteItem": ("ConditionExpression",),
    "UpdateItem": ("UpdateExpression", "ConditionExpression"),
    "Query": ("KeyConditionExpression", "FilterExpression", "ProjectionExpression"),
    "Scan": ("FilterExpression", "ProjectionExpression"),
}


def check(operation: str, params: Mapping[str, Any]) -> None:
    """Raise DynamoDB's ValidationException for the first expression error of ``params``."""
    names = params.get("ExpressionAttributeNames")
    values = params.get("ExpressionAttributeValues")
    names = names if isinstance(names, Mapping) else {}
    values = values if isinstance(values, Mapping) else {}
    used_names: set[str] = set()
    used_values: set[str] = set()
    for kind in MEMBERS.get(operation, ()):
        text = params.get(kind)
        if not isinstance(text, str):
            continue
        if text == "":
            raise ValidationError(f"Invalid {kind}: The expression can not be empty;")
        try:
            parsed = ex.syntax(kind, text)
            ex.check(kind, parsed, names, values)  # a key condition's shape is checked later, with the table
        except ValidationError:
            raise
        except ValidationException as error:
            raise ValidationError(error.message) from None
        used_names |= parsed.names
        used_values |= parsed.values
    unused_names = [name for name in names if name not in used_names]
    if unused_names:
        raise ValidationError("Value provided in ExpressionAttributeNames unused in expressions: "
                              f"keys: {{{', '.join(unused_names)}}}")
    unused_values = [value for value in values if value not in used_values]
    if unused_values:
        raise ValidationError("Value provided in ExpressionAttributeValues unused in expressions: "
                              f"keys: {{{', '.join(unused_values)}}}")
