"""Step 3: the service model's constraints, every failure reported at once.

DynamoDB checks ``required``, ``pattern``, ``min``/``max`` (a length for strings, lists and
maps, a value for numbers) and ``enum`` on every member, in its member order, and answers one
``ValidationException`` listing them all, at most ten (``2 validation errors detected: Value null
at 'tableName' failed to satisfy constraint: Member must not be null; ...``). A member path is
its name in lower camel case; list entries are ``name.<1-based index>.member``, map values
``name.<key>.member`` (dynalite test/*.js ``assertValidation``, recorded live).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from webapp.dynamodb.validation.errors import constraint_errors
from webapp.dynamodb.validation.model import (
    ENUM_ORDER,
    EXTRA_CONSTRAINTS,
    TABLE_NAME,
    ordered_members,
    required_members,
)

#: DynamoDB lists at most this many failures in one message.
MAX_ERRORS = 10


class _Full(Exception):
    """Ten failures collected: stop looking."""


def check(operation: str, shape: Any, params: Mapping[str, Any]) -> None:
    errors: list[str] = []
    try:
        _structure(shape, params, "", errors)
    except _Full:
        pass
    if errors:
        raise constraint_errors(errors)


def _path(prefix: str, name: str) -> str:
    camel = name[:1].lower() + name[1:]
    return f"{prefix}.{camel}" if prefix else camel


def _add(errors: list[str], value: Any, path: str, rule: str) -> None:
    errors.append(f"Value {shown(value)} at '{path}' failed to satisfy constraint: {rule}")
    if len(errors) >= MAX_ERRORS:
        raise _Full


def shown(value: Any) -> str:
    """A value as Java's ``toString`` prints it in DynamoDB's messages (``null``, ``'x'``)."""
    if value is None:
        return "null"
    if isinstance(value, _Shown):
        return f"'{value}'"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, list):
        return "'[" + ", ".join(_java_text(item) for item in value) + "]'"
    if isinstance(value, dict):
        return "'" + json.dumps(value, separators=(",", ":")) + "'"
    return f"'{value}'"


def _java_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _structure(shape: Any, value: Mapping[str, Any], path: str, errors: list[str]) -> None:
    required = required_members(shape, value)
    for name, member in _members(shape):
        item = value.get(name)
        if item is None:
            if name in required:
                _add(errors, None, _path(path, name), "Member must not be null")
            continue
        if not _free(member):
            _member(member, item, _path(path, name), errors)


#: Per structure shape name: its members in DynamoDB's order.
_MEMBERS: dict[str, list[tuple[str, Any]]] = {}


def _members(shape: Any) -> list[tuple[str, Any]]:
    known = _MEMBERS.get(shape.name)
    if known is None:
        known = [(name, shape.members[name]) for name in ordered_members(shape)]
        _MEMBERS[shape.name] = known
    return known


# Shapes with nothing to check -------------------------------------------------------------------
#
# Most of a data-plane request is attribute values (``Item``, ``Key``, ``ExpressionAttributeValues``):
# ``AttributeValue`` and everything under it has no constraint in the model, yet walking it member
# by member was most of this step's time. Such subtrees are found once per shape name (a fixed
# point, since shapes are recursive) and skipped: they could add no error.

_CONSTRAINT_KEYS = ("min", "max", "pattern", "enum")
#: Shape name -> True when neither it nor anything under it has a constraint.
_FREE: dict[str, bool] = {}


def _free(shape: Any) -> bool:
    known = _FREE.get(shape.name)
    if known is None:
        _settle(shape)
        known = _FREE[shape.name]
    return known


def _children(shape: Any) -> list[Any]:
    kind = shape.type_name
    if kind == "structure":
        return list(shape.members.values())
    if kind == "list":
        return [shape.member]
    if kind == "map":
        return [shape.key, shape.value]
    return []


def _constrained(shape: Any) -> bool:
    if shape.name == "TableArn" or (shape.type_name == "structure" and required_members(shape)):
        return True
    limits = _limits(shape, None)
    return any(limits.get(key) is not None for key in _CONSTRAINT_KEYS)


def _settle(root: Any) -> None:
    """Decide ``_FREE`` for every shape reachable from ``root`` that is not decided yet."""
    children: dict[str, list[Any]] = {}
    bound: set[str] = set()
    stack = [root]
    while stack:  # each undecided shape once: its children and its own constraints
        shape = stack.pop()
        if shape.name in children or shape.name in _FREE:
            continue
        children[shape.name] = _children(shape)
        if _constrained(shape):
            bound.add(shape.name)
        stack.extend(children[shape.name])
    changed = True
    while changed:  # a shape with a constrained child is constrained
        changed = False
        for name, below in children.items():
            if name not in bound and any(c.name in bound or _FREE.get(c.name) is False for c in below):
                bound.add(name)
                changed = True
    for name in children:
        _FREE[name] = name not in bound


#: The only constraint under ``AttributeValue`` in botocore's model is the length of a nested
#: map's keys (``AttributeName``, at most 65,535); ``None`` until looked up, ``0`` if the model
#: says more (then every value is walked).
_NAME_MAX: int | None = None


def _plain_value(shape: Any, value: Any) -> bool:
    """True when the attribute value ``value`` could not fail a constraint: every nested map key
    within ``AttributeName``'s length (checked without the member-by-member walk)."""
    global _NAME_MAX
    if _NAME_MAX is None:
        _NAME_MAX = _only_name_length(shape)
    if not _NAME_MAX:
        return False
    stack = [value]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        for kind, inner in current.items():
            if kind == "M" and isinstance(inner, dict):
                if any(len(key) > _NAME_MAX for key in inner):
                    return False
                stack.extend(inner.values())
            elif kind == "L" and isinstance(inner, list):
                stack.extend(inner)
    return True


def _only_name_length(root: Any) -> int:
    seen: set[str] = set()
    stack = [root]
    found: list[Any] = []
    while stack:
        shape = stack.pop()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        if _constrained(shape):
            found.append(shape)
        stack.extend(_children(shape))
    if len(found) != 1 or found[0].name != "AttributeName" or found[0].type_name != "string":
        return 0
    limits = {k: v for k, v in _limits(found[0], None).items() if k in _CONSTRAINT_KEYS and v is not None}
    return int(limits["max"]) if set(limits) == {"max"} else 0


def _limits(shape: Any, value: Any) -> dict[str, Any]:
    if shape.name == "TableArn" and isinstance(value, str) and not value.startswith("arn:"):
        return {**_static_limits(shape), **TABLE_NAME, **EXTRA_CONSTRAINTS.get(shape.name, {})}
    return _static_limits(shape)


#: Per shape name: its limits (the model's, DynamoDB's extra ones, enums in DynamoDB's order).
_LIMITS: dict[str, dict[str, Any]] = {}


def _static_limits(shape: Any) -> dict[str, Any]:
    """Shared, never to be changed by callers."""
    known = _LIMITS.get(shape.name)
    if known is None:
        known = dict(shape.metadata)
        known.update(EXTRA_CONSTRAINTS.get(shape.name, {}))
        if shape.name in ENUM_ORDER:
            known["enum"] = list(ENUM_ORDER[shape.name])
        _LIMITS[shape.name] = known
    return known


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.DOTALL)


def _member(shape: Any, value: Any, path: str, errors: list[str], *, entry: bool = False) -> None:
    """``entry``: a map value, whose length and pattern the map reported (:func:`_map_entries`)."""
    if shape.name == "AttributeValue" and _plain_value(shape, value):
        return
    kind = shape.type_name
    limits = _limits(shape, value)
    if entry:
        limits = {k: v for k, v in limits.items() if k not in ("min", "max", "pattern")}
    if kind == "string" and isinstance(value, str):
        pattern = limits.get("pattern")
        if pattern is not None and not _pattern(pattern).fullmatch(value):
            _add(errors, value, path, f"Member must satisfy regular expression pattern: {pattern}")
        _length(limits, value, len(value), path, errors)
        allowed = limits.get("enum")
        if allowed and value not in allowed:
            _add(errors, value, path, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    elif kind in ("integer", "long", "double", "float") and isinstance(value, (int, float)):
        low, high = limits.get("min"), limits.get("max")
        if low is not None and value < low:
            _add(errors, value, path, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            _add(errors, value, path, f"Member must have value less than or equal to {high}")
    elif kind == "list" and isinstance(value, list):
        _length(limits, value, len(value), path, errors)
        for index, item in enumerate(value, start=1):
            if item is not None:
                _member(shape.member, item, f"{path}.{index}.member", errors)
    elif kind == "map" and isinstance(value, dict):
        _length(limits, value, len(value), path, errors)
        _map_entries(shape, value, path, errors)
        for key, item in value.items():
            if item is not None:
                _member(shape.value, item, f"{path}.{key}.member", errors, entry=True)
    elif kind == "structure" and isinstance(value, dict):
        _structure(shape, value, path, errors)


def _length(limits: Mapping[str, Any], value: Any, length: int, path: str, errors: list[str]) -> None:
    low, high = limits.get("min"), limits.get("max")
    if low is not None and length < low:
        _add(errors, value, path, f"Member must have length greater than or equal to {low}")
    if high is not None and length > high:
        _add(errors, value, path, f"Member must have length less than or equal to {high}")


def _map_entries(shape: Any, value: dict[str, Any], path: str, errors: list[str]) -> None:
    """Constraints on a map's keys and on the length of its values are reported once, at the map,
    listing all of them: ``Map value must satisfy constraint: [Member must have length less than
    or equal to 25, Member must have length greater than or equal to 1]`` (DynamoDB's answer to a
    BatchWriteItem of 26 requests for one table, quoted in DynamoDB client issue threads)."""
    for part, entries in (("keys", [(key, shape.key) for key in value]),
                          ("value", [(item, shape.value) for item in value.values()])):
        rules: list[str] = []
        broken = False
        for item, member in entries:
            limits = _limits(member, item)
            rules = _listed_for(member, limits)
            if not rules or item is None:
                continue
            if member.type_name in ("string", "list", "map") and isinstance(item, (str, list, dict)):
                low, high = limits.get("min"), limits.get("max")
                pattern = limits.get("pattern")
                if (low is not None and len(item) < low) or (high is not None and len(item) > high) or (
                        pattern is not None and isinstance(item, str) and not _pattern(pattern).fullmatch(item)):
                    broken = True
        if broken:
            _add(errors, _java_map(value), path, f"Map {part} must satisfy constraint: [{', '.join(rules)}]")


#: Per shape name: ``_listed`` of its static limits (a map's keys and values are all one shape).
_LISTED: dict[str, list[str]] = {}


def _listed_for(member: Any, limits: Mapping[str, Any]) -> list[str]:
    """``_listed(limits, ...)``, made once per shape when ``limits`` are its static ones (every
    shape's but a table ARN's, whose limits depend on the value: :func:`_limits`)."""
    if limits is not _LIMITS.get(member.name):
        return _listed(limits, member.type_name)
    known = _LISTED.get(member.name)
    if known is None:
        known = _LISTED[member.name] = _listed(limits, member.type_name)
    return known


def _listed(limits: Mapping[str, Any], kind: str) -> list[str]:
    if kind not in ("string", "list", "map"):
        return []
    rules = []
    if limits.get("max") is not None:
        rules.append(f"Member must have length less than or equal to {limits['max']}")
    if limits.get("min") is not None:
        rules.append(f"Member must have length greater than or equal to {limits['min']}")
    if limits.get("pattern") is not None:
        rules.append(f"Member must satisfy regular expression pattern: {limits['pattern']}")
    return rules


def _java_map(value: dict[str, Any]) -> _Shown:
    """A map as Java prints it: ``{key=value, ...}``."""
    return _Shown("{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}")


class _Shown(str):
    """Text already in Java's form: shown between quotes as it is."""
