"""Multi-item calls: BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems.

- Batch calls are IAM actions of their own (S2). They are authorised **once per table** in
  ``RequestItems``, with the union of that table's keys and names: LeadingKeys is the set of
  partition values, Attributes the set of names (fgac-semantics.md A.3 [I], G-9). One foreign key
  anywhere then refuses the whole call under ForAllValues (FGAC-A11).
- Transactions have no IAM action of their own: each member is authorised as the item action
  it performs (GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem) on its own table,
  with ``dynamodb:EnclosingOperation`` set to the API name (S2, S3; FGAC-I06, I07, I10).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb.errors import constraint, invalid
from iam_policies.dynamodb.items import (
    check_put_key,
    condition_check,
    delete_item,
    get_item,
    projection,
    put_item,
    read_context,
    update_item,
)
from iam_policies.dynamodb.keys import BAD_KEY, InvalidKeyValue, check_key, item_identity
from iam_policies.dynamodb.legacy import check_not_mixed
from iam_policies.dynamodb.request import Env, consumed_capacity, item_context, require
from iam_policies.dynamodb.scope import ExpressionScope
from iam_policies.errors import TransactionCanceledException, ValidationException

_DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
_SAME_ITEM = "Transaction request cannot include multiple operations on one item"
_EMPTY_KEY = "The AttributeValue for a key attribute cannot contain an empty"
_WERE_INVALID = "One or more parameter values were invalid: "
_NOT_VALID = "One or more parameter values are not valid. "


def _request_items(params: Mapping[str, Any]) -> Mapping[str, Any]:
    items = require(params, "RequestItems", "requestItems")
    if not (type(items) is dict or isinstance(items, Mapping)) or not items:
        raise constraint("{}", "requestItems", "Member must have length greater than or equal to 1")
    return items


def batch_get_item(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    items = _request_items(params)
    capacity = consumed_capacity(params)
    authorizations: list[Authorization] = []
    total = 0
    for table, entry in items.items():
        ref = env.table(table, member="requestItems.key")
        if not (type(entry) is dict or isinstance(entry, Mapping)):
            raise invalid(f"Invalid RequestItems entry for table {table}: expected a map")
        keys = entry.get("Keys")
        if not isinstance(keys, list) or not keys:
            raise constraint(None if keys is None else "[]", f"requestItems.{table}.member.keys",
                             "Member must have length greater than or equal to 1")
        total += len(keys)
        if total > 100:
            raise invalid("Too many items requested for the BatchGetItem call")
        check_not_mixed(entry, ("AttributesToGet",), ("ProjectionExpression",))
        scope = ExpressionScope(entry.get("ExpressionAttributeNames"), None)
        projected = projection(entry, scope)
        scope.finish()
        schema = env.schema(ref)
        leading: list[str] = []
        seen = _Distinct(_DUPLICATE_KEYS)
        for key in keys:
            leading.append(check_key(key, schema))
            seen.add(item_identity(ref.arn, schema, key))
        context = read_context(leading, schema, projected, capacity=capacity)
        authorizations.append(env.authorization("BatchGetItem", ref.arn, context))
    return authorizations


def batch_write_item(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    items = _request_items(params)
    capacity = consumed_capacity(params)
    authorizations: list[Authorization] = []
    total = 0
    for table, requests in items.items():
        ref = env.table(table, member="requestItems.key")
        if not isinstance(requests, list) or not requests:
            raise constraint("[]", f"requestItems.{table}.member", "Member must have length greater than or equal to 1")
        total += len(requests)
        if total > 25:
            raise invalid("Too many items requested for the BatchWriteItem call")
        schema = env.schema(ref)
        leading: list[str] = []
        names: set[str] = set(schema.key_names)
        seen = _Distinct(_DUPLICATE_KEYS)
        for request in requests:
            if not (type(request) is dict or isinstance(request, Mapping)) or len([k for k in request if request[k] is not None]) != 1:
                raise invalid("Invalid BatchWriteItem request: a WriteRequest must contain exactly one of "
                              "PutRequest or DeleteRequest")
            key: Mapping[str, Any]
            if request.get("PutRequest") is not None:
                item = require(_map(request["PutRequest"], "PutRequest"), "Item", "item")
                leading.append(check_put_key(item, schema))
                names |= set(item)
                key = {name: item[name] for name in schema.key_names}
            elif request.get("DeleteRequest") is not None:
                key = require(_map(request["DeleteRequest"], "DeleteRequest"), "Key", "key")
                leading.append(check_key(key, schema))
            else:
                raise invalid("Invalid BatchWriteItem request: expected PutRequest or DeleteRequest")
            seen.add(item_identity(ref.arn, schema, key))
        context = item_context(leading, names, capacity=capacity)
        authorizations.append(env.authorization("BatchWriteItem", ref.arn, context))
    return authorizations


class _Distinct:
    """The items a call names, each at most once: a second mention is ``message``'s
    ValidationException (a batch's "duplicates", a transaction's "multiple operations on one item")."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.seen: set[tuple[str, ...]] = set()

    def add(self, identity: tuple[str, ...]) -> None:
        if identity in self.seen:
            raise invalid(self.message)
        self.seen.add(identity)


def _map(value: Any, member: str) -> Mapping[str, Any]:
    if not (type(value) is dict or isinstance(value, Mapping)):
        raise invalid(f"Invalid {member}: expected a map")
    return value


def _transact_items(params: Mapping[str, Any]) -> list[Any]:
    members = require(params, "TransactItems", "transactItems")
    if not isinstance(members, list) or not members:
        raise constraint("[]", "transactItems", "Member must have length greater than or equal to 1")
    if len(members) > 100:
        raise constraint("[...]", "transactItems", "Member must have length less than or equal to 100")
    return members


def _member(entry: Any, allowed: tuple[str, ...]) -> tuple[str, Mapping[str, Any]]:
    if not (type(entry) is dict or isinstance(entry, Mapping)):
        raise invalid("Invalid TransactItems member: expected a map")
    present = [name for name in allowed if entry.get(name) is not None]
    if len(present) != 1 or len([k for k in entry if entry[k] is not None]) != 1:
        raise invalid(f"TransactItems can only contain one of {', '.join(allowed)}")
    body = entry[present[0]]
    if not (type(body) is dict or isinstance(body, Mapping)):
        raise invalid(f"Invalid {present[0]}: expected a map")
    return present[0], body


def _identity(env: Env, kind: str, body: Mapping[str, Any]) -> tuple[str, ...]:
    ref = env.table(body.get("TableName"))
    schema = env.schema(ref)
    source = body["Item"] if kind == "Put" else body["Key"]
    return item_identity(ref.arn, schema, source)


def transact_get_items(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    members = _transact_items(params)
    capacity = consumed_capacity(params)
    authorizations: list[Authorization] = []
    seen = _Distinct(_SAME_ITEM)
    cancelled: int | None = None
    for position, entry in enumerate(members):
        kind, body = _member(entry, ("Get",))
        check_not_mixed(body, ("AttributesToGet",), ("ProjectionExpression",))
        try:
            authorizations.append(get_item(env, body, enclosing="TransactGetItems", capacity=capacity))
            _key_types(env, body)
        except ValidationException as error:
            # A key that does not match the schema (an attribute missing or of another type) is
            # that member's ValidationError: it cancels the transaction, every other member
            # "None" (paritysuite/dynamodb-conformance tests/tier3/error-messages/
            # transactGetItems.test.ts, an empty Key, captured against DynamoDB; its
            # transactWriteItems.test.ts records the same for lookup keys of another type).
            if error.message != BAD_KEY:
                raise
            cancelled = position if cancelled is None else cancelled
            continue
        seen.add(_identity(env, kind, body))
    if cancelled is not None:
        reasons = [{"Code": "None"} for _ in members]
        reasons[cancelled] = {"Code": "ValidationError", "Message": BAD_KEY}
        raise TransactionCanceledException(reasons)
    return authorizations


def _key_types(env: Env, body: Mapping[str, Any]) -> None:
    """The key's attributes have the types the table defines (``get_item`` leaves types out of a
    transaction member's check, so that a mismatch cancels instead of refusing the request)."""
    schema = env.schema(env.table(body.get("TableName")))
    key = body.get("Key")
    for name in schema.key_names:
        value = key.get(name) if isinstance(key, Mapping) else None
        kind = schema.attribute_types.get(name)
        if kind is not None and not (isinstance(value, Mapping) and value.get(kind) is not None):
            raise invalid(BAD_KEY)


_WRITES: dict[str, Callable[..., Authorization]] = {
    "Put": put_item,
    "Update": update_item,
    "Delete": delete_item,
    "ConditionCheck": condition_check,
}


def transact_write_items(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    members = _transact_items(params)
    capacity = consumed_capacity(params)
    authorizations: list[Authorization] = []
    seen = _Distinct(_SAME_ITEM)
    cancelled: tuple[int, str] | None = None
    for position, entry in enumerate(members):
        kind, body = _member(entry, tuple(_WRITES))
        for legacy in ("Expected", "AttributeUpdates", "ConditionalOperator", "ReturnValues"):
            if body.get(legacy) is not None:
                raise invalid(f"Invalid {kind} in TransactItems: {legacy} is not supported")
        try:
            authorizations.append(_WRITES[kind](env, body, enclosing="TransactWriteItems", capacity=capacity))
        except InvalidKeyValue as error:
            # An empty key value is refused with the request, before the transaction runs, and
            # worded "are not valid." for every kind of member (paritysuite/dynamodb-conformance
            # tests/tier3/error-messages/transactWriteItems.test.ts, captured against DynamoDB
            # in four regions).
            if _EMPTY_KEY in error.message:
                raise invalid(_NOT_VALID + error.message.split(": ", 1)[-1] if error.message.startswith(
                    _WERE_INVALID) else error.message) from None
            # The first member whose key the table refuses cancels the transaction; DynamoDB
            # reports it alone, every other member "None" (ScyllaDB's Alternator tests,
            # test/alternator/test_transact.py test_transact_write_cancellation_reasons_validationerror,
            # checked against DynamoDB). Errors of the request itself still refuse it whole.
            cancelled = cancelled or (position, error.message)
            continue
        except ValidationException as error:
            # A lookup key (Update, Delete, ConditionCheck) that does not match the schema, a
            # non-scalar value included, cancels likewise (same paritysuite file).
            if kind == "Put" or error.message != BAD_KEY:
                raise
            cancelled = cancelled or (position, BAD_KEY)
            continue
        seen.add(_identity(env, kind, body))
    if cancelled is not None:
        reasons = [{"Code": "None"} for _ in members]
        reasons[cancelled[0]] = {"Code": "ValidationError", "Message": cancelled[1]}
        raise TransactionCanceledException(reasons)
    return authorizations
