"""Query and Scan: filters, ``Limit``, ``Select`` and projections in DynamoDB's order.

Developer Guide, "Filter expressions for Query" / "for Scan" and "Limiting the number of items":
DynamoDB reads up to ``Limit`` items (or 1 MB), *then* applies the filter - ``ScannedCount`` is
the number read, ``Count`` the number that passed - and returns ``LastEvaluatedKey`` whenever it
stopped because of ``Limit``, even if no item follows ("If LastEvaluatedKey is present in the
response, you need to paginate"; a Query whose ``Limit`` equals its number of matches still
returns one). ``Select: COUNT`` returns the count and no items. A projection is applied last, so
a filter may use attributes the projection leaves out.

moto applies ``Limit`` after its filter (11 pages instead of 2 for 20 items, a filter matching
all of them and ``Limit`` 10), joins legacy ``QueryFilter`` conditions by appending each match
(items matching one condition, and duplicates), ignores ``ConditionalOperator``, raises
``TypeError`` on mixed types and returns items along with ``COUNT``. So moto is only asked to
read - no filter, no projection - and everything after reading happens here, with the one
condition evaluator (``conditions.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iam_policies.dynamodb import expressions as ex
from iam_policies.errors import ValidationException
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import conditions
from webapp.backend.semantics.conditions import resolve
from webapp.backend.semantics.placeholders import without
from webapp.backend.semantics.values import kind
from webapp.backend.semantics.writes import Storage

Forward = Callable[[str, Mapping[str, Any]], dict[str, Any]]
Item = Mapping[str, Any]

_AFTER_READ = ("FilterExpression", "QueryFilter", "ScanFilter", "ConditionalOperator", "ProjectionExpression")


def _filter_of(operation: str, params: Mapping[str, Any]) -> conditions.Condition | None:
    if "FilterExpression" in params:
        return conditions.from_expression("FilterExpression", str(params["FilterExpression"]),
                                          params.get("ExpressionAttributeNames"),
                                          params.get("ExpressionAttributeValues"))
    legacy = params.get("QueryFilter" if operation == "Query" else "ScanFilter")
    if isinstance(legacy, Mapping) and legacy:
        return conditions.from_legacy(legacy, params.get("ConditionalOperator"), expected=False)
    return None


def _mixed(operation: str, params: Mapping[str, Any]) -> bool:
    """A legacy filter together with a ``FilterExpression``: validation refuses it, not this layer.
    (``KeyConditions`` with ``FilterExpression`` or ``ProjectionExpression`` is accepted.)"""
    legacy = "QueryFilter" if operation == "Query" else "ScanFilter"
    return legacy in params and "FilterExpression" in params


def read(storage: Storage, operation: str, params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    if _mixed(operation, params):
        return forward(operation, params)
    try:
        keep = _filter_of(operation, params)
        projection = (ex.parse("ProjectionExpression", str(params["ProjectionExpression"])).paths
                      if "ProjectionExpression" in params else None)
    except DynamoDBValidationException:
        raise  # DynamoDB's own answer about the legacy parameters
    except (ValidationException, ValueError, KeyError, IndexError, TypeError):
        return forward(operation, params)  # the endpoint's checks or moto's report it
    names = dict(params.get("ExpressionAttributeNames") or {})
    select = params.get("Select")
    if operation == "Query":
        params = key_condition_expression(params)
    request = without(params, _AFTER_READ, ("KeyConditionExpression",))
    if select in ("COUNT", "SPECIFIC_ATTRIBUTES"):
        request.pop("Select")
    response = Read(forward(operation, request))  # segments are DynamoDB's in the storage (moto_models.py)
    items = list(response.get("Items") or ())
    response.evaluated = items
    if items and _fetches_from_table(storage, params, select, projection, keep):
        items = _table_items(storage, params, items, whole=select == "ALL_ATTRIBUTES" or projection is not None)
    limit = params.get("Limit")
    if (isinstance(limit, int) and not isinstance(limit, bool) and len(items) == limit and items
            and "LastEvaluatedKey" not in response):
        last = _last_key(storage, params, items[-1])
        if last:
            response["LastEvaluatedKey"] = last
    if keep is not None:
        items = [item for item in items if keep(getattr(item, "full", item))]
    items = [dict(item) if isinstance(item, _Filtered) else item for item in items]
    if projection is not None:
        items = [project(item, projection, names) for item in items]
    response["Count"] = len(items)
    if select == "COUNT":
        response.pop("Items", None)
    else:
        response["Items"] = items
    return response


class Read(dict[str, Any]):
    """A Query or Scan response that also carries the items the read evaluated - what moto
    returned, before ``Limit``'s key, filters, ``Select`` and projections - which
    ``ConsumedCapacity`` is measured on (``metering.py``), so that it need not read them again.
    Travels as the response itself (a dict: it is serialised as one)."""

    evaluated: list[Any] | None = None


_KEY_OPERATORS = {"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def key_condition_expression(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The key condition as moto reads it, DynamoDB's way of reading it preserved:

    * a reversed comparison (``:p = p``, ``:low < s``), which real DynamoDB accepts (observed by
      the suite issue 13 measured with), is turned around (moto refuses it as "Multiple attribute
      names used in one condition");
    * a ``BETWEEN`` before the other condition (``s BETWEEN :a AND :b AND p = :p``: either order
      is DynamoDB's, ScyllaDB's test_key_condition_expression.py ``test_key_condition_expression_order``)
      goes last, where moto's parser can read it (it failed on an assertion: a 500, found by fuzzing);
    * legacy ``KeyConditions`` together with ``FilterExpression`` or ``ProjectionExpression``,
      which real DynamoDB accepts (same observation; only ``QueryFilter``, ``AttributesToGet``
      and ``ConditionalOperator`` may not meet an expression parameter), becomes the equivalent
      ``KeyConditionExpression``.
    """
    text = params.get("KeyConditionExpression")
    if isinstance(text, str):
        try:
            parsed, conditions_ = ex.key_conditions(text)
        except ValidationException:
            return params
        if not _reversed(parsed.condition) and not any(c.op == "BETWEEN" for c in conditions_[:-1]):
            return params
        parts = []
        for condition in sorted(conditions_, key=lambda c: c.op == "BETWEEN"):  # stable: BETWEEN last
            if condition.op == "BETWEEN":
                parts.append(f"{condition.name} BETWEEN {condition.values[0]} AND {condition.values[1]}")
            elif condition.op == "begins_with":
                parts.append(f"begins_with({condition.name}, {condition.values[0]})")
            else:
                parts.append(f"{condition.name} {condition.op} {condition.values[0]}")
        return {**params, "KeyConditionExpression": " AND ".join(parts)}
    legacy = params.get("KeyConditions")
    if not isinstance(legacy, Mapping) or not ({"FilterExpression", "ProjectionExpression"} & set(params)):
        return params
    names = dict(params.get("ExpressionAttributeNames") or {})
    values = dict(params.get("ExpressionAttributeValues") or {})
    parts = []
    for index, (name, spec) in enumerate(legacy.items()):
        operator = spec.get("ComparisonOperator") if isinstance(spec, Mapping) else None
        given = spec.get("AttributeValueList") if isinstance(spec, Mapping) else None
        if not isinstance(given, list) or not given:
            return params
        alias = f"#keyCondition{index}"
        names[alias] = str(name)
        placeholders = []
        for position, value in enumerate(given):
            placeholders.append(f":keyCondition{index}_{position}")
            values[placeholders[-1]] = value
        if operator in _KEY_OPERATORS:
            parts.append(f"{alias} {_KEY_OPERATORS[operator]} {placeholders[0]}")
        elif operator == "BETWEEN" and len(placeholders) == 2:
            parts.append(f"{alias} BETWEEN {placeholders[0]} AND {placeholders[1]}")
        elif operator == "BEGINS_WITH":
            parts.append(f"begins_with({alias}, {placeholders[0]})")
        else:
            return params
    out = {k: v for k, v in params.items() if k != "KeyConditions"}
    parts.sort(key=lambda part: " BETWEEN " in part)  # BETWEEN last, where moto's parser reads it
    return {**out, "KeyConditionExpression": " AND ".join(parts), "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}


def _reversed(node: ex.Condition | None) -> bool:
    if isinstance(node, ex.BoolOp):
        return _reversed(node.left) or _reversed(node.right)
    return isinstance(node, ex.Compare) and isinstance(node.left, ex.ValueOperand)


def _fetches_from_table(storage: Storage, params: Mapping[str, Any], select: Any, projection: Any,
                        keep: Any) -> bool:
    """A query of a local secondary index that does not project everything, asking for more than
    it holds: "If any of the requested attributes are not projected into the local secondary
    index, DynamoDB fetches each of these attributes from the base table" (Developer Guide, "Local
    secondary indexes", Projected attributes; ``Select: ALL_ATTRIBUTES`` likewise, API Reference,
    Query). moto answers with the index's projection only."""
    index = params.get("IndexName")
    if not isinstance(index, str):
        return False
    kind = storage.local_index_projection(str(params.get("TableName")), index)
    if kind is None or kind == "ALL":
        return False
    return select == "ALL_ATTRIBUTES" or projection is not None or keep is not None


def _table_items(storage: Storage, params: Mapping[str, Any], items: list[Any], *, whole: bool) -> list[Any]:
    """The base table's items behind index entries: whole, or (for a filter only) the index
    entry as returned with the table's attributes available to the filter alone."""
    table = str(params.get("TableName"))
    names = storage.key_names(table) or ()
    out = []
    for item in items:
        full = storage.current_item(table, {name: item[name] for name in names if name in item})
        out.append(full if full is not None and whole else _Filtered(item, full or item))
    return out


class _Filtered(dict[str, Any]):
    """An index entry (what is returned) that filters read as the base table's item."""

    def __init__(self, entry: Mapping[str, Any], full: Mapping[str, Any]) -> None:
        super().__init__(entry)
        self.full = full


def _last_key(storage: Storage, params: Mapping[str, Any], item: Item) -> dict[str, Any]:
    table = str(params.get("TableName"))
    wanted = list(storage.key_names(table) or ())
    index = params.get("IndexName")
    if isinstance(index, str):
        for name in storage.key_names(table, index) or ():
            if name not in wanted:
                wanted.append(name)
    return {name: item[name] for name in wanted if name in item}


def project(item: Item, paths: tuple[ex.Path, ...], names: Mapping[str, str]) -> dict[str, Any]:
    """The parts of ``item`` the paths name, nested as in the item; list elements keep their
    order, compacted (Developer Guide, "Projection expressions")."""
    tree: dict[Any, Any] = {}
    for path in paths:
        node = tree
        for position, element in enumerate(path):
            step = names.get(element, element) if isinstance(element, str) and element.startswith("#") else element
            last = position == len(path) - 1
            if step in node and node[step] is None:
                break  # an enclosing path is already projected whole
            if last:
                node[step] = None
            else:
                node = node.setdefault(step, {})
    out: dict[str, Any] = {}
    for name, sub in tree.items():
        if isinstance(name, str) and name in item:
            picked = _pick(item[name], sub)
            if picked is not None:
                out[name] = picked
    return out


def _pick(value: Any, tree: dict[Any, Any] | None) -> Any:
    if tree is None:
        return value
    k = kind(value)
    if k == "M" and isinstance(value["M"], Mapping):
        members = {}
        for name, sub in tree.items():
            if isinstance(name, str) and name in value["M"]:
                picked = _pick(value["M"][name], sub)
                if picked is not None:
                    members[name] = picked
        return {"M": members} if members else None
    if k == "L" and isinstance(value["L"], list):
        elements = []
        for index in sorted(i for i in tree if isinstance(i, int)):
            if index < len(value["L"]):
                picked = _pick(value["L"][index], tree[index])
                if picked is not None:
                    elements.append(picked)
        return {"L": elements} if elements else None
    return None


def transact_get_items(params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """TransactGetItems likewise, member by member: each ``Get``'s projection is applied here to
    the item the engine reads whole (moto keeps one element of ``l[3], l[1]`` there too)."""
    members = params.get("TransactItems")
    if not isinstance(members, list):
        return forward("TransactGetItems", params)
    projections: list[tuple[tuple[ex.Path, ...], dict[str, str]] | None] = []
    bare: list[Any] = []
    for entry in members:
        get = entry.get("Get") if isinstance(entry, Mapping) else None
        paths = _paths(get) if isinstance(get, Mapping) else None
        if paths is None or not isinstance(get, Mapping):
            projections.append(None)
            bare.append(entry)
            continue
        projections.append((paths, dict(get.get("ExpressionAttributeNames") or {})))
        bare.append({**entry, "Get": without(get, ("ProjectionExpression",), ())})
    response = forward("TransactGetItems", {**params, "TransactItems": bare})
    found = response.get("Responses")
    if isinstance(found, list) and len(found) == len(projections):
        for position, projection in enumerate(projections):
            entry = found[position]
            if projection is not None and isinstance(entry, dict) and isinstance(entry.get("Item"), Mapping):
                entry["Item"] = project(entry["Item"], *projection)
    return response


__all__ = ["Read", "project", "read", "resolve", "transact_get_items"]


# GetItem, BatchGetItem ---------------------------------------------------------------------------


def _paths(request: Mapping[str, Any]) -> tuple[ex.Path, ...] | None:
    text = request.get("ProjectionExpression")
    if not isinstance(text, str):
        return None
    try:
        return ex.parse("ProjectionExpression", text).paths
    except ValidationException:
        return None


def get_item(params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """GetItem with a projection applied here: moto keeps only one element of ``l[3], l[1]``."""
    paths = _paths(params)
    if paths is None:
        return forward("GetItem", params)
    names = dict(params.get("ExpressionAttributeNames") or {})
    response = forward("GetItem", without(params, ("ProjectionExpression",), ()))
    if isinstance(response.get("Item"), Mapping):
        response["Item"] = project(response["Item"], paths, names)
    return response


def batch_get_item(params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """BatchGetItem likewise, table by table."""
    requests = params.get("RequestItems")
    if not isinstance(requests, Mapping):
        return forward("BatchGetItem", params)
    projections: dict[str, tuple[tuple[ex.Path, ...], dict[str, str]]] = {}
    bare: dict[str, Any] = {}
    for table, request in requests.items():
        paths = _paths(request) if isinstance(request, Mapping) else None
        if paths is None:
            bare[table] = request
            continue
        projections[table] = (paths, dict(request.get("ExpressionAttributeNames") or {}))
        # the key attributes stay, so that each answer can be matched to its request
        bare[table] = without(request, ("ProjectionExpression",), ())
    response = forward("BatchGetItem", {**params, "RequestItems": bare})
    for table, (paths, names) in projections.items():
        found = (response.get("Responses") or {}).get(table)
        if isinstance(found, list):
            response["Responses"][table] = [project(item, paths, names) for item in found]
    return response
