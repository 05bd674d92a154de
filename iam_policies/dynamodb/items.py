"""Single-item actions: GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem.

Each is authorised against the table ARN (S2) with the keys of fgac-semantics.md A.2:

- LeadingKeys: the partition-key value of ``Key`` (``Item`` for a put) (S1 Example 2);
- Attributes: the key names (S1 "Important", G-2), the item's names (S12 PutItem example), and
  every top-level name of the projection, condition and update (S1 Examples 3/4, A.4), with
  legacy parameters counted the same way (G-1);
- Select (GetItem): ``SPECIFIC_ATTRIBUTES`` with a projection, else ``ALL_ATTRIBUTES`` (S7, S1 Ex. 7);
- ReturnValues (writes): as sent, NONE by default (S1), widened by
  ReturnValuesOnConditionCheckFailure (G-7);
- ReturnConsumedCapacity: as sent, NONE by default (G-8).

The same functions derive transaction members, which carry ``EnclosingOperation`` (S3) and take
ReturnConsumedCapacity from the enclosing request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb.errors import invalid
from iam_policies.dynamodb.expressions import parse
from iam_policies.dynamodb.keys import BAD_KEY, INVALID, InvalidKeyValue, check_item, check_key
from iam_policies.dynamodb.legacy import attributes_to_get, check_not_mixed, condition_map
from iam_policies.dynamodb.request import (
    Env,
    consumed_capacity,
    item_context,
    on_condition_failure,
    require,
    return_values,
)
from iam_policies.dynamodb.scope import ExpressionScope
from iam_policies.errors import ValidationException
from iam_policies.schema import TableSchema

_WRITE_RETURN_VALUES = ("NONE", "ALL_OLD")
_UPDATE_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


def _scope(params: Mapping[str, Any]) -> ExpressionScope:
    return ExpressionScope(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))


def _condition(params: Mapping[str, Any], scope: ExpressionScope) -> set[str]:
    """Names of ``ConditionExpression`` or of the legacy ``Expected`` map."""
    check_not_mixed(params, ("Expected", "ConditionalOperator"), ("ConditionExpression",))
    if params.get("ConditionExpression") is not None:
        return scope.attributes("ConditionExpression", params["ConditionExpression"])
    if params.get("Expected") is not None:
        return condition_map("Expected", params["Expected"])
    return set()


def _key_schema(env: Env, ref: Any, enclosing: str | None) -> TableSchema:
    """The table's key schema. Inside a transaction a key of another scalar type than the
    schema's is not refused here: DynamoDB cancels the transaction with a ``ValidationError``
    reason for that member (alternator test_transact.py
    test_transact_write_cancellation_reasons_validationerror, run against DynamoDB), which the
    backend answers; so the types are left out of the check."""
    schema = env.schema(ref)
    return schema if enclosing is None else replace(schema, attribute_types={})


def check_put_key(item: Any, schema: TableSchema) -> str:
    """A put inside a transaction or a BatchWriteItem is checked as PutItem checks its item, but a
    key attribute missing or of a non-key type is "The provided key element does not match the
    schema" there (dynalite test/transactWriteItem.js and test/batchWriteItem.js, recorded live)."""
    try:
        return check_item(item, schema)
    except ValidationException as error:
        if "Missing the key " in error.message or "Type mismatch for key " in error.message:
            raise invalid(BAD_KEY) from None
        raise


def _transaction_put_key(item: Any, schema: TableSchema, defined: TableSchema) -> str:
    """A transaction's Put is checked as :func:`check_put_key` checks it, except that a key
    attribute holding a list, map, set, boolean or null is that member's ``ValidationError``,
    "Type mismatch for key pk expected: S actual: L" with the type the table defines
    (paritysuite/dynamodb-conformance tests/tier3/error-messages/transactWriteItems.test.ts,
    captured against DynamoDB), which cancels the transaction (``batches.transact_write_items``)."""
    try:
        return check_item(item, schema)
    except InvalidKeyValue as error:
        name = next((n for n in schema.key_names if error.message.startswith(f"{INVALID}Type mismatch for key {n} ")),
                    None)
        actual = error.message.rsplit(" ", 1)[-1]
        if name is None or actual in ("S", "N", "B"):
            return check_put_key(item, schema)  # the same error, in check_put_key's words
        raise InvalidKeyValue(f"{INVALID}Type mismatch for key {name} expected: "
                              f"{defined.attribute_types.get(name, 'S')} actual: {actual}") from None
    except ValidationException:
        return check_put_key(item, schema)


def _scalar_keys(scope: ExpressionScope, text: str, schema: TableSchema) -> None:
    """A projection may not reach into a key attribute, the table's or an index's (global indexes
    first): "Key attributes must be scalars; ..." (dynalite test/getItem.js, recorded live)."""
    nested = {scope.resolve(path[0]) for path in parse("ProjectionExpression", text).paths if len(path) > 1}
    if not nested:
        return
    rule = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
    for name in schema.key_names:
        if name in nested:
            raise invalid(rule + f"Key: {name}")
    for index in sorted(schema.indexes.values(), key=lambda index: index.type != "GSI"):
        index_keys = (index.partition_key, index.sort_key) if index.type == "GSI" else (index.sort_key,)
        for index_key in index_keys:
            if index_key is not None and index_key in nested:
                raise invalid(rule + f"IndexKey: {index_key}")


def _capacity(params: Mapping[str, Any], capacity: str | None) -> str:
    return capacity if capacity is not None else consumed_capacity(params)


def get_item(env: Env, params: Mapping[str, Any], *, enclosing: str | None = None,
             capacity: str | None = None) -> Authorization:
    ref = env.table(require(params, "TableName", "tableName"))
    key = require(params, "Key", "key")
    check_not_mixed(params, ("AttributesToGet",), ("ProjectionExpression",))
    scope = _scope(params)
    projected = projection(params, scope)
    scope.finish()
    capacity = _capacity(params, capacity)
    schema = _key_schema(env, ref, enclosing)
    leading = check_key(key, schema)
    if params.get("ProjectionExpression") is not None:
        _scalar_keys(scope, params["ProjectionExpression"], schema)
    context = read_context([leading], schema, projected, enclosing=enclosing, capacity=capacity)
    return env.authorization("GetItem", ref.arn, context)


def projection(params: Mapping[str, Any], scope: ExpressionScope) -> set[str] | None:
    """The top-level names a read asks for (``ProjectionExpression`` or the legacy
    ``AttributesToGet``, G-1); ``None`` when it asks for the whole item."""
    if params.get("ProjectionExpression") is not None:
        return scope.attributes("ProjectionExpression", params["ProjectionExpression"])
    if params.get("AttributesToGet") is not None:
        return attributes_to_get(params["AttributesToGet"])
    return None


def read_context(leading: list[str], schema: TableSchema, projected: set[str] | None, *,
                 enclosing: str | None = None, capacity: str) -> dict[str, Any]:
    """A key read's condition keys: the key names and the projection as Attributes, and Select
    ``SPECIFIC_ATTRIBUTES`` with a projection, else ``ALL_ATTRIBUTES`` (S7, S1 Example 7)."""
    return item_context(
        leading,
        set(schema.key_names) | (projected or set()),
        select="ALL_ATTRIBUTES" if projected is None else "SPECIFIC_ATTRIBUTES",
        enclosing=enclosing,
        capacity=capacity,
    )


def put_item(env: Env, params: Mapping[str, Any], *, enclosing: str | None = None,
             capacity: str | None = None) -> Authorization:
    return _write(env, params, "PutItem", "Item", enclosing=enclosing, capacity=capacity)


def update_item(env: Env, params: Mapping[str, Any], *, enclosing: str | None = None,
                capacity: str | None = None) -> Authorization:
    ref = env.table(require(params, "TableName", "tableName"))
    key = require(params, "Key", "key")
    if enclosing is not None:
        require(params, "UpdateExpression", "updateExpression")
    check_not_mixed(params, ("AttributeUpdates", "Expected", "ConditionalOperator"),
                    ("UpdateExpression", "ConditionExpression"))
    scope = _scope(params)
    names: set[str] = set()
    written: set[str] = set()
    if params.get("UpdateExpression") is not None:
        names, written = scope.update(params["UpdateExpression"])
    elif params.get("AttributeUpdates") is not None:
        names = written = condition_map("AttributeUpdates", params["AttributeUpdates"])
    names |= _condition(params, scope)
    scope.finish()
    returned = return_values(params, _UPDATE_RETURN_VALUES)
    capacity = _capacity(params, capacity)
    schema = _key_schema(env, ref, enclosing)
    leading = check_key(key, schema)
    for name in schema.key_names:
        if name in written:
            raise invalid(
                f"One or more parameter values were invalid: Cannot update attribute {name}. "
                "This attribute is part of the key"
            )
    context = item_context([leading], set(schema.key_names) | names, return_values=returned,
                           enclosing=enclosing, capacity=capacity)
    return env.authorization("UpdateItem", ref.arn, context)


def delete_item(env: Env, params: Mapping[str, Any], *, enclosing: str | None = None,
                capacity: str | None = None) -> Authorization:
    return _write(env, params, "DeleteItem", "Key", enclosing=enclosing, capacity=capacity)


def _write(env: Env, params: Mapping[str, Any], action: str, member: str, *, enclosing: str | None,
           capacity: str | None) -> Authorization:
    """PutItem (``member`` ``Item``) and DeleteItem (``Key``), which DynamoDB checks in the same
    order: the table, the item or key being there, the condition, ReturnValues, then the key
    against the schema. Attributes: the item's names for a put, the key names for a delete, and
    the condition's (S12 PutItem example, S1 "Important")."""
    ref = env.table(require(params, "TableName", "tableName"))
    target = require(params, member, member.lower())
    scope = _scope(params)
    names = _condition(params, scope)
    scope.finish()
    returned = return_values(params, _WRITE_RETURN_VALUES)
    capacity = _capacity(params, capacity)
    schema = _key_schema(env, ref, enclosing)
    if member == "Item":
        leading = check_item(target, schema) if enclosing is None else _transaction_put_key(target, schema, env.schema(ref))
        names = names | set(target)
    else:
        leading = check_key(target, schema)
        names = set(schema.key_names) | names
    context = item_context([leading], names, return_values=returned, enclosing=enclosing,
                           capacity=capacity)
    return env.authorization(action, ref.arn, context)


def condition_check(env: Env, params: Mapping[str, Any], *, enclosing: str,
                    capacity: str) -> Authorization:
    """A TransactWriteItems ``ConditionCheck``: ``dynamodb:ConditionCheckItem`` (S3).

    ConditionCheck has no ReturnValues; ReturnValuesOnConditionCheckFailure feeds the key when
    sent (G-7, FGAC-I08), and it is absent otherwise (FGAC-I06).
    """
    ref = env.table(require(params, "TableName", "tableName"))
    key = require(params, "Key", "key")
    condition = require(params, "ConditionExpression", "conditionExpression")
    scope = _scope(params)
    names = scope.attributes("ConditionExpression", condition)
    scope.finish()
    returned = on_condition_failure(params)
    schema = _key_schema(env, ref, enclosing)
    leading = check_key(key, schema)
    context = item_context([leading], set(schema.key_names) | names, return_values=returned,
                           enclosing=enclosing, capacity=capacity)
    return env.authorization("ConditionCheckItem", ref.arn, context)
