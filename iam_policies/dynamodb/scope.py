"""One request's ExpressionAttributeNames/Values, and the names its expressions touch.

``dynamodb:Attributes`` holds the *top-level* attribute names a request accesses (S1): the first
element of every document path, after ``#placeholders`` are resolved through
``ExpressionAttributeNames`` (fgac-semantics.md A.4; security-anchors §4.2). An alias whose
value contains a dot (``#n -> "title.adminFlag"``) is one literal name, never a path.

DynamoDB rejects names or values that are defined but unused, or used but undefined; those
checks run here, over all the expressions of one request (or one transaction member).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from iam_policies.dynamodb.errors import invalid
from iam_policies.dynamodb.expressions import (
    KeyCondition,
    Kind,
    Parsed,
    Path,
    key_conditions,
    overlap_error,
    parse,
)

_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+")


class ExpressionScope:
    """Resolve placeholders for the expressions of one request and check none is left over."""

    __slots__ = ("names", "values", "used_names", "used_values", "expressions")

    def __init__(self, names: Any, values: Any) -> None:
        self.names: Mapping[str, str] = _names(names)
        self.values: Mapping[str, Any] = _values(values)
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.expressions = 0

    def _use(self, kind: str, parsed: Parsed) -> None:
        self.expressions += 1
        for name in parsed.names:
            if name not in self.names:
                raise invalid(
                    f"Invalid {kind}: An expression attribute name used in the document path is not defined; "
                    f"attribute name: {name}"
                )
        for value in parsed.values:
            if value not in self.values:
                raise invalid(
                    f"Invalid {kind}: An expression attribute value used in expression is not defined; "
                    f"attribute value: {value}"
                )
        self.used_names |= parsed.names
        self.used_values |= parsed.values

    def _no_overlap(self, kind: str, paths: tuple[Path, ...]) -> None:
        """DynamoDB refuses a projection (or update targets) where one path contains another."""
        overlap_error(kind, list(paths), self.resolve)

    def resolve(self, element: str | int) -> str:
        text = str(element)
        return self.names[text] if text.startswith("#") else text

    def attributes(self, kind: Kind, text: Any) -> set[str]:
        """The top-level attribute names one expression references."""
        parsed = parse(kind, _text(kind, text))
        self._use(kind, parsed)
        if kind == "ProjectionExpression" and len(parsed.paths) > 1:
            self._no_overlap(kind, parsed.paths)
        return {self.resolve(path[0]) for path in parsed.paths if path}

    def update(self, text: Any) -> tuple[set[str], set[str]]:
        """An UpdateExpression's top-level names, and those of the attributes it writes."""
        parsed = parse("UpdateExpression", _text("UpdateExpression", text))
        self._use("UpdateExpression", parsed)
        if len(parsed.targets) > 1:
            self._no_overlap("UpdateExpression", parsed.targets)
        every = {self.resolve(path[0]) for path in parsed.paths if path}
        return every, {self.resolve(path[0]) for path in parsed.targets if path}

    def key_conditions(self, text: Any) -> tuple[set[str], tuple[KeyCondition, ...]]:
        """A KeyConditionExpression's names and its (name-resolved) conditions."""
        if not isinstance(text, str):
            raise invalid("Invalid KeyConditionExpression: expected a string")
        parsed, conditions = key_conditions(text)
        self._use("KeyConditionExpression", parsed)
        resolved = tuple(KeyCondition(self.resolve(c.name), c.op, c.values) for c in conditions)
        return {c.name for c in resolved}, resolved

    def value(self, placeholder: str) -> Any:
        return self.values[placeholder]

    def finish(self) -> None:
        """DynamoDB refuses names/values that no expression of the request used."""
        if not self.names and not self.values:
            return
        if (self.names or self.values) and self.expressions == 0:
            which = "ExpressionAttributeNames" if self.names else "ExpressionAttributeValues"
            raise invalid(f"{which} can only be specified when using expressions")
        # _use refuses undefined placeholders, so "all used" is a size comparison.
        if len(self.used_names) == len(self.names) and len(self.used_values) == len(self.values):
            return
        unused_names = sorted(set(self.names) - self.used_names)
        if unused_names:
            raise invalid(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
                + ", ".join(unused_names)
                + "}"
            )
        unused_values = sorted(set(self.values) - self.used_values)
        if unused_values:
            raise invalid(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
                + ", ".join(unused_values)
                + "}"
            )


@lru_cache(maxsize=4096)
def _placeholder(pattern: re.Pattern[str], key: str) -> bool:
    return pattern.fullmatch(key) is not None


def _text(kind: str, text: Any) -> str:
    if not isinstance(text, str):
        raise invalid(f"Invalid {kind}: the expression must be a string")
    return text


def _names(names: Any) -> Mapping[str, str]:
    if names is None:
        return {}
    if not (type(names) is dict or isinstance(names, Mapping)):
        raise invalid("ExpressionAttributeNames must be a map")
    if not names:
        raise invalid("ExpressionAttributeNames must not be empty")
    for key, value in names.items():
        if not isinstance(key, str) or not _placeholder(_NAME_KEY, key):
            raise invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        if not isinstance(value, str) or value == "":
            raise invalid(f"ExpressionAttributeNames contains invalid value: Empty attribute name; for key: {key}")
    return names


def _values(values: Any) -> Mapping[str, Any]:
    if values is None:
        return {}
    if not (type(values) is dict or isinstance(values, Mapping)):
        raise invalid("ExpressionAttributeValues must be a map")
    if not values:
        raise invalid("ExpressionAttributeValues must not be empty")
    for key, value in values.items():
        if not isinstance(key, str) or not _placeholder(_VALUE_KEY, key):
            raise invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
        if not (type(value) is dict or isinstance(value, Mapping)) or len(value) != 1:
            raise invalid(
                "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain "
                f"exactly one of the supported datatypes for key {key}"
            )
    return values
