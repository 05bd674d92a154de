"""A Scan's filter may not look inside a key attribute: a key is a string, number or binary, so
``a.b`` or ``a[0]`` of key ``a`` is refused - ``Key attributes must be scalars; list random access
'[]' and map lookup '.' are not allowed: Key: a`` (dynalite test/scan.js, recorded against
DynamoDB). DynamoDB checks this after the index and the starting key, which the engine checks
here; so the rule is applied to scans of the table itself without a starting key, where nothing
is checked before it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException


class Keys(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...


def check_scan(storage: Keys, params: Mapping[str, Any]) -> None:
    text, table = params.get("FilterExpression"), params.get("TableName")
    if not isinstance(text, str) or not isinstance(table, str) or "IndexName" in params \
            or "ExclusiveStartKey" in params:
        return
    try:
        parsed = ex.parse("FilterExpression", text)
    except ValidationException:
        return  # validation answered this already
    keys = storage.key_names(table) or ()
    names = params.get("ExpressionAttributeNames") or {}
    for path in parsed.paths:
        first = str(path[0])
        name = str(names.get(first, first)) if first.startswith("#") else first
        if len(path) > 1 and name in keys:
            raise DynamoDBValidationException("Key attributes must be scalars; list random access '[]' and map lookup "
                                              f"'.' are not allowed: Key: {name}")
