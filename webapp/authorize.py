"""One authorization step for every signed request of the local stack (DynamoDB and IAM).

A request signed by an assumed-role session is decided against the role's identity policies and
the session's policies, with the principal's keys and the request's global keys as condition
context (IAM UG, *Policy evaluation logic*; *Session policies*; *AWS global condition context
keys*). The DynamoDB gateway and the IAM endpoint both come here, so the policies are assembled
in one place (``Authorizer.session_policies`` is the only code that builds a session's policies)
and every decision leaves the same typed audit record (``webapp.audit.AuditEntry``).

STS decides ``AssumeRoleWithWebIdentity`` against a role's trust policy instead
(``iam_policies.evaluate.evaluate_trust``, in ``webapp.sts.assume``), and writes the same record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from iam_policies.authorization import Authorization, ContextValue
from iam_policies.decision import Decision
from iam_policies.evaluate import evaluate
from iam_policies.policy import Policy, PolicyType
from webapp.audit import Audit, AuditEntry, Outcome, now_iso
from webapp.credentials import Principal


class PolicyStore(Protocol):
    """What authorization reads of the IAM registry (``webapp.iam.registry.IamRegistry``)."""

    def identity_policies(self, role_arn: str) -> tuple[Policy, ...]: ...

    def managed_policy(self, arn: str) -> Policy | None: ...


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the audit record says about the request itself."""

    service: str
    operation: str
    request_id: str
    #: Epoch seconds, from the service's clock.
    time: float
    source_ip: str | None


@dataclass(frozen=True, slots=True)
class Authorized:
    """The decision and the audit record made from it."""

    decision: Decision
    entry: AuditEntry

    @property
    def allowed(self) -> bool:
        return self.decision.allowed


def request_keys(*, source_ip: str, now: float, secure: bool, region: str) -> dict[str, ContextValue]:
    """Request-level global condition keys (IAM UG, "AWS global condition context keys")."""
    second = int(now)
    return {
        "aws:SourceIp": source_ip,
        "aws:CurrentTime": _current_time(second),
        "aws:EpochTime": second,
        "aws:SecureTransport": secure,
        "aws:RequestedRegion": region,
    }


@lru_cache(maxsize=64)
def _current_time(second: int) -> str:
    """``aws:CurrentTime`` of a second (ISO 8601, whole seconds): formatted once per second."""
    return dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Authorizer:
    """Decides requests of assumed-role sessions against the registry's policies.

    Decisions are remembered (``DecisionCache``): a repeated request - the same policies, the
    same principal and request keys, the same authorizations with the same contexts - is given
    the decision ``evaluate`` gave the first time, and the audit fields made from it.
    """

    def __init__(self, policies: PolicyStore, *, cache_size: int = 4096) -> None:
        self.policies = policies
        #: Inline session policies, parsed once per distinct text (a session's requests share it).
        self._session_policy = lru_cache(maxsize=256)(_parse_session_policy)
        self.decisions = DecisionCache(cache_size)

    def session_policies(self, principal: Principal) -> tuple[Policy, ...] | None:
        """A session's policies: its inline ``Policy`` and the managed ``PolicyArns`` it was given.

        ``None`` when it was given none, which is not "deny everything": without session policies
        the role's policies alone apply (IAM UG, "Session policies"). An ARN no longer present is
        left out, so the intersection it took part in only narrows.
        """
        if principal.session_policy is None and not principal.session_policy_arns:
            return None
        policies: list[Policy] = []
        if principal.session_policy is not None:
            policies.append(self._session_policy(principal.session_policy))
        for arn in principal.session_policy_arns:
            policy = self.policies.managed_policy(arn)
            if policy is not None:
                policies.append(policy)
        return tuple(policies)

    def authorize(self, principal: Principal, authorizations: Sequence[Authorization],
                  keys: Mapping[str, ContextValue], request: RequestFacts) -> Authorized:
        """Evaluate ``authorizations`` for ``principal``; ``keys`` are the request's global keys."""
        identity = self.policies.identity_policies(principal.role_arn)
        session = self.session_policies(principal)
        decision, outcome = self.decisions.decide(authorizations, identity, session, principal.variables, keys)
        entry = AuditEntry.decided(
            outcome, time=now_iso(request.time), request_id=request.request_id,
            service=request.service, operation=request.operation, principal=principal.arn,
            subject=principal.web_identity_subject, source_ip=request.source_ip,
        )
        return Authorized(decision, entry)


class DecisionCache:
    """``evaluate``'s decisions (and their audit ``Outcome``), remembered by everything they
    are made of, so that only a request equal in every input is answered from it.

    The key is complete: the policies by identity (the registry hands out one compiled tuple per
    role until the role or a policy attached to it changes, and then a new one; a managed policy
    likewise; each entry holds the objects it was decided with, so an identity cannot be reused
    while the entry lives), every principal variable and request key in order with its type
    (``True`` is not ``1``; the time keys change every second, so at most a second's requests
    share a decision), and each authorization's action, resource and context. A value that cannot
    be frozen (anything but text, numbers, booleans and sequences of text) is decided afresh.
    Expired credentials never get here: the SigV4 step refuses them before authorization.

    Profiled on GetItem (``benchmarks/request_cpu.py``), evaluating and building the audit
    fields took about as long as SigV4 verification; a hit costs the freezing of the key.
    Bounded: when full it starts again (the time keys make old entries useless anyway).
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[tuple[Policy, ...], tuple[Policy, ...] | None, Decision, Outcome]] = {}
        self._principals: dict[int, tuple[Mapping[str, ContextValue], tuple[tuple[str, type, object], ...]]] = {}
        self.hits = self.misses = 0

    def decide(self, authorizations: Sequence[Authorization], identity: tuple[Policy, ...],
               session: tuple[Policy, ...] | None, principal: Mapping[str, ContextValue],
               keys: Mapping[str, ContextValue]) -> tuple[Decision, Outcome]:
        """``evaluate``'s decision with ``principal``'s variables and then the request's ``keys``
        as variables (a key of both takes the request's value)."""
        try:
            key: Hashable | None = (
                tuple(map(id, identity)), None if session is None else tuple(map(id, session)),
                self._frozen_principal(principal), _freeze(keys),
                tuple((a.action, a.resource, _freeze(a.context)) for a in authorizations),
            )
        except _Unfrozen:
            key = None
        if key is not None:
            found = self._entries.get(key)
            if found is not None and _same(found[0], identity) and _same(found[1], session):
                self.hits += 1
                return found[2], found[3]
        self.misses += 1
        decision = evaluate(authorizations, identity=identity, session=session, variables={**principal, **keys})
        outcome = Outcome.of(decision)
        if key is not None:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (identity, session, decision, outcome)
        return decision, outcome

    def _frozen_principal(self, variables: Mapping[str, ContextValue]) -> tuple[tuple[str, type, object], ...]:
        """``_freeze`` of a principal's variables, made once per principal: the gateway keeps one
        ``Principal`` (frozen, its variables never changed after minting) per session."""
        found = self._principals.get(id(variables))
        if found is not None and found[0] is variables:
            return found[1]
        frozen = _freeze(variables)
        if len(self._principals) >= self.size:
            self._principals.clear()
        self._principals[id(variables)] = (variables, frozen)
        return frozen

    def __len__(self) -> int:
        return len(self._entries)


class _Unfrozen(Exception):
    """A context value the cache does not key on."""


def _freeze(values: Mapping[str, object]) -> tuple[tuple[str, type, object], ...]:
    """Names, types and values in order; a list and a tuple of text are the same value to the
    evaluator (and to the audit entry), so both become a tuple."""
    out: list[tuple[str, type, object]] = []
    for name, value in values.items():
        kind = type(value)
        if isinstance(value, (list, tuple)) and (kind is list or kind is tuple):
            items: tuple[object, ...] = tuple(value)
            if not all(type(item) is str for item in items):
                raise _Unfrozen(name)
            out.append((name, tuple, items))
        elif kind is str or kind is bool or kind is int or kind is float:
            out.append((name, kind, value))
        else:
            raise _Unfrozen(name)
    return tuple(out)


def _same(kept: tuple[Policy, ...] | None, given: tuple[Policy, ...] | None) -> bool:
    if kept is None or given is None:
        return kept is given
    return len(kept) == len(given) and all(a is b for a, b in zip(kept, given, strict=True))


def _parse_session_policy(text: str) -> Policy:
    return Policy.parse(text, kind=PolicyType.SESSION)


def record(audit: Audit | None, entry: AuditEntry, log: logging.Logger) -> None:
    """Write ``entry`` to the audit log, if there is one (the DynamoDB and S3 endpoints). A failed
    write (a full disk) is logged on the endpoint's ``log`` with the request id; the answer stays
    what the decision made it."""
    if audit is None:
        return
    try:
        audit(entry)
    except OSError:
        log.exception("could not write the audit log for request %s", entry.request_id)
