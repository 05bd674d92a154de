"""Query and Scan: the rules of the two read operations, in the order DynamoDB applies them.

Two steps, because DynamoDB checks some things before it looks the table up and others only
against the table:

* :data:`RULES` (step 4 of the package, no table): expression and legacy parameters not mixed,
  the legacy conditions (``QueryFilter``/``ScanFilter``/``KeyConditions``: argument counts,
  one type, the types each ``ComparisonOperator`` takes, ``BETWEEN`` bounds in order),
  duplicate ``AttributesToGet``, the ``ExclusiveStartKey`` values, segments, the expressions
  (:mod:`.expressions`: each parsed, every placeholder used), then a ``KeyConditionExpression`` read as the
  ``KeyConditions`` it stands for ("Invalid operator used in KeyConditionExpression: OR",
  "KeyConditionExpressions cannot contain nested operations", ...), with 1 or 2 conditions;
* :data:`TABLE_RULES` (with the table's schema; a missing table is ``ResourceNotFoundException``
  first): the index exists, no consistent read of a global index, the starting key has exactly
  the table's and the index's key attributes with their types (and, for a parallel scan, lies
  in the scan's segment), the key condition names the partition key with ``EQ`` and the sort
  key with an indexable operator and values of the key's type, filters leave the key
  attributes alone, ``Select: ALL_ATTRIBUTES`` only on a global index projecting ``ALL``;
* :data:`AUTHORIZED_RULES` (once IAM has allowed the request): a Query's starting key lies
  inside what its key condition selects.

Sources: API Reference "Query" and "Scan" (Request Parameters), "Condition" (the operators and
the value types each accepts); Developer Guide "Legacy conditional parameters" and "Key
condition expressions for Query". Every message, and which check wins when several apply, is
DynamoDB's own as recorded live by architect/dynalite ``test/query.js`` and ``test/scan.js``
(``assertValidation``), which the conformance rows in ``tests/conformance/test_query.py`` and
``test_scan.py`` cite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ResourceNotFoundException
from iam_policies.schema import TableSchema
from webapp.backend.semantics.segments import segment_of
from webapp.backend.semantics.values import compare
from webapp.dynamodb.validation import expressions
from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError
from webapp.dynamodb.validation.items import (
    INVALID,
    attribute_value_error,
    conditions,
    expression_maps,
    key_conditions_given,
    mix,
    segments,
    unique_names,
)

Params = Mapping[str, Any]
#: ``{attribute: (ComparisonOperator, [AttributeValue, ...])}``, from either style.
KeyConditions = dict[str, tuple[str, list[Any]]]
Schemas = Callable[[str], TableSchema | None]


# Without the table -------------------------------------------------------------------------------


#: The starting-key value errors DynamoDB reports without "The provided starting key is invalid: "
#: (dynalite test/query.js, "...in ExclusiveStartKey without provided message").
_UNPREFIXED = ("contains duplicates", "number set", "numeric value", "significant digits", "number with magnitude")
START_KEY = "The provided starting key is invalid"


def start_key_values(params: Params) -> None:
    for value in (params.get("ExclusiveStartKey") or {}).values():
        message = attribute_value_error(value)
        if message:
            raise ValidationError(message if any(part in message for part in _UNPREFIXED)
                                  else f"{START_KEY}: {message}")


def key_conditions(params: Params) -> KeyConditions:
    """The request's key condition as legacy ``KeyConditions`` (a ``KeyConditionExpression`` is
    converted, with DynamoDB's errors for what a key condition may not hold)."""
    text = params.get("KeyConditionExpression")
    if text is None:
        return {str(name): (condition.get("ComparisonOperator"), list(condition.get("AttributeValueList") or []))
                for name, condition in (params.get("KeyConditions") or {}).items()}
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    parsed = ex.parse("KeyConditionExpression", str(text))
    found: KeyConditions = {}
    _convert(parsed.condition, found, names, values)
    return found


_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_LEGACY = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
_NOT_KEY_OPERATORS = {"attribute_exists", "attribute_not_exists", "attribute_type", "contains"}


def _operands(node: Any) -> list[Any]:
    if isinstance(node, ex.Compare):
        return [node.left, node.right]
    if isinstance(node, ex.Between):
        return [node.subject, node.low, node.high]
    if isinstance(node, ex.Function):
        return list(node.args)
    return []


def _convert(node: Any, found: KeyConditions, names: Mapping[str, str], values: Mapping[str, Any]) -> None:
    """DynamoDB's reading of a key condition, node by node, left to right (the order decides
    which message a request with several faults gets)."""
    if isinstance(node, ex.BoolOp) and node.op == "AND":
        _convert(node.left, found, names, values)
        _convert(node.right, found, names, values)
        return
    if isinstance(node, ex.BoolOp):
        raise ValidationError(f"Invalid operator used in KeyConditionExpression: {node.op}")
    if isinstance(node, ex.Not):
        raise ValidationError("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, ex.In):
        raise ValidationError("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, ex.Compare) and node.op == "<>":
        raise ValidationError("Invalid operator used in KeyConditionExpression: <>")
    if isinstance(node, ex.Function) and node.name in _NOT_KEY_OPERATORS:
        raise ValidationError(f"Invalid operator used in KeyConditionExpression: {node.name}")
    operands = _operands(node)
    first = "BETWEEN" if isinstance(node, ex.Between) else "begins_with" if isinstance(node, ex.Function) else None
    if first and not isinstance(operands[0], ex.PathOperand):
        raise ValidationError(f"Invalid condition in KeyConditionExpression: {first} operator must have the key "
                              "attribute as its first operand")
    name: str | None = None
    position = 0
    for index, operand in enumerate(operands):
        if isinstance(operand, ex.PathOperand):
            if name is not None:
                raise ValidationError("Invalid condition in KeyConditionExpression: Multiple attribute names used in "
                                      "one condition")
            if len(operand.path) > 1:
                raise ValidationError("KeyConditionExpressions cannot have conditions on nested attributes")
            element = str(operand.path[0])
            name, position = names.get(element, element), index
        elif isinstance(operand, ex.SizeOperand):
            raise ValidationError("KeyConditionExpressions cannot contain nested operations")
    if name is None:
        raise ValidationError("Invalid condition in KeyConditionExpression: No key attribute specified")
    if name in found:
        raise ValidationError("KeyConditionExpressions must only contain one condition per key")
    arguments = [values.get(operand.placeholder) for operand in operands if isinstance(operand, ex.ValueOperand)]
    if isinstance(node, ex.Between):
        operator = "BETWEEN"
        _between(arguments)
    elif isinstance(node, ex.Function):
        operator = "BEGINS_WITH"
    else:
        op = _FLIPPED[node.op] if position else node.op
        operator = _LEGACY[op]
    found[name] = (operator, arguments)


def _between(bounds: list[Any]) -> None:
    low, high = bounds
    shown = f"lower bound operand: AttributeValue: {_shown(low)}, upper bound operand: AttributeValue: {_shown(high)}"
    if next(iter(low)) != next(iter(high)):
        raise ValidationError("Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower "
                              f"and upper bounds; {shown}")
    if (compare(low, high) or 0) > 0:
        raise ValidationError("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
                              f"than or equal to lower bound; {shown}")


def _shown(value: Mapping[str, Any]) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"


def converted_key_conditions(params: Params) -> None:
    """The key condition, whichever way it was written, checked as legacy ``KeyConditions``
    (``items.conditions``), then its length."""
    found = key_conditions(params)
    as_legacy = {name: {"ComparisonOperator": operator, "AttributeValueList": arguments}
                 for name, (operator, arguments) in found.items()}
    conditions("KeyConditions")("Query", {"KeyConditions": as_legacy})
    if len(found) not in (1, 2):
        raise ValidationError("Conditions can be of length 1 or 2 only")


def _query(params: Params) -> None:
    mix("Query", params)
    conditions("QueryFilter")("Query", params)
    unique_names("Query", params)
    start_key_values(params)
    key_conditions_given("Query", params)
    expression_maps("Query", params)
    expressions.check("Query", params)
    converted_key_conditions(params)


def _scan(params: Params) -> None:
    mix("Scan", params)
    unique_names("Scan", params)
    conditions("ScanFilter")("Scan", params)
    start_key_values(params)
    segments("Scan", params)
    expression_maps("Scan", params)
    expressions.check("Scan", params)


RULES: dict[str, Callable[[Params], None]] = {"Query": _query, "Scan": _scan}


# With the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a read reads: the table, or one of its indexes."""

    table: TableSchema
    #: The key attributes read in order, hash first (the index's, for an index).
    keys: tuple[str, ...]
    #: The attributes a starting key must hold: the table's keys, then the index's others.
    start_keys: tuple[str, ...]
    index: str | None = None
    is_global: bool = False
    #: ``Select: ALL_ATTRIBUTES`` of an index that does not project every attribute.
    fetches: bool = False


def target(schemas: Schemas, params: Params) -> Target:
    name = str(params.get("TableName"))
    if name.startswith("arn:") and "table/" in name:
        name = name.split("table/", 1)[1].split("/", 1)[0]
    table = schemas(name)
    if table is None:
        raise ResourceNotFoundException("Requested resource not found")
    keys = table.key_names
    index_name = params.get("IndexName")
    if index_name is None:
        return Target(table, keys, keys)
    index = table.indexes.get(index_name)
    if index is None:
        raise ValidationError(f"The table does not have the specified index: {index_name}")
    is_global = index.type == "GSI"
    if is_global and params.get("ConsistentRead"):
        raise ValidationError("Consistent reads are not supported on global secondary indexes")
    index_keys = (index.partition_key,) if index.sort_key is None else (index.partition_key, index.sort_key)
    start = keys + tuple(name for name in index_keys if name not in keys)
    fetches = params.get("Select") == "ALL_ATTRIBUTES" and index.projection != "ALL"
    return Target(table, index_keys, start, str(index_name), is_global, fetches)


MISMATCH = "The provided key element does not match the schema"


def key_piece_error(table: TableSchema, key: Mapping[str, Any], name: str, is_hash: bool) -> str | None:
    """DynamoDB's complaint about one key attribute of a key, or None."""
    kind = table.attribute_types.get(name)
    value = key.get(name)
    if not isinstance(value, Mapping) or kind is None or value.get(kind) is None:
        return MISMATCH
    inner = value[kind]
    if inner == "" and kind in ("S", "B"):
        return (INVALID + "The AttributeValue for a key attribute cannot contain an empty "
                f"{'string' if kind == 'S' else 'binary'} value. Key: {name}")
    if kind == "S":
        size = len(str(inner).encode("utf-8"))
    elif kind == "B":
        # The decoded length: base64 padding ("=") carries no bytes, so a 2048-byte hash key
        # (2732 characters with one "=") is within the limit (scylladb test/alternator
        # test_item.py::test_large_blob_hash_key writes one; paging past it must work).
        text = str(inner)
        size = len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))
    else:
        return None
    if is_hash and size > 2048:
        return INVALID + "Size of hashkey has exceeded the maximum size limit of2048 bytes"
    if not is_hash and size > 1024:
        return INVALID + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
    return None


def _table_start_key(read: Target, start: Mapping[str, Any]) -> None:
    """The starting key's table part is a valid key of the table."""
    for position, name in enumerate(read.table.key_names):
        message = key_piece_error(read.table, start, name, position == 0)
        if message:
            raise ValidationError(f"{START_KEY}: {message}")


_NOT_INDEXABLE = ("NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN")


def query_against_table(schemas: Schemas, params: Params) -> None:
    read = target(schemas, params)
    start = params.get("ExclusiveStartKey")
    found = key_conditions(params)
    if start is not None and len(start) != len(read.start_keys):
        raise ValidationError(START_KEY)
    for position, name in enumerate(read.keys):
        is_hash = position == 0
        if start is not None:
            if name not in start:
                raise ValidationError(START_KEY)
            message = key_piece_error(read.table, start, name, is_hash)
            if message:
                raise ValidationError(message)
        if is_hash and len(read.keys) == 1 and len(found) > 1:
            raise ValidationError("Query key condition not supported")
        if name not in found:
            if is_hash or len(found) > 1:
                raise ValidationError(f"Query condition missed key schema element: {name}")
            continue
        operator, arguments = found[name]
        if operator in _NOT_INDEXABLE:
            raise ValidationError("Attempted conditional constraint is not an indexable operation")
        kind = read.table.attribute_types.get(name)
        if any(not isinstance(value, Mapping) or kind not in value for value in arguments):
            raise ValidationError(INVALID + "Condition parameter type does not match schema type")
        if is_hash and operator != "EQ":
            raise ValidationError("Query key condition not supported")
    if start is not None:
        _table_start_key(read, start)
    _scalar_keys(read, params.get("ProjectionExpression"), "ProjectionExpression", params)
    _filter_on_keys(read, params)
    _all_attributes(read)
    _scalar_keys(read, params.get("FilterExpression"), "FilterExpression", params)


def query_start_key_bounds(schemas: Schemas, params: Params) -> None:
    """A Query's starting key must lie inside what its key condition selects.

    Checked after authorization, unlike the rest: a starting key in a partition the caller may
    not read is refused as AccessDenied first (its partition value is one of the request's
    ``dynamodb:LeadingKeys``, fgac-semantics F-42, security-anchors §4.2), so these messages,
    which compare the key's values with the condition's, are only ever given to a caller
    allowed to read both partitions. DynamoDB's order between the two is not documented."""
    start = params.get("ExclusiveStartKey")
    if start is None:
        return
    read = target(schemas, params)
    found = key_conditions(params)
    hash_name = read.keys[0]
    hash_value = found[hash_name][1][0]
    range_name = read.keys[1] if len(read.keys) > 1 else None
    if range_name is None or range_name not in found:
        if start[hash_name] != hash_value:
            raise ValidationError("The provided starting key is outside query boundaries based on provided conditions")
        return
    operator, arguments = found[range_name]
    if not _matches(operator, start[range_name], arguments):
        raise ValidationError("The provided starting key does not match the range key predicate")
    if start[hash_name] != hash_value:
        raise ValidationError("The query can return at most one row and cannot be restarted")


def _matches(operator: str, value: Mapping[str, Any], arguments: list[Any]) -> bool:
    order = compare(value, arguments[0])
    if operator == "BEGINS_WITH":
        kind = next(iter(arguments[0]))
        return kind in value and str(value[kind]).startswith(str(arguments[0][kind]))
    if order is None:
        return False
    if operator == "BETWEEN":
        upper = compare(value, arguments[1])
        return order >= 0 and upper is not None and upper <= 0
    return {"EQ": order == 0, "LT": order < 0, "LE": order <= 0, "GT": order > 0, "GE": order >= 0}.get(operator, False)


def _paths(params: Params, member: str) -> tuple[ex.Path, ...]:
    text = params.get(member)
    if not isinstance(text, str):
        return ()
    names = params.get("ExpressionAttributeNames") or {}
    parsed = ex.parse(member, text)
    return tuple(tuple(names.get(e, e) if isinstance(e, str) else e for e in path) for path in parsed.paths)


def _scalar_keys(read: Target, text: Any, member: str, params: Params) -> None:
    """"Key attributes must be scalars": no document path into a key attribute of the table or
    of any of its indexes."""
    if text is None:
        return
    nested = {path[0] for path in _paths(params, member) if len(path) > 1}
    for name in read.table.key_names:
        if name in nested:
            raise ValidationError("Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
                                  f"allowed: Key: {name}")
    for index in read.table.indexes.values():
        keys = (index.partition_key,) if index.type == "GSI" or index.sort_key is None else ()
        for name in (*keys, *((index.sort_key,) if index.sort_key else ())):
            if name in nested:
                raise ValidationError("Key attributes must be scalars; list random access '[]' and map lookup '.' are "
                                      f"not allowed: IndexKey: {name}")


def _filter_on_keys(read: Target, params: Params) -> None:
    if params.get("QueryFilter"):
        heads, member = set(params["QueryFilter"]), "QueryFilter"
    elif params.get("FilterExpression") is not None:
        heads, member = {path[0] for path in _paths(params, "FilterExpression")}, "Filter Expression"
    else:
        return
    for name in read.keys:
        if name in heads:
            raise ValidationError(f"{member} can only contain non-primary key attributes: Primary key attribute: {name}")


def _all_attributes(read: Target) -> None:
    if read.fetches and read.is_global:
        raise ValidationError(INVALID + f"Select type ALL_ATTRIBUTES is not supported for global secondary index "
                              f"{read.index} because its projection type is not ALL")


def scan_against_table(schemas: Schemas, params: Params) -> None:
    read = target(schemas, params)
    start = params.get("ExclusiveStartKey")
    if start is not None and len(start) != len(read.start_keys):
        raise ValidationError(START_KEY if read.index else f"{START_KEY}: {MISMATCH}")
    if start is not None and read.index:
        for position, name in enumerate(read.keys):
            if name not in start:
                raise ValidationError(START_KEY)
            message = key_piece_error(read.table, start, name, position == 0)
            if message:
                raise ValidationError(message)
    _all_attributes(read)
    if start is not None:
        _table_start_key(read, start)
        _in_segment(read, params, start)
    _scalar_keys(read, params.get("ProjectionExpression"), "ProjectionExpression", params)
    _scalar_keys(read, params.get("FilterExpression"), "FilterExpression", params)


def _in_segment(read: Target, params: Params, start: Mapping[str, Any]) -> None:
    """A parallel scan's starting key must lie in the scan's segment (Developer Guide,
    "Parallel scan"; the segment of a key as :mod:`webapp.backend.semantics.segments` finds it)."""
    segment, total = params.get("Segment"), params.get("TotalSegments")
    if not isinstance(segment, int) or not isinstance(total, int) or total < 2:
        return
    if segment_of(start[read.keys[0]], total) != segment:
        raise ValidationError(f"{START_KEY}: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct "
                              f"Segment. TotalSegments: {total} Segment: {segment}")


TABLE_RULES: dict[str, Callable[[Schemas, Params], None]] = {"Query": query_against_table, "Scan": scan_against_table}
#: Checks made once the request is authorized (see :func:`query_start_key_bounds`).
AUTHORIZED_RULES: dict[str, Callable[[Schemas, Params], None]] = {"Query": query_start_key_bounds}
