"""The Condition element: one operator table, compiled once per policy.

Sources: IAM User Guide *Condition operators* (S11), *Condition* element (S13), *Conditions with
multiple context keys or values* (S12); spec ``fgac-semantics.md`` C.4-C.6 and G-11.

- Operators of one block, and keys under one operator, are AND'ed; the values of one key are
  OR'ed, and NOR'ed for a negated operator (true only if the request value equals none).
- Key names are case-insensitive. A key absent from the request makes a positive operator false
  and a negated one true, except for ``...IfExists`` (true when absent), ``Null``, and the set
  operators: ``ForAllValues:`` is true on an absent key or an empty set, ``ForAnyValue:`` false.
- ``ForAllValues:op``: every request value satisfies ``op`` against some policy value (for a
  negated ``op``: against none). ``ForAnyValue:op``: some request value does.
- A multivalued key under a plain operator: "any value matches" (G-11).
- An empty multivalued key counts as absent everywhere, ``Null`` included (G-5: S12 calls an
  empty set a "null data set"; reading it as absent is also the fail-closed choice for the
  ``"Null": {"dynamodb:LeadingKeys": "false"}`` guard).
- ``...IfExists`` with a set operator: an absent key makes it true (G-11, undocumented).
- Operator names are matched exactly as AWS spells them (``StringEquals``); values of Numeric,
  Date, IP, Binary, Bool and Null operators must parse, or the policy is malformed.
- A policy variable that resolves to nothing (null) never matches a value; under a negated
  operator it therefore leaves the condition true (S14).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from iam_policies.errors import MalformedPolicyDocument
from iam_policies.matching import ArnPattern, GlobPattern
from iam_policies.variables import Lookup, Template, Variable, parse_template, scalar_text

FOR_ALL = "ForAllValues"
FOR_ANY = "ForAnyValue"
IP_NETWORK = ipaddress.IPv4Network | ipaddress.IPv6Network


class _BadValue(ValueError):
    """A policy value the operator cannot read (turned into MalformedPolicyDocument)."""


# -- value readers: policy text -> comparable, request value -> comparable (None = not comparable) --


def _decimal(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError) as exc:
        raise _BadValue(f"not a number: {text!r}") from exc
    if not number.is_finite():
        raise _BadValue(f"not a number: {text!r}")
    return number


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")
_YEAR = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _date(text: str) -> float:
    """ISO 8601 (W3C profile) or epoch seconds, as a UTC POSIX timestamp (S11 Date operators)."""
    value = text.strip()
    if _EPOCH.match(value):
        return float(value)
    year = _YEAR.match(value)
    try:
        if year:
            moment = datetime(int(year.group(1)), int(year.group(2) or 1), 1)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _BadValue(f"not an ISO 8601 date or epoch seconds: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _bool_text(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise _BadValue(f"not true or false: {text!r}")
    return lowered


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _BadValue(f"not base64: {text!r}") from exc


def _network(text: str) -> IP_NETWORK:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise _BadValue(f"not an IP address or CIDR block: {text!r}") from exc


def _request_text(value: Any) -> str | None:
    if isinstance(value, (str, bool, int, float)):
        return scalar_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None


def _request(reader: Callable[[str], Any]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        text = _request_text(value)
        if text is None:
            return None
        try:
            return reader(text)
        except _BadValue:
            return None

    return read


def _request_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value.encode("utf-8")
    return None


def _request_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = _request_text(value)
    if text is None:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _ip_in(address: Any, network: Any) -> bool:
    return bool(address.version == network.version and address in network)


# -- the operator table ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operator:
    """One base operator: how to read policy and request values and how to compare them.

    ``kind`` says how policy values are prepared: ``text`` (variables substituted, compared as
    strings), ``glob`` (StringLike), ``arn`` (ArnLike), or ``parsed`` (``policy`` reads the text;
    no variables).
    """

    name: str
    kind: str
    negated: bool
    test: Callable[[Any, Any], bool]
    request: Callable[[Any], Any]
    policy: Callable[[str], Any] = str


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _fullmatch(request: Any, pattern: Any) -> bool:
    return pattern.match(request) is not None


def _casefold(value: Any) -> str | None:
    text = _request_text(value)
    return None if text is None else text.casefold()


def _build_table() -> dict[str, Operator]:
    ops: list[Operator] = [
        Operator("StringEquals", "text", False, _eq, _request_text),
        Operator("StringNotEquals", "text", True, _eq, _request_text),
        Operator("StringEqualsIgnoreCase", "text_ci", False, _eq, _casefold),
        Operator("StringNotEqualsIgnoreCase", "text_ci", True, _eq, _casefold),
        Operator("StringLike", "glob", False, _fullmatch, _request_text),
        Operator("StringNotLike", "glob", True, _fullmatch, _request_text),
        Operator("Bool", "bool", False, _eq, _casefold, _bool_text),
        Operator("BinaryEquals", "parsed", False, _eq, _request_bytes, _base64),
        Operator("IpAddress", "parsed", False, _ip_in, _request_ip, _network),
        Operator("NotIpAddress", "parsed", True, _ip_in, _request_ip, _network),
        Operator("ArnEquals", "arn", False, _fullmatch, _request_text),
        Operator("ArnLike", "arn", False, _fullmatch, _request_text),
        Operator("ArnNotEquals", "arn", True, _fullmatch, _request_text),
        Operator("ArnNotLike", "arn", True, _fullmatch, _request_text),
    ]
    for family, reader in (("Numeric", _decimal), ("Date", _date)):
        read_request = _request(reader)
        ops += [
            Operator(f"{family}Equals", "parsed", False, _eq, read_request, reader),
            Operator(f"{family}NotEquals", "parsed", True, _eq, read_request, reader),
            Operator(f"{family}LessThan", "parsed", False, _lt, read_request, reader),
            Operator(f"{family}LessThanEquals", "parsed", False, _le, read_request, reader),
            Operator(f"{family}GreaterThan", "parsed", False, _gt, read_request, reader),
            Operator(f"{family}GreaterThanEquals", "parsed", False, _ge, read_request, reader),
        ]
    return {op.name: op for op in ops}


OPERATORS: Mapping[str, Operator] = _build_table()
NULL = "Null"


# -- compiled policy values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Static:
    value: Any

    def resolve(self, lookup: Lookup) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _Text:
    template: Template
    fold: bool

    def resolve(self, lookup: Lookup) -> Any:
        text = self.template.render(lookup)
        if text is None:
            return None
        return text.casefold() if self.fold else text


@dataclass(frozen=True, slots=True)
class _Glob:
    pattern: GlobPattern

    def resolve(self, lookup: Lookup) -> Any:
        return self.pattern.resolve(lookup)


@dataclass(frozen=True, slots=True)
class _Arn:
    pattern: ArnPattern

    def resolve(self, lookup: Lookup) -> Any:
        return self.pattern.resolve(lookup)

_PolicyValue = _Static | _Text | _Glob | _Arn


def _prepare(op: Operator, text: str, substitute: bool) -> _PolicyValue:
    # A template without variables may still hold the escapes ${*}, ${?}, ${$} (S14): the static
    # value is the rendered text, never the source.
    if op.kind == "text":
        template = parse_template(text, substitute=substitute)
        return _Static(_static_text(template)) if not template.has_variables else _Text(template, False)
    if op.kind == "text_ci":
        template = parse_template(text, substitute=substitute)
        return _Static(_static_text(template).casefold()) if not template.has_variables else _Text(template, True)
    if op.kind == "bool":
        template = parse_template(text, substitute=substitute)
        if template.has_variables:  # G-10: variables allowed with Bool
            return _Text(template, True)
        return _Static(_bool_text(_static_text(template)))
    if op.kind == "glob":
        glob = GlobPattern(parse_template(text, substitute=substitute))
        static = glob.resolve(lambda _: None) if not glob.template.has_variables else None
        return _Static(static) if static is not None else _Glob(glob)
    if op.kind == "arn":
        arn = ArnPattern.parse(text, substitute=substitute, variables_anywhere=True)
        return _Arn(arn)
    return _Static(op.policy(text))


def _static_text(template: Template) -> str:
    """The text of a template that has no variables (escapes rendered)."""
    return "".join(part.text for part in template.parts if not isinstance(part, Variable))


# -- conditions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One ``operator: {key: values}`` test of a statement's Condition block."""

    operator: str
    key: str
    values: tuple[str, ...]
    base: str
    set_operator: str | None
    if_exists: bool
    _name: str
    _op: Operator | None
    _values: tuple[Any, ...]

    def evaluate(self, lookup: Lookup) -> bool:
        raw = lookup(self._name)
        absent = raw is None or (isinstance(raw, (list, tuple)) and len(raw) == 0)
        op = self._op
        if op is None:  # Null: "true" means the key is absent, "false" that it is present.
            return any(expected == absent for expected in self._values)
        if absent:
            if self.set_operator == FOR_ALL or self.if_exists:
                return True
            if self.set_operator == FOR_ANY:
                return False
            return op.negated
        policy_values = [value.resolve(lookup) for value in self._values]
        request_values = raw if isinstance(raw, (list, tuple)) else (raw,)
        test, read, negated = op.test, op.request, op.negated

        def satisfied(value: Any) -> bool:
            comparable = read(value)
            hit = comparable is not None and any(p is not None and test(comparable, p) for p in policy_values)
            return not hit if negated else hit

        if self.set_operator == FOR_ALL:
            return all(satisfied(value) for value in request_values)
        return any(satisfied(value) for value in request_values)

    def explain(self, lookup: Lookup) -> str:
        """Why the condition is false here: the test, and the request values that fail it."""
        raw = lookup(self._name)
        if raw is None or (isinstance(raw, (list, tuple)) and not raw):
            return f"{self.describe()}: the key is absent"
        if self._op is None:
            return f"{self.describe()}: the key is present"
        values = raw if isinstance(raw, (list, tuple)) else (raw,)
        if self.set_operator == FOR_ALL:
            failing = [v for v in values if not self.value_holds(v, lookup)]
            return f"{self.describe()}: fails for " + ", ".join(_shown(v) for v in failing)
        return f"{self.describe()}: the request has " + ", ".join(_shown(v) for v in values)

    def value_holds(self, value: Any, lookup: Lookup) -> bool:
        """The per-value test: one request value against the policy values (NOR if negated)."""
        op = self._op
        if op is None:
            return False
        comparable = op.request(value)
        policy_values = [v.resolve(lookup) for v in self._values]
        hit = comparable is not None and any(p is not None and op.test(comparable, p) for p in policy_values)
        return not hit if op.negated else hit

    def describe(self) -> str:
        shown = self.values[0] if len(self.values) == 1 else list(self.values)
        return f"{self.operator} {self.key} {shown!r}".replace("'", '"')


def _shown(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, bool, int, float)) else repr(value)


def compile_block(block: Any, *, substitute: bool, path: str) -> tuple[Condition, ...]:
    """Compile a Condition element; raise MalformedPolicyDocument naming the JSON path."""
    if not isinstance(block, Mapping):
        raise MalformedPolicyDocument("Condition must be an object of operators", path)
    conditions: list[Condition] = []
    for operator, keys in block.items():
        op_path = f"{path}.{operator}"
        if not isinstance(operator, str):
            raise MalformedPolicyDocument("Condition operator must be a string", path)
        base, set_operator, if_exists = parse_operator(operator, op_path)
        if not isinstance(keys, Mapping) or not keys:
            raise MalformedPolicyDocument(f"{operator} must map condition keys to values", op_path)
        for key, raw_values in keys.items():
            key_path = f"{op_path}.{key}"
            if not isinstance(key, str) or not key.strip():
                raise MalformedPolicyDocument("Condition key must be a non-empty string", op_path)
            values = _condition_values(raw_values, key_path)
            conditions.append(_compile_one(operator, base, set_operator, if_exists, key, values, substitute, key_path))
    return tuple(conditions)


def parse_operator(operator: str, path: str) -> tuple[str, str | None, bool]:
    """``ForAllValues:StringEqualsIfExists`` -> ``("StringEquals", "ForAllValues", True)``."""
    base, set_operator = operator, None
    for prefix in (FOR_ALL, FOR_ANY):
        if operator.startswith(prefix + ":"):
            base, set_operator = operator[len(prefix) + 1 :], prefix
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base == NULL:
        if if_exists or set_operator:
            raise MalformedPolicyDocument(f"Invalid Condition type : {operator}", path)
        return base, None, False
    if base not in OPERATORS:
        raise MalformedPolicyDocument(f"Invalid Condition type : {operator}", path)
    return base, set_operator, if_exists


def _condition_values(raw: Any, path: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise MalformedPolicyDocument("Condition value list must not be empty", path)
    values: list[str] = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if isinstance(raw, list) else path
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            values.append(repr(item) if isinstance(item, float) else str(item))
        elif isinstance(item, str):
            values.append(item)
        else:
            raise MalformedPolicyDocument(
                "Condition values must be strings, numbers or booleans (or a list of them)", item_path
            )
    return tuple(values)


def _compile_one(
    operator: str,
    base: str,
    set_operator: str | None,
    if_exists: bool,
    key: str,
    values: tuple[str, ...],
    substitute: bool,
    path: str,
) -> Condition:
    if base == NULL:
        try:
            flags = tuple(_bool_text(value) == "true" for value in values)
        except _BadValue as exc:
            raise MalformedPolicyDocument(f"Null takes true or false ({exc})", path) from exc
        return Condition(operator, key, values, base, None, False, key.lower(), None, flags)
    op = OPERATORS[base]
    try:
        prepared = tuple(_prepare(op, value, substitute) for value in values)
    except _BadValue as exc:
        raise MalformedPolicyDocument(f"Invalid value for {operator}: {exc}", path) from exc
    return Condition(operator, key, values, base, set_operator, if_exists, key.lower(), op, prepared)
