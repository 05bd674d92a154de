"""An expression may not look inside a key attribute: keys (of the table and of its indexes) are
strings, numbers or binaries, so ``a.b`` or ``a[0]`` of key ``a`` is refused - ``Key attributes
must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a`` (``IndexKey:
d`` for an index key). Recorded against DynamoDB by dynalite test/scan.js (a FilterExpression) and
test/getItem.js (a ProjectionExpression).

DynamoDB checks this after the index and the starting key of a Scan, which the engine checks
later here; so for a Scan the rule is applied only to scans of the table itself without a
starting key, where nothing is checked before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException


class Keys(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...

    def index_names(self, table: str) -> tuple[str, ...]: ...


def check_scan(storage: Keys, params: Mapping[str, Any]) -> None:
    if "IndexName" in params or "ExclusiveStartKey" in params:
        return
    check(storage, params, "FilterExpression")


def check(storage: Keys, params: Mapping[str, Any], kind: ex.Kind) -> None:
    """Raise DynamoDB's error when the ``kind`` expression of ``params`` looks inside a key."""
    text, table = params.get(kind), params.get("TableName")
    if not isinstance(text, str) or not isinstance(table, str):
        return
    try:
        parsed = ex.parse(kind, text)
    except ValidationException:
        return  # validation answered this already
    keys = storage.key_names(table) or ()
    index_keys = {name for index in storage.index_names(table) for name in storage.key_names(table, index) or ()}
    names = params.get("ExpressionAttributeNames") or {}
    for path in parsed.paths:
        first = str(path[0])
        name = str(names.get(first, first)) if first.startswith("#") else first
        if len(path) == 1:
            continue
        if name in keys or name in index_keys:
            raise DynamoDBValidationException("Key attributes must be scalars; list random access '[]' and map lookup "
                                              f"'.' are not allowed: {'Key' if name in keys else 'IndexKey'}: {name}")
