"""Query and Scan, on a table or on an index.

- Resource: the table ARN, or the **index** ARN when ``IndexName`` is set (S1 Example 5, S2,
  S8; FGAC-K01).
- LeadingKeys (Query only): the equality value of the partition key in the key condition, of
  the *index's* partition key for an index query (G-3), plus the partition value of
  ``ExclusiveStartKey`` (security-anchors §4.2 decision, F-42). Scan has none (S2).
- Attributes: the top-level names of the key condition, projection and filter (A.4), legacy
  ``KeyConditions``/``AttributesToGet``/``QueryFilter``/``ScanFilter`` alike.
- Select: as sent; else SPECIFIC_ATTRIBUTES with a projection; else ALL_ATTRIBUTES on a table
  and ALL_PROJECTED_ATTRIBUTES on an index (S10, FGAC-E07).
- ReturnConsumedCapacity: as sent, NONE by default. No ReturnValues (G-15).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb.errors import invalid
from iam_policies.dynamodb.items import projection
from iam_policies.dynamodb.keys import BAD_KEY, key_value
from iam_policies.dynamodb.legacy import check_not_mixed, condition_map, key_conditions
from iam_policies.dynamodb.request import Env, consumed_capacity, enum, index_schema, item_context, require
from iam_policies.dynamodb.scope import ExpressionScope
from iam_policies.errors import ValidationException
from iam_policies.schema import IndexSchema

_SELECT = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


def _filter(params: Mapping[str, Any], scope: ExpressionScope, legacy: str) -> set[str]:
    if params.get("FilterExpression") is not None:
        return scope.attributes("FilterExpression", params["FilterExpression"])
    if params.get(legacy) is not None:
        return condition_map(legacy, params[legacy])
    return set()


def _select(params: Mapping[str, Any], projected: bool, index: IndexSchema | None) -> str:
    """Validate ``Select`` like DynamoDB and return the value the condition key carries."""
    select = enum(params, "Select", "select", _SELECT, None)
    projection = "ProjectionExpression" if params.get("ProjectionExpression") is not None else "AttributesToGet"
    if select is None:
        if projected:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if select == "SPECIFIC_ATTRIBUTES":
        if not projected:
            raise invalid("Must specify the AttributesToGet or ProjectionExpression when choosing to get "
                          "SPECIFIC_ATTRIBUTES")
        return select
    if projected:
        what = "only the Count" if select == "COUNT" else select
        raise invalid(f"Cannot specify the {projection} when choosing to get {what}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    # ALL_ATTRIBUTES on a GSI that does not project ALL is refused by DynamoDB too, but that is a
    # check against the index, not a malformed request: the context is well defined
    # (Select=ALL_ATTRIBUTES) and S1 Example 5 relies on the policy refusing it, so it is left to
    # the authorization (and to the store behind it).
    return select


def _key_values(params: Mapping[str, Any], scope: ExpressionScope) -> tuple[set[str], dict[str, list[tuple[str, list[Any]]]]]:
    """The key condition's names and ``{name: [(operator, values)]}``, expression or legacy."""
    conditions: dict[str, list[tuple[str, list[Any]]]] = {}
    if params.get("KeyConditionExpression") is not None:
        names, parsed = scope.key_conditions(params["KeyConditionExpression"])
        for condition in parsed:
            operator = "EQ" if condition.op == "=" else condition.op
            conditions.setdefault(condition.name, []).append(
                (operator, [scope.value(value) for value in condition.values])
            )
        return names, conditions
    if params.get("KeyConditions") is not None:
        legacy = key_conditions(params["KeyConditions"])
        for name, (operator, values) in legacy.items():
            conditions[name] = [(operator, values)]
        return set(legacy), conditions
    raise invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")


def query(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    ref = env.table(require(params, "TableName", "tableName"))
    # KeyConditions may meet FilterExpression/ProjectionExpression (real DynamoDB accepts it, as
    # observed by the suite of issue 13), never KeyConditionExpression; the other legacy members
    # meet no expression member (floci issue 2894, measured against the live service).
    check_not_mixed(params, ("KeyConditions",), ("KeyConditionExpression",))
    check_not_mixed(
        params,
        ("AttributesToGet", "QueryFilter", "ConditionalOperator"),
        ("ProjectionExpression", "KeyConditionExpression", "FilterExpression"),
    )
    scope = ExpressionScope(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    names, conditions = _key_values(params, scope)
    projected = projection(params, scope)
    names |= _filter(params, scope, "QueryFilter")
    scope.finish()
    capacity = consumed_capacity(params)
    schema = env.schema(ref)
    index = index_schema(schema, params["IndexName"]) if params.get("IndexName") is not None else None
    partition_key, sort_key = (index.partition_key, index.sort_key) if index else (schema.partition_key, schema.sort_key)
    select = _select(params, projected is not None, index)
    for name, found in conditions.items():
        if name not in (partition_key, sort_key):
            if partition_key in conditions and sort_key is not None:
                raise invalid(f"Query condition missed key schema element: {sort_key}")
            if partition_key in conditions:
                raise invalid("Query key condition not supported")
            raise invalid(f"Query condition missed key schema element: {partition_key}")
        if len(found) > 1:
            raise invalid("KeyConditionExpressions must only contain one condition per key")
    if partition_key not in conditions:
        raise invalid(f"Query condition missed key schema element: {partition_key}")
    operator, values = conditions[partition_key][0]
    if operator != "EQ":
        raise invalid("Query key condition not supported")
    try:
        leading = {key_value(values[0])}
    except ValidationException as error:
        if error.message != BAD_KEY:
            raise
        raise invalid("One or more parameter values were invalid: Condition parameter type does not match schema "
                      "type") from None
    start = params.get("ExclusiveStartKey")
    if start is not None:
        if not (type(start) is dict or isinstance(start, Mapping)) or partition_key not in start:
            raise invalid("The provided starting key is invalid: The provided key element does not match the schema")
        leading.add(key_value(start[partition_key]))
    context = item_context(leading, names | (projected or set()), select=select, capacity=capacity)
    resource = ref.index(index.name) if index else ref.arn
    return [env.authorization("Query", resource, context)]


def scan(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    ref = env.table(require(params, "TableName", "tableName"))
    check_not_mixed(params, ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
                    ("ProjectionExpression", "FilterExpression"))
    scope = ExpressionScope(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    projected = projection(params, scope)
    names = _filter(params, scope, "ScanFilter")
    scope.finish()
    capacity = consumed_capacity(params)
    schema = env.schema(ref)
    index = index_schema(schema, params["IndexName"]) if params.get("IndexName") is not None else None
    select = _select(params, projected is not None, index)
    context = item_context(None, names | (projected or set()), select=select, capacity=capacity)
    resource = ref.index(index.name) if index else ref.arn
    return [env.authorization("Scan", resource, context)]
