"""DynamoDB's limits on attribute values, checked before anything walks them.

Developer Guide, *Service, account, and table quotas* → "Attributes": a document nests at most
32 levels (the top-level attribute is level 1), and an attribute name is at least one and at most
65,535 bytes long. DynamoDB refuses a request that breaks either before doing anything else; so
do we, which also keeps every later step (derive, moto's validators and models, which all
recurse into maps and lists) away from values nested hundreds deep (issue 11: a 600-level item
was a ``RecursionError``, an HTTP 500).

Messages, as measured on DynamoDB (dynoxide's ``tests/nesting_depth.rs`` and ``value_nesting.rs``,
ExtendDB issue 365, both captured against the service in 2026):

* ``Nesting Levels have exceeded supported limits: Attributes in the item have nested levels
  beyond supported limit``, bare, except in the ``Key`` of DeleteItem and UpdateItem, in
  ``Expected`` and in ``AttributeUpdates``, where it comes inside ``1 validation error detected: ``;
* ``1 validation error detected: Attribute name is too large, must be less than 65536 bytes``, for
  a name in an item, a key, a nested map or ``ExpressionAttributeNames``.

A transaction's members are checked one at a time, in request order, each after the expressions
of the members before it: DynamoDB reports a malformed condition on the first member ahead of a
too deep item on the second, and the too deep item on the first ahead of a malformed condition on
the second (paritysuite/dynamodb-conformance tests/tier3/validation-ordering/transactions.test.ts,
captured in us-east-1 and eu-west-2). ``earlier`` runs those expression checks.

Which parts of a request are attribute values comes from botocore's service model (the shape
``AttributeValue``), so every operation is covered without a list of its members. The walk uses
an explicit stack: it has no recursion of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from iam_policies.errors import ValidationException
from webapp.aws_models import service_model

#: DynamoDB DG, quotas → "Nested attribute depth": 32 levels.
MAX_DEPTH = 32
#: DynamoDB DG, naming rules → attribute names: at most 64 KB, i.e. up to 65,535 bytes.
MAX_NAME_BYTES = 65535

#: No request body shorter than this can break either limit, so ``check`` need not walk it: an
#: attribute value past ``MAX_DEPTH`` sits inside ``MAX_DEPTH`` lists or maps, each at least
#: ``{"L":[`` and ``]}`` (8 bytes; a map takes more), and is itself at least one byte; a JSON
#: string is never shorter than its UTF-8 bytes, so a name past ``MAX_NAME_BYTES`` is longer still.
#: (``tests/unit/webapp/dynamodb/test_limits.py`` checks the shortest such body against ``check``.)
SHORTEST_UNSAFE_BODY = MAX_DEPTH * len('{"L":[]}') + 1

NESTING = ("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
           "supported limit")
NAME_TOO_LARGE = "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
#: (operation, top-level member) where DynamoDB wraps the nesting message in the validation envelope.
#: Maps keyed by attribute name, by the shape of their values (not ExpressionAttributeValues,
#: keyed by ``:placeholders``, nor RequestItems, keyed by table names).
NAMED_BY_ATTRIBUTE = {"AttributeValue", "ExpectedAttributeValue", "AttributeValueUpdate", "Condition"}
ENVELOPED = {("DeleteItem", "Key"), ("UpdateItem", "Key"), ("UpdateItem", "AttributeUpdates"),
             ("PutItem", "Expected"), ("DeleteItem", "Expected"), ("UpdateItem", "Expected")}


#: The operations whose members are checked in order with their expressions (see above).
TRANSACTIONS = frozenset({"TransactWriteItems", "TransactGetItems"})


def check(operation: str, params: Mapping[str, Any],
          earlier: Callable[[Sequence[Any]], None] | None = None) -> None:
    """Raise DynamoDB's ``ValidationException`` if an attribute value in ``params`` nests past
    32 levels or an attribute name is longer than 65,535 bytes. Unknown operations and values of
    the wrong type are left to the later steps, which have the words for them. For a transaction,
    ``earlier(members)`` checks the expressions of the members before the first one that fails."""
    members = params.get("TransactItems") if operation in TRANSACTIONS else None
    if earlier is None or not isinstance(members, list):
        _check(operation, params)
        return
    _check(operation, {name: value for name, value in params.items() if name != "TransactItems"})
    for position, member in enumerate(members):
        try:
            _check(operation, {"TransactItems": [member]})
        except ValidationException:
            earlier(members[:position])
            raise


def _check(operation: str, params: Mapping[str, Any]) -> None:
    plan = _input_plan(operation)
    if plan is None:
        return
    # (shape name, value, attribute-value depth, top-level member)
    stack: list[tuple[str, Any, int, str]] = [(plan, params, 0, "")]
    shapes = _shapes()
    while stack:
        name, value, depth, member = stack.pop()
        kind, children = shapes[name]
        if name == "AttributeValue":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationException(
                    f"1 validation error detected: {NESTING}" if (operation, member) in ENVELOPED else NESTING
                )
        if kind == "structure":
            if isinstance(value, Mapping):
                for child_member, child_shape in children:
                    if child_member in value:
                        stack.append((child_shape, value[child_member], depth, member or child_member))
        elif kind == "list":
            if isinstance(value, list):
                child_shape = children[0][1]
                stack.extend((child_shape, item, depth, member) for item in value)
        elif kind == "names":
            if isinstance(value, Mapping):
                for item in value.values():
                    _check_name(item)
        elif kind in ("map", "attributes"):
            if isinstance(value, Mapping):
                child_shape = children[0][1]
                for key, item in value.items():
                    if kind == "attributes":
                        _check_name(key)
                    stack.append((child_shape, item, depth, member))


def _check_name(name: Any) -> None:
    if isinstance(name, str) and len(name) * 4 > MAX_NAME_BYTES and len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValidationException(NAME_TOO_LARGE)


@cache
def _input_plan(operation: str) -> str | None:
    model = _model()
    if operation not in model.operation_names:
        return None
    shape = model.operation_model(operation).input_shape
    if shape is None or shape.name not in _shapes():
        return None
    return str(shape.name)


def _model() -> Any:
    return service_model("dynamodb")


@cache
def _shapes() -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """Every input shape that can hold an attribute value or an attribute name, as
    ``name -> (kind, ((member, child shape name), ...))``: the walk above follows only these."""
    model = _model()
    graph: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if shape is not None:
            _collect(shape, graph)
    relevant = {"AttributeValue", "ExpressionAttributeNameMap"}
    changed = True
    while changed:  # a shape is relevant if one of its children is
        changed = False
        for name, (_kind, children) in graph.items():
            if name not in relevant and any(child in relevant for _, child in children):
                relevant.add(name)
                changed = True
    return {
        name: (kind, tuple((m, c) for m, c in children if c in relevant or kind != "structure"))
        for name, (kind, children) in graph.items() if name in relevant
    }


def _collect(root: Any, graph: dict[str, tuple[str, tuple[tuple[str, str], ...]]]) -> None:
    pending = [root]
    while pending:
        shape = pending.pop()
        if shape.name in graph:
            continue
        if shape.type_name == "structure":
            members = tuple(shape.members.items())
            graph[shape.name] = ("structure", tuple((m, s.name) for m, s in members))
            pending.extend(s for _, s in members)
        elif shape.type_name == "list":
            graph[shape.name] = ("list", (("", shape.member.name),))
            pending.append(shape.member)
        elif shape.type_name == "map":
            if shape.name == "ExpressionAttributeNameMap":
                kind = "names"
            elif shape.value.name in NAMED_BY_ATTRIBUTE and shape.name != "ExpressionAttributeValueMap":
                kind = "attributes"
            else:
                kind = "map"
            graph[shape.name] = (kind, (("", shape.value.name),))
            pending.append(shape.value)
        else:
            graph[shape.name] = ("scalar", ())
