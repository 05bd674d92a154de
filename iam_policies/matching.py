"""Wildcard matching of actions, resources, ``StringLike`` values and ``Arn*`` values.

Every pattern is compiled once to a regular expression: literal text is escaped first, then ``*``
and ``?`` are expanded (so no other character is special), and variable values are inserted
escaped, after the expansion (a ``*`` in a user's value stays a literal star).

- Action (IAM UG *Action*, spec C.2): ``service:name``, case-insensitive, ``*`` anywhere.
- Resource (IAM UG *Resource*, spec C.3) and ``ArnLike`` (IAM UG *Condition operators*, C.5):
  case-sensitive; the ARN is six colon-separated parts (the sixth, the resource part, may hold
  more colons); each part is matched on its own, so in the first five parts ``*`` and ``?`` do
  not cross ``:``, while in the resource part ``*`` spans everything including ``/``. A pattern
  of ``*`` alone matches everything. Variables in the Resource element are substituted only in
  the resource part; an unresolved variable makes the entry match nothing.
- ``StringLike``: case-sensitive glob over the whole value (``*`` any run, ``?`` one character).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from iam_policies.variables import Literal, Lookup, Template, Text, Variable, parse_template, variable_value


def glob_regex(text: str, *, star: str = ".", one: str = ".") -> str:
    """Regex source for glob text: escape everything, then expand ``*`` and ``?``.

    ``star`` is the character class a ``*`` repeats, ``one`` what a ``?`` matches.

    Stars are emitted so that matching cannot backtrack catastrophically (see ``_emit``).
    """
    if "*" not in text and "?" not in text:
        return re.escape(text)
    return _emit(_glob_tokens(text, star, one))


# A pattern is a list of tokens: ("lit", regex), ("star", class), or ("sep", regex) for a
# boundary that stars cannot cross (the colons between ARN parts).
Token = tuple[str, str]


def _glob_tokens(text: str, star: str, one: str) -> list[Token]:
    tokens: list[Token] = []
    for char in text:
        if char == "*":
            if not tokens or tokens[-1] != ("star", star):  # "**" is "*"
                tokens.append(("star", star))
        elif char == "?":
            tokens.append(("lit", one))
        else:
            tokens.append(("lit", re.escape(char)))
    return tokens


def _emit(tokens: list[Token]) -> str:
    """Regex source without catastrophic backtracking.

    A naive ``.*a.*a.*b`` backtracks polynomially in the number of stars (minutes for a 40
    character value), and policies come from callers too (session policies). Between two stars of
    one segment, the literal run is matched at its leftmost place and committed, with an atomic
    group ``(?>.*?run)``: for globs, the leftmost placement of each middle run is always a correct
    choice (the classic two-pointer wildcard algorithm rests on it), so this is exact, and linear
    per run. The last star of a segment stays greedy so that the segment's tail can anchor.
    """
    out: list[str] = []
    segment: list[Token] = []

    def flush() -> None:
        stars = [i for i, (kind, _) in enumerate(segment) if kind == "star"]
        if not stars:
            out.extend(value for _, value in segment)
            return
        out.extend(value for _, value in segment[: stars[0]])
        for number, index in enumerate(stars):
            end = stars[number + 1] if number + 1 < len(stars) else len(segment)
            run = "".join(value for _, value in segment[index + 1 : end])
            if number + 1 < len(stars):
                out.append(f"(?>{segment[index][1]}*?{run})")
            else:
                out.append(f"{segment[index][1]}*{run}")

    for token in tokens:
        if token[0] == "sep":
            flush()
            segment.clear()
            out.append(token[1])
        else:
            segment.append(token)
    flush()
    return "".join(out)


@lru_cache(maxsize=8192)
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


_ANYTHING = re.compile(r"(?s:.*)\Z")


# -- actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionMatcher:
    """The Action (or NotAction) list of a statement: exact names in a set, wildcards in one regex."""

    patterns: tuple[str, ...]
    _exact: frozenset[str] = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _any: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact = frozenset(p.lower() for p in self.patterns if "*" not in p and "?" not in p)
        wild = [glob_regex(p.lower()) for p in self.patterns if "*" in p or "?" in p]
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_any", "*" in self.patterns)
        regex = _compiled("(?:" + "|".join(wild) + r")\Z", re.IGNORECASE | re.DOTALL) if wild else None
        object.__setattr__(self, "_regex", regex)

    def matches(self, action: str) -> bool:
        """``action`` must already be lower-cased (the evaluator does it once per request)."""
        if self._any or action in self._exact:
            return True
        return self._regex is not None and self._regex.match(action) is not None


# -- ARNs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArnPattern:
    """One Resource entry or ``ArnLike`` value, compiled part by part.

    ``variables_anywhere``: ``ArnLike`` values may hold variables in any part; the Resource
    element substitutes them only in the resource part (a ``${`` earlier is plain text).
    """

    source: str
    template: Template
    variables_anywhere: bool = False
    _static: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _match_all: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_match_all", self.source == "*")
        static = None
        if not self.template.has_variables:
            static = _compiled(_arn_regex((p.text, isinstance(p, Text)) for p in self.template.parts), 0)  # type: ignore[union-attr]
        object.__setattr__(self, "_static", static)

    @classmethod
    def parse(cls, source: str, *, substitute: bool, variables_anywhere: bool = False) -> ArnPattern:
        if not substitute:
            return cls(source, parse_template(source, substitute=False), variables_anywhere)
        if variables_anywhere:
            return cls(source, parse_template(source, substitute=True), True)
        # Resource element: only the resource part (after the fifth colon) takes variables.
        head, sep, resource_part = _split_resource(source)
        if not sep:
            return cls(source, parse_template(source, substitute=False))
        resource = parse_template(resource_part, substitute=True)
        parts: tuple[Text | Literal | Variable, ...] = (Text(head + sep), *resource.parts)
        return cls(source, Template(source, parts))

    def resolve(self, lookup: Lookup) -> re.Pattern[str] | None:
        """The regex with variables substituted; ``None`` if a variable is null."""
        if self._match_all:
            return _ANYTHING
        if self._static is not None:
            return self._static
        resolved = self.template.resolve(lookup)
        if resolved is None:
            return None  # an unresolved variable: this entry matches nothing (S14)
        return _compiled(_arn_regex(resolved), 0)

    def matches(self, arn: str, lookup: Lookup) -> bool:
        pattern = self.resolve(lookup)
        return pattern is not None and pattern.match(arn) is not None


def _split_resource(source: str) -> tuple[str, str, str]:
    """``("arn:p:s:r:a", ":", "resource-part")``: split after the fifth colon, if there is one."""
    pieces = source.split(":", 5)
    if len(pieces) < 6:
        return source, "", ""
    return ":".join(pieces[:5]), ":", pieces[5]


def _arn_regex(parts: Iterable[tuple[str, bool]]) -> str:
    """Regex for an ARN pattern: ``*``/``?`` stay inside their part in parts 1-5."""
    tokens: list[Token] = []
    colons = 0
    for text, is_wildcard_text in parts:
        if not is_wildcard_text:
            tokens.append(("lit", re.escape(text)))
            continue
        for char in text:
            if char == ":" and colons < 5:
                colons += 1
                tokens.append(("sep", ":"))
            elif char in "*?":
                star, one = (".", ".") if colons >= 5 else ("[^:]", "[^:]")
                tokens += _glob_tokens(char, star, one)
            else:
                tokens.append(("lit", re.escape(char)))
    return "(?s:" + _emit(_dedupe_stars(tokens)) + r")\Z"


def _dedupe_stars(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        if token[0] == "star" and out and out[-1] == token:
            continue
        out.append(token)
    return out


# -- StringLike ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobPattern:
    """A ``StringLike`` value: case-sensitive glob over the whole string, variables escaped."""

    template: Template
    _static: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        static = None
        if not self.template.has_variables:
            static = _compiled(_glob_parts_regex((p.text, isinstance(p, Text)) for p in self.template.parts), 0)  # type: ignore[union-attr]
        object.__setattr__(self, "_static", static)

    def resolve(self, lookup: Lookup) -> re.Pattern[str] | None:
        if self._static is not None:
            return self._static
        resolved = self.template.resolve(lookup)
        return None if resolved is None else _compiled(_glob_parts_regex(resolved), 0)


def _glob_parts_regex(parts: Iterable[tuple[str, bool]]) -> str:
    tokens: list[Token] = []
    for text, wild in parts:
        tokens += _glob_tokens(text, ".", ".") if wild else [("lit", re.escape(text))]
    return "(?s:" + _emit(_dedupe_stars(tokens)) + r")\Z"


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Match one glob (no variables) against a whole value; a helper for tools and tests."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return _compiled(glob_regex(pattern) + r"\Z", flags).match(value) is not None


__all__ = [
    "ActionMatcher",
    "ArnPattern",
    "GlobPattern",
    "Literal",
    "Variable",
    "glob_match",
    "glob_regex",
    "variable_value",
]
