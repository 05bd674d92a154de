"""Rules of BatchGetItem and BatchWriteItem that the service model cannot state, before any table
is looked up.

DynamoDB checks each table's entry in turn (dynalite ``validations/batchGetItem.js`` and
``batchWriteItem.js`` ``custom``, whose texts and order test/batchGetItem.js and
test/batchWriteItem.js pin as recorded against live DynamoDB):

* BatchGetItem, per table: expression and legacy parameters not mixed, no duplicate names in
  ``AttributesToGet``, the expression maps and the ``ProjectionExpression``, then each key's
  attribute values, no key twice (whatever the table's schema: the same attributes with the same
  values), and at most 100 keys over all tables ("Too many items requested for the BatchGetItem
  call"; Developer Guide, "Service quotas": BatchGetItem reads up to 100 items);
* BatchWriteItem, per table: no empty ``WriteRequest`` (DynamoDB words it "Supplied AttributeValue
  has more than one datatypes set"), then each request's attribute values and, for a put, its size
  (400 KB).

The checks that need the tables (they exist, keys fit their schemas, no item twice in a table's
writes) are derive's (``iam_policies.dynamodb.batches``), made after these.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from iam_policies.dynamodb.scope import ExpressionScope
from webapp.dynamodb.validation import expressions, items, serialization
from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError
from webapp.dynamodb.validation.model import service_model

#: Developer Guide, "Service, account, and table quotas": BatchGetItem, up to 100 items.
MAX_GET_KEYS = 100
DUPLICATE_KEYS = "Provided list of item keys contains duplicates"


def batch_get_item(params: Mapping[str, Any]) -> None:
    count = 0
    for entry in (params.get("RequestItems") or {}).values():
        if not isinstance(entry, Mapping):
            continue
        items.mix("GetItem", entry)
        items.unique_names("GetItem", entry)
        items.expression_maps("GetItem", entry)
        if entry.get("ProjectionExpression") is not None:
            scope = ExpressionScope(entry.get("ExpressionAttributeNames"), None)
            scope.attributes("ProjectionExpression", entry["ProjectionExpression"])
            scope.finish()
        seen: set[tuple[Any, ...]] = set()
        for key in entry.get("Keys") or ():
            if not isinstance(key, Mapping):
                key = {}  # a null key is an empty one: it matches no key schema (derive says so)
            for value in key.values():
                message = items.attribute_value_error(value)
                if message:
                    raise ValidationError(message)
            identity = key_identity(key)
            if identity in seen:
                raise ValidationError(DUPLICATE_KEYS)
            seen.add(identity)
            count += 1
            if count > MAX_GET_KEYS:
                raise ValidationError("Too many items requested for the BatchGetItem call")


def batch_write_item(params: Mapping[str, Any]) -> None:
    for requests in (params.get("RequestItems") or {}).values():
        if not isinstance(requests, list):
            continue
        if any(isinstance(request, Mapping) and not any(v is not None for v in request.values())
               for request in requests):
            raise ValidationError(items.SEVERAL)
        for request in requests:
            if not isinstance(request, Mapping):
                continue
            put, delete = request.get("PutRequest"), request.get("DeleteRequest")
            if isinstance(put, Mapping):
                _values(put.get("Item"))
                items.item_size("PutItem", put)
            elif isinstance(delete, Mapping):
                _values(delete.get("Key"))


def _values(values: Any) -> None:
    for value in (values or {}).values() if isinstance(values, Mapping) else ():
        message = items.attribute_value_error(value)
        if message:
            raise ValidationError(message)


def key_identity(key: Mapping[str, Any]) -> tuple[Any, ...]:
    """A key as a comparable value, independent of member order and of how a number is written
    (``1.0`` and ``1`` are one key)."""
    parts: list[Any] = []
    for name in sorted(key):
        value = key[name]
        kind, payload = next(iter(value.items()), (None, None)) if isinstance(value, Mapping) else (None, value)
        if kind == "N" and isinstance(payload, str):
            try:
                payload = Decimal(payload).normalize()
            except InvalidOperation:
                pass
        parts.append((name, kind, payload if isinstance(payload, (str, Decimal)) else repr(payload)))
    return tuple(parts)


#: A transaction member's kind and the single-item operation whose expressions it carries.
_MEMBER_OPERATIONS = {"Get": "GetItem", "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                      "ConditionCheck": "DeleteItem"}


def transact_items(params: Mapping[str, Any]) -> None:
    """TransactWriteItems and TransactGetItems: every member's expressions (their placeholder
    maps, syntax, names and values, and unused placeholders) before any table is looked up, the
    first failing member in request order answering: a malformed condition or an unused value
    on a later member is reported ahead of a missing table on an earlier one, and ahead of two
    members on one item (paritysuite/dynamodb-conformance tests/tier3/validation-ordering/
    transactions.test.ts and error-messages/transactGetItems.test.ts, captured against
    DynamoDB in us-east-1 and eu-west-2). The tables, keys and duplicates are derive's
    (``iam_policies.dynamodb.batches``), after this."""
    member_expressions(params.get("TransactItems") or ())


def members_before(operation: str, members: Sequence[Any]) -> None:
    """What DynamoDB checks of the transaction members before one nested too deeply
    (``limits.check``): their JSON types, then their expressions, in request order. They nest
    at most 32 levels, so walking them is safe; a copy is walked, as deserialization may
    normalise values in place."""
    shape = service_model().operation_model(operation).input_shape
    earlier = copy.deepcopy(list(members))
    serialization.check(shape, {"TransactItems": earlier})
    member_expressions(earlier)


def member_expressions(members: Any) -> None:
    """The expression checks of transaction members, in order (``transact_items``,
    ``members_before``)."""
    for entry in members:
        if not isinstance(entry, Mapping):
            continue
        for kind, member in entry.items():
            operation = _MEMBER_OPERATIONS.get(kind)
            if operation is None or not isinstance(member, Mapping):
                continue
            items.expression_maps(operation, member)
            expressions.check(operation, member)


RULES = {"BatchGetItem": batch_get_item, "BatchWriteItem": batch_write_item,
         "TransactWriteItems": transact_items, "TransactGetItems": transact_items}
