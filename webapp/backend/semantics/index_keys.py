"""An update may not give a secondary index's key attribute a value the index cannot hold.

DynamoDB refuses, and leaves the item as it was, an update that sets an index key attribute to
another type than ``AttributeDefinitions`` gives it ("Type mismatch for Index Key x Expected: S
Actual: N IndexName: hello", the text PutItem gives: dynalite test/putItem.js, recorded live),
sets it to an empty string or binary (a key is never empty: Developer Guide, "Supported data
types"), or writes inside it ("Key attributes must be scalars; list random access '[]' and map lookup '.'
are not allowed: IndexKey: x"): ScyllaDB's Alternator tests, test/alternator/test_gsi.py
``test_gsi_wrong_type_attribute_update`` / ``_update_nested``, checked against DynamoDB. moto
stores the update and the item drops out of the index.

Checked before the update reaches moto, for the values the update writes that can be read off
the request and the stored item (``SET`` of a value, a path, ``if_not_exists``, a sum, a
``list_append``; ``ADD``/``DELETE`` of a value; legacy ``AttributeUpdates``, which arrive as an
expression); ``REMOVE`` of an index key is allowed (the item leaves the index).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics.arithmetic import Reader, sections, split
from webapp.backend.semantics.values import kind

Item = Mapping[str, Any]
INVALID = "One or more parameter values were invalid: "


class _Schema(Protocol):
    def key_names(self, table: str, index: str | None = None) -> tuple[str, ...] | None: ...

    def attribute_type(self, table: str, name: str) -> str | None: ...

    def index_keys(self, table: str) -> dict[str, tuple[str, ...]]: ...


def _written(reader: Reader, section: str, action: list[ex.Token]) -> tuple[list[ex.Token], Any] | None:
    """The target path's tokens and the value the action writes there (``None``: not known)."""
    if section == "SET":
        sides = split(action, "=")
        if len(sides) != 2 or not sides[0]:
            return None
        value_tokens = sides[1]
        if len(split(value_tokens, "+")) == 2 or len(split(value_tokens, "-")) == 2:
            return sides[0], {"N": "0"}
        if value_tokens and value_tokens[0].kind == "name" and value_tokens[0].text == "list_append":
            return sides[0], {"L": []}
        return sides[0], reader.operand(value_tokens)
    if section in ("ADD", "DELETE") and len(action) >= 2 and action[-1].kind == "value":
        return action[:-1], reader.values.get(action[-1].text)
    return None


def check_update(storage: _Schema, params: Mapping[str, Any], stored: Callable[[], Item | None]) -> None:
    """Raise DynamoDB's ``ValidationException`` when the update (UpdateItem's parameters or a
    transaction's ``Update``) writes an index key attribute a value the index cannot hold."""
    table, expression = params.get("TableName"), params.get("UpdateExpression")
    if not isinstance(table, str) or not isinstance(expression, str):
        return
    indexes = storage.index_keys(table)
    if not indexes:
        return
    keyed = {name: index for index, names in indexes.items() for name in names}
    try:
        tokens = ex.tokenize("UpdateExpression", expression)
    except ValidationException:
        return
    names = params.get("ExpressionAttributeNames")
    names = names if isinstance(names, Mapping) else {}
    values = params.get("ExpressionAttributeValues")
    reader = Reader(expression, tokens, {}, names, values if isinstance(values, Mapping) else {})
    item_read = False
    base_keys = set(storage.key_names(table) or ())
    for section, body in sections(tokens):
        for action in split(body, ","):
            target = action[0] if action else None
            if target is None or target.kind not in ("name", "alias"):
                continue
            name = str(names.get(target.text, target.text)) if target.kind == "alias" else target.text
            if name not in keyed or name in base_keys:
                continue
            if section == "REMOVE":
                continue
            if not item_read:
                reader.item, item_read = stored() or {}, True
            found = _written(reader, section, action)
            if found is None:
                continue
            path, value = found
            if len(path) > 1:
                raise DynamoDBValidationException(
                    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
                    f"IndexKey: {name}")
            expected, actual = storage.attribute_type(table, name), kind(value)
            if actual in ("S", "B") and isinstance(value, Mapping) and value[actual] in ("", b""):
                raise DynamoDBValidationException(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not "
                    f"supported. The AttributeValue for a key attribute cannot contain an empty "
                    f"{'string' if actual == 'S' else 'binary'} value. IndexName: {keyed[name]}, IndexKey: {name}")
            if expected is not None and actual is not None and actual != expected:
                raise DynamoDBValidationException(
                    INVALID + f"Type mismatch for Index Key {name} Expected: {expected} Actual: {actual} "
                    f"IndexName: {keyed[name]}")
