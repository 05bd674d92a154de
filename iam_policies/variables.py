"""Policy variables: ``${key}`` placeholders in Resource and in String/ARN/Bool condition values.

IAM User Guide, *IAM policy elements: Variables and tags* (spec C.7, S14):

- ``${key}``: the value of a condition key of the request or the principal; key names are
  case-insensitive. Only single-valued keys may be variables; a multivalued one resolves to
  nothing.
- ``${*}``, ``${?}``, ``${$}``: a literal ``*``, ``?``, ``$`` (never a wildcard).
- ``${key, 'default'}``: the default when the key is absent.
- A key that is absent and has no default is "effectively null": the template *resolves to
  nothing*, and the caller decides (a positive operator never matches, a negated one does; a
  Resource entry matches nothing).
- Substituted values are literal text: a ``*`` in a user's value is not a wildcard.
- Variables need ``"Version": "2012-10-17"``; under 2008-10-17 (the default when Version is
  omitted) ``${...}`` is plain text.

A template is parsed once into parts; evaluation only looks the keys up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iam_policies.authorization import ContextValue

#: Looks a condition key up by its lower-cased name; ``None`` when the key is absent.
Lookup = Callable[[str], "ContextValue | None"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Text:
    """Policy text as written: in patterns its ``*`` and ``?`` are wildcards."""

    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """Text that is never a wildcard: the result of ``${*}``, ``${?}`` or ``${$}``."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """``${key}`` or ``${key, 'default'}``; ``name`` is the lower-cased key."""

    key: str
    name: str
    default: str | None = None


Part = Text | Literal | Variable


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string split into text, literal and variable parts."""

    source: str
    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(part, Variable) for part in self.parts)

    def resolve(self, lookup: Lookup) -> tuple[tuple[str, bool], ...] | None:
        """The parts as ``(text, is_wildcard_text)``, or ``None`` if a variable is null."""
        out: list[tuple[str, bool]] = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append((part.text, True))
            elif isinstance(part, Literal):
                out.append((part.text, False))
            else:
                value = variable_value(part, lookup)
                if value is None:
                    return None
                out.append((value, False))
        return tuple(out)

    def render(self, lookup: Lookup) -> str | None:
        """The string with variables substituted, or ``None`` if a variable is null."""
        if len(self.parts) == 1:
            only = self.parts[0]
            return variable_value(only, lookup) if isinstance(only, Variable) else only.text
        resolved = self.resolve(lookup)
        return None if resolved is None else "".join(text for text, _ in resolved)


def parse_template(source: str, *, substitute: bool) -> Template:
    """Split ``source`` into parts; with ``substitute=False`` (Version 2008-10-17) all is text."""
    if not substitute or "${" not in source:
        return Template(source, (Text(source),))
    parts: list[Part] = []
    position = 0
    for match in _VARIABLE.finditer(source):
        if match.start() > position:
            parts.append(Text(source[position : match.start()]))
        parts.append(_parse_variable(match.group(0), match.group(1)))
        position = match.end()
    if position < len(source):
        parts.append(Text(source[position:]))
    return Template(source, tuple(_merge(parts)))


def _parse_variable(whole: str, body: str) -> Part:
    if body in _ESCAPES:
        return Literal(_ESCAPES[body])
    default = _DEFAULT.match(body)
    if default:
        key = default.group(1).strip()
        return Variable(key, key.lower(), default.group(2))
    key = body.strip()
    if not key:
        return Text(whole)
    return Variable(key, key.lower())


def _merge(parts: Sequence[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if merged and type(part) is type(merged[-1]) and isinstance(part, (Text, Literal)):
            previous = merged.pop()
            merged.append(type(part)(previous.text + part.text))  # type: ignore[union-attr]
        else:
            merged.append(part)
    return merged


def variable_value(variable: Variable, lookup: Lookup) -> str | None:
    """The text a variable stands for: single-valued keys only; the default when absent."""
    value = lookup(variable.name)
    if value is None or isinstance(value, (list, tuple)):
        # Multivalued keys may not be variables (S14); treat them like an absent key.
        return variable.default
    return scalar_text(value)


def scalar_text(value: object) -> str:
    """How a scalar context value reads as text (JSON spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
