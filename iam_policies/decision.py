"""A decision is a value with reasons: the effect, and per authorization the statements behind it.

The AccessDeniedException text, the ``simulate`` output and the tests are all made from it.
Message format: IAM User Guide, *Troubleshoot access denied error messages* (S22; spec E.1)::

    User: <principal-arn> is not authorized to perform: <action> on resource: <resource>
    because no identity-based policy allows the <action> action
    User: ... with an explicit deny in an identity-based policy

with ``identity-based policy`` replaced by ``session policy`` or ``resource-based policy`` when
that policy type refused.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.policy import PolicyType, Statement, StatementEffect


class Effect(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class DenyType(enum.StrEnum):
    """How a request was refused: a matching Deny, or no Allow (IAM UG, *Policy evaluation logic*)."""

    EXPLICIT = "explicit"
    IMPLICIT = "implicit"


_DENY_TYPES: Mapping[Effect, DenyType] = {Effect.EXPLICIT_DENY: DenyType.EXPLICIT, Effect.IMPLICIT_DENY: DenyType.IMPLICIT}

#: How each policy type is named in AWS's AccessDenied text.
POLICY_TYPE_NAMES: Mapping[PolicyType, str] = {
    PolicyType.IDENTITY: "identity-based policy",
    PolicyType.SESSION: "session policy",
    PolicyType.RESOURCE: "resource-based policy",
    PolicyType.TRUST: "resource-based policy",
}


@dataclass(frozen=True)
class MatchedStatement:
    """A statement that applied (Action, Resource, Principal and every condition matched)."""

    kind: PolicyType
    policy_index: int
    statement: Statement
    policy_name: str | None = None

    @property
    def effect(self) -> StatementEffect:
        return self.statement.effect

    @property
    def label(self) -> str:
        """``identity[0] FullAccessToUserItems`` or ``session[0] #1``."""
        name = self.policy_name or f"{self.kind}[{self.policy_index}]"
        return f"{name} {self.statement.label}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_type": self.kind,
            "policy": self.policy_name or self.policy_index,
            "sid": self.statement.sid,
            "statement_index": self.statement.index,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class NearMiss:
    """A statement whose Action and Resource matched but whose conditions did not all hold."""

    matched: MatchedStatement
    failed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.matched.to_dict(), "failed_conditions": list(self.failed)}


@dataclass(frozen=True)
class AuthorizationResult:
    """The decision on one authorization, with the statements that made it."""

    authorization: Authorization
    effect: Effect
    matched: tuple[MatchedStatement, ...] = ()
    #: The policy type that refused, ``None`` if allowed.
    denied_by: PolicyType | None = None
    near_misses: tuple[NearMiss, ...] = field(default=(), compare=False)

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    @property
    def deny_type(self) -> DenyType | None:
        return _DENY_TYPES.get(self.effect)

    @property
    def deciding(self) -> tuple[MatchedStatement, ...]:
        """The statements that decided: the Deny ones for an explicit deny, else the Allow ones."""
        wanted = StatementEffect.DENY if self.effect is Effect.EXPLICIT_DENY else StatementEffect.ALLOW
        return tuple(m for m in self.matched if m.effect is wanted)

    def reason(self) -> str:
        """One sentence an administrator can read."""
        action = self.authorization.action
        if self.effect is Effect.ALLOW:
            return "allowed by " + ", ".join(m.label for m in self.deciding)
        policy_type = POLICY_TYPE_NAMES[self.denied_by or PolicyType.IDENTITY]
        if self.effect is Effect.EXPLICIT_DENY:
            return f"explicit deny in {_article(policy_type)} {policy_type}: " + ", ".join(m.label for m in self.deciding)
        return f"no {policy_type} allows the {action} action"

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.authorization.action,
            "resource": self.authorization.resource,
            "context": _plain(self.authorization.context),
            "decision": "Allow" if self.allowed else "Deny",
            "deny_type": self.deny_type,
            "denied_by": self.denied_by,
            "reason": self.reason(),
            "matched_statements": [m.to_dict() for m in self.matched],
            "near_misses": [n.to_dict() for n in self.near_misses],
        }


@dataclass(frozen=True)
class Decision:
    """The decision on a request: Allow only if every authorization is allowed."""

    effect: Effect
    results: tuple[AuthorizationResult, ...]

    @classmethod
    def of(cls, results: Sequence[AuthorizationResult]) -> Decision:
        """The first refused authorization decides; no authorization at all is an implicit deny."""
        results = tuple(results)
        if not results:
            return cls(Effect.IMPLICIT_DENY, results)
        refused = next((r for r in results if not r.allowed), None)
        return cls(Effect.ALLOW if refused is None else refused.effect, results)

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    @property
    def denied(self) -> AuthorizationResult | None:
        """The first refused authorization, or ``None`` when allowed."""
        return next((r for r in self.results if not r.allowed), None)

    @property
    def deny_type(self) -> DenyType | None:
        return _DENY_TYPES.get(self.effect)

    def access_denied_message(self, principal_arn: str) -> str:
        """AWS's AccessDenied text for the first refused authorization (spec E.1)."""
        refused = self.denied
        if refused is None:
            raise ValueError("the request is allowed; there is no access-denied message")
        action = refused.authorization.action
        head = f"User: {principal_arn} is not authorized to perform: {action} on resource: {refused.authorization.resource}"
        policy_type = POLICY_TYPE_NAMES[refused.denied_by or PolicyType.IDENTITY]
        if refused.effect is Effect.EXPLICIT_DENY:
            return f"{head} with an explicit deny in {_article(policy_type)} {policy_type}"
        return f"{head} because no {policy_type} allows the {action} action"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _plain(context: Mapping[str, Any]) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, (list, tuple)) else value for key, value in context.items()}
