"""Policy evaluation: AWS's documented decision steps for one request.

IAM User Guide, *Policy evaluation logic* (S15; spec C.1, C.8, C.9):

1. Every authorization of the request is decided on its own; the request is allowed only if
   all are (transactions and batches, spec A.3), and the first refused one gives the message.
2. A matching ``Deny`` in any applicable policy (identity or session) is an explicit deny.
3. Otherwise an identity-policy ``Allow`` is needed (else: implicit deny, "no identity-based
   policy allows"); with session policies the request must also be allowed by one of them
   (effective permissions are the intersection; else: "no session policy allows").
4. A role trust policy must itself allow ``sts:AssumeRoleWithWebIdentity`` for the caller's
   ``Federated`` principal (``evaluate_trust``); for Cognito the allowing statement must test
   ``cognito-identity.amazonaws.com:aud`` (STS API reference).

Condition keys are looked up case-insensitively: the request context first, then the principal
and session keys (``variables``), which are also the sources of ``${...}`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from iam_policies.authorization import Authorization, ContextValue
from iam_policies.decision import AuthorizationResult, Decision, Effect, MatchedStatement, NearMiss
from iam_policies.policy import Policy, PolicyType, Principal, StatementEffect
from iam_policies.variables import Lookup

_EMPTY: Mapping[str, ContextValue] = {}


def lower_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """Key names lower-cased once, for case-insensitive lookups."""
    return {key.lower(): value for key, value in values.items()}


def make_lookup(context: Mapping[str, Any], variables: Mapping[str, Any]) -> Lookup:
    """Case-insensitive lookup: ``context`` first, then ``variables`` (both already lower-cased)."""

    def lookup(name: str) -> ContextValue | None:
        value = context.get(name)
        if value is None:
            value = variables.get(name)
        return value

    return lookup


def evaluate(
    authorizations: Sequence[Authorization],
    *,
    identity: Sequence[Policy],
    session: Sequence[Policy] | None = None,
    variables: Mapping[str, ContextValue] = _EMPTY,
    principal: Mapping[str, Sequence[str]] | None = None,
) -> Decision:
    """Decide a request. ``session=None`` means no session policy (not "deny everything")."""
    variables_lower = lower_keys(variables)
    caller = _principal(principal)
    groups: list[tuple[PolicyType, Sequence[Policy]]] = [(PolicyType.IDENTITY, identity)]
    if session is not None:
        groups.append((PolicyType.SESSION, session))
    results = [_decide(auth, groups, variables_lower, caller) for auth in authorizations]
    return Decision.of(results)


def evaluate_trust(
    trust: Policy,
    authorization: Authorization,
    *,
    principal: Mapping[str, Sequence[str]],
) -> Decision:
    """Decide ``sts:AssumeRoleWithWebIdentity`` (or any action) against a role's trust policy.

    ``authorization.context`` holds the provider keys STS derived from the token
    (``web_identity.provider_keys``) and request keys such as ``sts:RoleSessionName``.
    """
    caller = _principal(principal)
    result = _decide(authorization, [(PolicyType.TRUST, (trust,))], {}, caller)
    if result.allowed and COGNITO in (caller or {}).get("Federated", ()):
        result = _cognito_needs_audience(result)
    return Decision.of([result])


COGNITO = "cognito-identity.amazonaws.com"
COGNITO_AUD = "cognito-identity.amazonaws.com:aud"


def _cognito_needs_audience(result: AuthorizationResult) -> AuthorizationResult:
    """STS API reference (AssumeRoleWithWebIdentity; spec D.2): a trust policy that accepts
    ``cognito-identity.amazonaws.com`` "must contain the cognito-identity.amazonaws.com:aud
    condition key". An allowing statement without it does not count."""
    allowing = [m for m in result.matched if m.effect is StatementEffect.ALLOW]
    if any(c.key.lower() == COGNITO_AUD for m in allowing for c in m.statement.conditions):
        return result
    near = tuple(NearMiss(m, (f"a Cognito trust statement must have a {COGNITO_AUD} condition",)) for m in allowing)
    return AuthorizationResult(result.authorization, Effect.IMPLICIT_DENY, result.matched, PolicyType.TRUST, near)


def _principal(principal: Mapping[str, Sequence[str]] | None) -> Principal | None:
    if principal is None:
        return None
    return {kind: tuple(names) for kind, names in principal.items()}


def _decide(
    auth: Authorization,
    groups: Sequence[tuple[PolicyType, Sequence[Policy]]],
    variables_lower: Mapping[str, Any],
    principal: Principal | None,
) -> AuthorizationResult:
    lookup = make_lookup(lower_keys(auth.context) if auth.context else {}, variables_lower)
    action = auth.action.lower()
    resource = auth.resource
    matched: list[MatchedStatement] = []
    missed: list[MatchedStatement] = []
    wrong_principal: list[MatchedStatement] = []
    deny_by: PolicyType | None = None
    allowed_by: set[PolicyType] = set()
    for group, policies in groups:
        for policy_index, policy in enumerate(policies):
            for statement, dynamic in policy.candidates(action, resource):
                if dynamic and not statement.targets_resource(resource, lookup, principal):
                    if statement.covers_resource(resource, lookup):  # for explanations: wrong principal
                        wrong_principal.append(MatchedStatement(group, policy_index, statement, policy.name))
                    continue
                match = MatchedStatement(group, policy_index, statement, policy.name)
                if statement.conditions and not statement.conditions_hold(lookup):
                    missed.append(match)
                    continue
                matched.append(match)
                if statement.effect is StatementEffect.DENY:
                    deny_by = deny_by or group
                else:
                    allowed_by.add(group)
    if deny_by is not None:
        return AuthorizationResult(auth, Effect.EXPLICIT_DENY, tuple(matched), deny_by)
    for group, _ in groups:
        if group not in allowed_by:
            near = tuple(NearMiss(m, tuple(c.explain(lookup) for c in m.statement.failed_conditions(lookup))) for m in missed)
            near += tuple(NearMiss(m, (f"Principal {_show(m.statement.principal)} does not name the caller",)) for m in wrong_principal)
            return AuthorizationResult(auth, Effect.IMPLICIT_DENY, tuple(matched), group, near)
    return AuthorizationResult(auth, Effect.ALLOW, tuple(matched), None)


def _show(principal: Principal | None) -> str:
    if not principal:
        return "{}"
    return ", ".join(f"{kind}: {' '.join(names)}" for kind, names in principal.items())
