"""The policy model: parse and validate a policy document once, into an immutable compiled Policy.

Validation follows what IAM rejects with ``MalformedPolicyDocument`` (IAM User Guide, *IAM JSON
policy grammar* and *IAM JSON policy elements*, S16; character rule from the DynamoDB guide S1;
quotas from *IAM and AWS STS quotas*): every error names the JSON path of the element at fault
(``$.Statement[1].Effect``) and a reason a person can act on. Nothing else is raised, whatever the
input.

Size limits count characters without white space (IAM "doesn't count white space"):

- identity (managed) policy 6,144; inline role policy 10,240 (pass ``max_size``);
- session policy 2,048 (AssumeRoleWithWebIdentity ``Policy``);
- role trust policy 2,048 (the default quota);
- resource-based DynamoDB policy 20,480 (20 KB).

The compiled form (actions, resources and conditions as regexes and templates) is built here, so
evaluation does no parsing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from iam_policies.conditions import Condition, compile_block
from iam_policies.errors import MalformedPolicyDocument
from iam_policies.matching import ActionMatcher, ArnPattern
from iam_policies.variables import Lookup


class PolicyType(StrEnum):
    """The policy types IAM evaluates (IAM UG, *Policy evaluation logic*); a refusal names the
    type that refused ("... because no session policy allows ...")."""

    IDENTITY = "identity"
    SESSION = "session"
    TRUST = "trust"
    RESOURCE = "resource"


class StatementEffect(StrEnum):
    """A statement's ``Effect`` element (IAM UG, *IAM JSON policy elements: Effect*)."""

    ALLOW = "Allow"
    DENY = "Deny"


KINDS: tuple[str, ...] = tuple(PolicyType)
VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"

MANAGED_POLICY_MAX_SIZE = 6144
INLINE_ROLE_POLICY_MAX_SIZE = 10240
SESSION_POLICY_MAX_SIZE = 2048
TRUST_POLICY_MAX_SIZE = 2048
RESOURCE_POLICY_MAX_SIZE = 20480
DEFAULT_MAX_SIZE: Mapping[str, int] = {
    "identity": MANAGED_POLICY_MAX_SIZE,
    "session": SESSION_POLICY_MAX_SIZE,
    "trust": TRUST_POLICY_MAX_SIZE,
    "resource": RESOURCE_POLICY_MAX_SIZE,
}

TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_ELEMENTS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")

_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$")
_IAM_SID = re.compile(r"^[0-9A-Za-z]*$")
_ALLOWED_CHAR = re.compile(r"[^\t\n\r\u0020-\u00ff]")
_WHITESPACE = re.compile(r"\s+")

#: A principal: ``{"Federated": ("accounts.google.com",)}``; ``{"*": ("*",)}`` for ``"*"``.
Principal = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Statement:
    """One compiled statement. ``index`` is its position (0-based) in the policy."""

    index: int
    effect: StatementEffect
    sid: str | None = None
    actions: tuple[str, ...] = ()
    not_action: bool = False
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    principal: Principal | None = None
    not_principal: Principal | None = None
    conditions: tuple[Condition, ...] = ()
    _actions: ActionMatcher = field(default=ActionMatcher(()), repr=False, compare=False)
    _resources: tuple[ArnPattern, ...] = field(default=(), repr=False, compare=False)
    #: Resource or Principal must be checked per request (resource variables, principals).
    _dynamic: bool = field(default=False, repr=False, compare=False)

    def __hash__(self) -> int:  # the principal mappings are not hashable; equal statements hash alike
        return hash((self.index, self.effect, self.sid, self.actions, self.resources, self.conditions))

    @property
    def label(self) -> str:
        """The Sid, or ``#<index>`` for a statement without one."""
        return self.sid if self.sid else f"#{self.index}"

    def applies(self, action: str, resource: str, lookup: Lookup, principal: Principal | None = None) -> bool:
        """Does this statement match? ``action`` lower-cased; conditions evaluated last."""
        return self.targets(action, resource, lookup, principal) and self.conditions_hold(lookup)

    def conditions_hold(self, lookup: Lookup) -> bool:
        return all(condition.evaluate(lookup) for condition in self.conditions)

    def targets(self, action: str, resource: str, lookup: Lookup, principal: Principal | None = None) -> bool:
        """Do Action, Resource and Principal match (conditions aside)? ``action`` lower-cased."""
        if self._actions.matches(action) is self.not_action:
            return False
        return self.targets_resource(resource, lookup, principal)

    def targets_resource(self, resource: str, lookup: Lookup, principal: Principal | None = None) -> bool:
        """Resource and Principal (the action already known to match)."""
        return self.covers_resource(resource, lookup) and self.names_principal(principal)

    def covers_resource(self, resource: str, lookup: Lookup) -> bool:
        """Resource/NotResource match (a statement without either covers every resource)."""
        if self.resources is None:
            return True
        hit = any(pattern.matches(resource, lookup) for pattern in self._resources)
        return hit is not self.not_resource

    def names_principal(self, principal: Principal | None) -> bool:
        """Principal/NotPrincipal match (identity-policy statements have neither)."""
        if self.principal is not None and not _principal_matches(self.principal, principal):
            return False
        return self.not_principal is None or not _principal_matches(self.not_principal, principal)

    def failed_conditions(self, lookup: Lookup) -> tuple[Condition, ...]:
        """The conditions that are false in this context (for explanations)."""
        return tuple(condition for condition in self.conditions if not condition.evaluate(lookup))


@dataclass(frozen=True)
class Policy:
    """A validated, compiled policy document."""

    kind: PolicyType
    version: str
    statements: tuple[Statement, ...]
    id: str | None = None
    name: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_target: dict[tuple[str, str], tuple[tuple[Statement, bool], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def substitutes_variables(self) -> bool:
        return self.version == VERSION_2012

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers ``action`` (lower-cased), memoised.

        Actions are a small closed set, so after warm-up evaluation skips the statements that
        cannot apply without matching them again.
        """
        found = self._by_action.get(action)
        if found is None:
            found = tuple(s for s in self.statements if s._actions.matches(action) is not s.not_action)
            if len(self._by_action) >= 1024:
                self._by_action.clear()
            self._by_action[action] = found
        return found

    def candidates(self, action: str, resource: str) -> tuple[tuple[Statement, bool], ...]:
        """Statements that may apply to ``action`` on ``resource``, memoised per pair.

        Each comes with ``True`` when its Resource (or Principal) still has to be checked per
        request (policy variables in the resource part, or a Principal element); the others are
        already known to target this action and resource.
        """
        key = (action, resource)
        found = self._by_target.get(key)
        if found is None:
            no_vars: Lookup = _no_variables
            found = tuple(
                (s, s._dynamic)
                for s in self.statements_for(action)
                if s._dynamic or s.targets_resource(resource, no_vars)
            )
            if len(self._by_target) >= 4096:
                self._by_target.clear()
            self._by_target[key] = found
        return found

    @classmethod
    def parse(
        cls,
        document: str | bytes | Mapping[str, Any],
        *,
        kind: str = "identity",
        max_size: int | None = None,
        name: str | None = None,
    ) -> Policy:
        """Parse ``document`` (JSON text or an already-decoded mapping) as a policy of ``kind``.

        Raises ``MalformedPolicyDocument(reason, path)``; never anything else.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        try:
            return _parse(document, kind, max_size if max_size is not None else DEFAULT_MAX_SIZE[kind], name)
        except MalformedPolicyDocument:
            raise
        except RecursionError:
            raise MalformedPolicyDocument("Syntax errors in policy: nesting is too deep", "$") from None
        except Exception as exc:  # noqa: BLE001 - the promise is: no traceback on any input
            raise MalformedPolicyDocument(f"Syntax errors in policy: {type(exc).__name__}", "$") from None


# -- parsing ---------------------------------------------------------------------------------------


class _Object(dict[str, Any]):
    """A JSON object that remembers keys it saw twice (``json.loads`` keeps only the last)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    duplicates: list[str] = []
    for key, value in pairs:
        if key in obj:
            duplicates.append(key)
        obj[key] = value
    obj.duplicates = tuple(duplicates)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse(document: str | bytes | Mapping[str, Any], kind: str, max_size: int, name: str | None) -> Policy:
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPolicyDocument("Policy document is not UTF-8 text", "$") from None
    if isinstance(document, str):
        text = document
        _check_size(text, max_size)
        try:
            tree = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
        except (ValueError, TypeError) as exc:
            bad = _ALLOWED_CHAR.search(text)
            if bad:
                raise _bad_character(bad.group(0), "$", bad.start()) from None
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise MalformedPolicyDocument(f"Syntax errors in policy: not valid JSON{where}", "$") from None
    elif isinstance(document, Mapping):
        tree = document
        try:
            compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise MalformedPolicyDocument(f"Policy document is not JSON data: {exc}", "$") from None
        _check_size(compact, max_size)
    else:
        raise MalformedPolicyDocument("Policy document must be a JSON object", "$")
    _check_tree(tree, "$")
    if not isinstance(tree, Mapping):
        raise MalformedPolicyDocument("Policy document must be a JSON object", "$")
    return _policy(tree, kind, name)


def _check_size(text: str, max_size: int) -> None:
    size = len(_WHITESPACE.sub("", text))
    if size > max_size:
        raise MalformedPolicyDocument(
            f"Cannot exceed quota for PolicySize: {max_size} (this document has {size} characters without white space)",
            "$",
        )


def _bad_character(char: str, path: str, offset: int | None = None) -> MalformedPolicyDocument:
    where = f" at offset {offset}" if offset is not None else ""
    return MalformedPolicyDocument(
        f"Policy document may contain only TAB, LF, CR and U+0020-U+00FF; found U+{ord(char):04X}{where}", path
    )


def _check_tree(node: Any, path: str) -> None:
    """JSON types only, no duplicate keys, and the character rule on every key and string."""
    if isinstance(node, str):
        bad = _ALLOWED_CHAR.search(node)
        if bad:
            raise _bad_character(bad.group(0), path)
    elif isinstance(node, Mapping):
        duplicates = getattr(node, "duplicates", ())
        if duplicates:
            raise MalformedPolicyDocument(f"Duplicate key {duplicates[0]!r} in one object", f"{path}.{duplicates[0]}")
        for key, value in node.items():
            if not isinstance(key, str):
                raise MalformedPolicyDocument("Object keys must be strings", path)
            child = f"{path}.{key}"
            bad = _ALLOWED_CHAR.search(key)
            if bad:
                raise _bad_character(bad.group(0), child)
            _check_tree(value, child)
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            _check_tree(item, f"{path}[{index}]")
    elif isinstance(node, float):
        if not math.isfinite(node):
            raise MalformedPolicyDocument("Numbers must be finite", path)
    elif node is not None and not isinstance(node, (bool, int)):
        raise MalformedPolicyDocument(f"Not a JSON value: {type(node).__name__}", path)


def _policy(tree: Mapping[str, Any], kind: str, name: str | None) -> Policy:
    for key in tree:
        if key not in TOP_LEVEL:
            raise MalformedPolicyDocument(f"Unknown top-level element {key!r} (expected Version, Id, Statement)", f"$.{key}")
    version = tree.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        raise MalformedPolicyDocument(f"Version must be {VERSION_2012!r} or {VERSION_2008!r}", "$.Version")
    policy_id = tree.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicyDocument("Id must be a string", "$.Id")
    if "Statement" not in tree:
        raise MalformedPolicyDocument("Missing required field Statement", "$")
    raw = tree["Statement"]
    if isinstance(raw, Mapping):
        entries: Sequence[Any] = [raw]
        paths = ["$.Statement"]
    elif isinstance(raw, (list, tuple)):
        entries = raw
        paths = [f"$.Statement[{index}]" for index in range(len(raw))]
    else:
        raise MalformedPolicyDocument("Statement must be an object or a list of objects", "$.Statement")
    substitute = version == VERSION_2012
    statements = tuple(_statement(entry, index, path, kind, substitute) for index, (entry, path) in enumerate(zip(entries, paths, strict=True)))
    seen: dict[str, str] = {}
    for statement, path in zip(statements, paths, strict=True):
        if statement.sid:
            if statement.sid in seen:
                raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique", f"{path}.Sid")
            seen[statement.sid] = path
    return Policy(PolicyType(kind), version, statements, policy_id, name, tree)


def _statement(entry: Any, index: int, path: str, kind: str, substitute: bool) -> Statement:
    if not isinstance(entry, Mapping):
        raise MalformedPolicyDocument("Statement must be an object", path)
    for key in entry:
        if key not in STATEMENT_ELEMENTS:
            raise MalformedPolicyDocument(f"Unknown statement element {key!r}", f"{path}.{key}")

    sid = entry.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise MalformedPolicyDocument("Sid must be a string", f"{path}.Sid")
        if kind != "resource" and not _IAM_SID.match(sid):
            raise MalformedPolicyDocument(
                "Statement IDs (SID) must be alphanumeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
                f"{path}.Sid",
            )

    if "Effect" not in entry:
        raise MalformedPolicyDocument("Missing required field Effect", path)
    effect = entry["Effect"]
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid effect: {effect!r} (must be Allow or Deny)", f"{path}.Effect")

    actions, not_action = _pair(entry, "Action", "NotAction", path, required=True)
    assert actions is not None
    for number, action in enumerate(actions):
        if action != "*" and not _ACTION.match(action):
            where = f"{path}.{'NotAction' if not_action else 'Action'}"
            if isinstance(entry.get("NotAction" if not_action else "Action"), list):
                where += f"[{number}]"
            raise MalformedPolicyDocument(
                f"Invalid action {action!r}: actions must be prefaced by a vendor, e.g. dynamodb:GetItem", where
            )

    resource_required = kind in ("identity", "session", "resource")
    if kind == "trust":
        for element in ("Resource", "NotResource"):
            if element in entry:
                raise MalformedPolicyDocument(f"Has prohibited field {element}", f"{path}.{element}")
    resources, not_resource = _pair(entry, "Resource", "NotResource", path, required=resource_required)
    patterns: tuple[ArnPattern, ...] = ()
    if resources is not None:
        element = "NotResource" if not_resource else "Resource"
        listed = isinstance(entry.get(element), list)
        for number, resource in enumerate(resources):
            if resource != "*" and (not resource.startswith("arn:") or resource.count(":") < 5):
                raise MalformedPolicyDocument(
                    f'Resource {resource} must be in ARN format or "*"', f"{path}.{element}" + (f"[{number}]" if listed else "")
                )
        patterns = tuple(ArnPattern.parse(resource, substitute=substitute) for resource in resources)

    principal = not_principal = None
    if kind in ("identity", "session"):
        for element in ("Principal", "NotPrincipal"):
            if element in entry:
                raise MalformedPolicyDocument("Policy document should not specify a principal", f"{path}.{element}")
    else:
        if "Principal" in entry and "NotPrincipal" in entry:
            raise MalformedPolicyDocument("Statement cannot contain both Principal and NotPrincipal", path)
        if "Principal" in entry:
            principal = _principal(entry["Principal"], f"{path}.Principal")
        elif "NotPrincipal" in entry:
            if kind == "trust":
                raise MalformedPolicyDocument("Has prohibited field NotPrincipal", f"{path}.NotPrincipal")
            not_principal = _principal(entry["NotPrincipal"], f"{path}.NotPrincipal")
        else:
            raise MalformedPolicyDocument("Missing required field Principal", path)

    conditions: tuple[Condition, ...] = ()
    if "Condition" in entry:
        conditions = compile_block(entry["Condition"], substitute=substitute, path=f"{path}.Condition")

    return Statement(
        index=index,
        effect=StatementEffect(effect),
        sid=sid or None,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        _actions=ActionMatcher(actions),
        _resources=patterns,
        _dynamic=principal is not None or not_principal is not None or any(p.template.has_variables for p in patterns),
    )


def _pair(entry: Mapping[str, Any], name: str, negated: str, path: str, *, required: bool) -> tuple[tuple[str, ...] | None, bool]:
    if name in entry and negated in entry:
        raise MalformedPolicyDocument(f"Statement cannot contain both {name} and {negated}", path)
    if name not in entry and negated not in entry:
        if required:
            raise MalformedPolicyDocument(f"Missing required field {name}", path)
        return None, False
    element = name if name in entry else negated
    return _strings(entry[element], f"{path}.{element}"), element == negated


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        if not value:
            raise MalformedPolicyDocument("Must not be an empty list", path)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise MalformedPolicyDocument("Must be a string", f"{path}[{index}]")
        return tuple(value)
    raise MalformedPolicyDocument("Must be a string or a list of strings", path)


def _principal(value: Any, path: str) -> Principal:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, Mapping) or not value:
        raise MalformedPolicyDocument('Principal must be "*" or an object such as {"Federated": "..."}', path)
    principal: dict[str, tuple[str, ...]] = {}
    for kind, names in value.items():
        if kind not in PRINCIPAL_TYPES:
            raise MalformedPolicyDocument(f"Invalid principal type {kind!r} (expected {', '.join(PRINCIPAL_TYPES)})", f"{path}.{kind}")
        principal[kind] = _strings(names, f"{path}.{kind}")
    return principal


def _no_variables(name: str) -> None:
    return None


def _principal_matches(pattern: Principal, principal: Principal | None) -> bool:
    if "*" in pattern:
        return True
    if principal is None:
        return False
    for kind, names in pattern.items():
        given = principal.get(kind, ())
        if "*" in names and given:
            return True
        if any(name in given for name in names):
            return True
    return False
