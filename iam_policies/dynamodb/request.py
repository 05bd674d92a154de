"""What every operation family shares: where it runs, parameter checks, and the context shape.

Context keys and their defaults follow fgac-semantics.md A.2/A.4:

- ``dynamodb:LeadingKeys`` (sorted, unique) with ``dynamodb:FirstPartitionKeyValues`` beside it
  (S1: the two "can be used" interchangeably), only when the request addresses partitions;
- ``dynamodb:Attributes`` (sorted, unique, top-level names);
- ``dynamodb:Select`` for reads, ``dynamodb:ReturnValues`` for writes (NONE when omitted, S1);
- ``dynamodb:ReturnConsumedCapacity`` for item actions (NONE when omitted, G-8);
- ``dynamodb:EnclosingOperation`` for transaction members;
- ``aws:RequestedRegion``: the region the request was sent to (IAM UG global condition keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from iam_policies.authorization import Authorization, ContextValue
from iam_policies.dynamodb.arns import TableRef, table_ref
from iam_policies.dynamodb.errors import constraint, invalid
from iam_policies.dynamodb.keys import sorted_unique
from iam_policies.errors import ResourceNotFoundException
from iam_policies.schema import IndexSchema, TableSchema

Schemas = Callable[[str], TableSchema | None] | Mapping[str, TableSchema]

LEADING_KEYS = "dynamodb:LeadingKeys"
FIRST_PARTITION_KEY_VALUES = "dynamodb:FirstPartitionKeyValues"
ATTRIBUTES = "dynamodb:Attributes"
SELECT = "dynamodb:Select"
RETURN_VALUES = "dynamodb:ReturnValues"
RETURN_CONSUMED_CAPACITY = "dynamodb:ReturnConsumedCapacity"
ENCLOSING_OPERATION = "dynamodb:EnclosingOperation"
FULL_TABLE_SCAN = "dynamodb:FullTableScan"
REQUESTED_REGION = "aws:RequestedRegion"

#: Keys derive adds beyond what ``fgac-cases.json`` lists in ``request.context``: the alias of
#: LeadingKeys and the request-level region. A view in the cases' shape drops them.
NOT_IN_CASE_SHAPE = frozenset({FIRST_PARTITION_KEY_VALUES, REQUESTED_REGION})

_CAPACITY = ("INDEXES", "TOTAL", "NONE")


class Env:
    """Where the request runs, and how to find a table's key schema."""

    __slots__ = ("schemas", "region", "account", "partition")

    def __init__(self, schemas: Schemas, region: str, account: str, partition: str = "aws") -> None:
        self.schemas = schemas
        self.region = region
        self.account = account
        self.partition = partition

    def table(self, value: Any, member: str = "tableName") -> TableRef:
        if isinstance(value, str):
            return _cached_table_ref(value, member, self.region, self.account, self.partition)
        return table_ref(value, member=member, region=self.region, account=self.account, partition=self.partition)

    def schema(self, ref: TableRef) -> TableSchema:
        """The key schema, or ResourceNotFoundException (before any authorization)."""
        found: TableSchema | None = None
        for key in (ref.arn, ref.name) if ref.by_arn else (ref.name,):
            if callable(self.schemas):
                found = self.schemas(key)
            else:
                found = self.schemas.get(key)
            if found is not None:
                break
        if found is None:
            raise ResourceNotFoundException("Requested resource not found")
        return found

    def authorization(self, action: str, resource: str, context: dict[str, ContextValue]) -> Authorization:
        context[REQUESTED_REGION] = self.region
        return Authorization(f"dynamodb:{action}", resource, context)


@lru_cache(maxsize=1024)
def _cached_table_ref(value: str, member: str, region: str, account: str, partition: str) -> TableRef:
    return table_ref(value, member=member, region=region, account=account, partition=partition)


def index_schema(schema: TableSchema, index_name: Any) -> IndexSchema:
    if not isinstance(index_name, str) or not index_name:
        raise constraint(index_name, "indexName", "Member must have length greater than or equal to 3")
    index = schema.indexes.get(index_name)
    if index is None:
        raise invalid(f"The table does not have the specified index: {index_name}")
    return index


def require(params: Mapping[str, Any], name: str, member: str) -> Any:
    value = params.get(name)
    if value is None:
        raise constraint(None, member, "Member must not be null")
    return value


def enum(params: Mapping[str, Any], name: str, member: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = params.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise constraint(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return str(value)


def consumed_capacity(params: Mapping[str, Any]) -> str:
    value = enum(params, "ReturnConsumedCapacity", "returnConsumedCapacity", _CAPACITY, "NONE")
    assert value is not None
    return value


def return_values(params: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    """``ReturnValues`` (NONE when omitted), widened by ``ReturnValuesOnConditionCheckFailure``.

    G-7 / security-anchors §6.8: ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` returns the whole
    old item on a failed condition, so it counts as ``ALL_OLD`` unless the request already asks
    for a whole item (``ALL_NEW``/``ALL_OLD``). Fail closed: the key stays single-valued.
    """
    value = enum(params, "ReturnValues", "returnValues", ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"),
                 "NONE")
    assert value is not None
    if value not in allowed:
        raise invalid("Return values set to invalid value")
    on_failure = on_condition_failure(params)
    if on_failure == "ALL_OLD" and value not in ("ALL_OLD", "ALL_NEW"):
        return "ALL_OLD"
    return value


def on_condition_failure(params: Mapping[str, Any]) -> str | None:
    return enum(params, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure",
                ("ALL_OLD", "NONE"), None)


def item_context(
    leading: Iterable[str] | None,
    attributes: Iterable[str] | None,
    *,
    select: str | None = None,
    return_values: str | None = None,
    enclosing: str | None = None,
    capacity: str | None = None,
    full_table_scan: str | None = None,
) -> dict[str, ContextValue]:
    """A context dict with the multivalued keys sorted and the unset keys left out."""
    context: dict[str, ContextValue] = {}
    if leading is not None:
        values = leading if isinstance(leading, list) and len(leading) == 1 else sorted_unique(leading)
        context[LEADING_KEYS] = values
        context[FIRST_PARTITION_KEY_VALUES] = list(values)
    if attributes is not None:
        context[ATTRIBUTES] = sorted(attributes) if isinstance(attributes, (set, frozenset)) else sorted_unique(
            attributes
        )
    if select is not None:
        context[SELECT] = select
    if return_values is not None:
        context[RETURN_VALUES] = return_values
    if enclosing is not None:
        context[ENCLOSING_OPERATION] = enclosing
    if capacity is not None:
        context[RETURN_CONSUMED_CAPACITY] = capacity
    if full_table_scan is not None:
        context[FULL_TABLE_SCAN] = full_table_scan
    return context


def as_case_context(context: Mapping[str, ContextValue]) -> dict[str, ContextValue]:
    """The context in ``fgac-cases.json``'s ``request.context`` shape (for simulate output/tests)."""
    return {key: value for key, value in context.items() if key not in NOT_IN_CASE_SHAPE}
