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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from iam_policies.authorization import Authorization, ContextValue
from iam_policies.decision import Decision
from iam_policies.evaluate import evaluate
from iam_policies.policy import Policy, PolicyType
from webapp.audit import Audit, AuditEntry, now_iso
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
    return {
        "aws:SourceIp": source_ip,
        "aws:CurrentTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": int(now),
        "aws:SecureTransport": secure,
        "aws:RequestedRegion": region,
    }


class Authorizer:
    """Decides requests of assumed-role sessions against the registry's policies."""

    def __init__(self, policies: PolicyStore) -> None:
        self.policies = policies
        #: Inline session policies, parsed once per distinct text (a session's requests share it).
        self._session_policy = lru_cache(maxsize=256)(_parse_session_policy)

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
        decision = evaluate(
            authorizations,
            identity=self.policies.identity_policies(principal.role_arn),
            session=self.session_policies(principal),
            variables={**principal.variables, **keys},
        )
        entry = AuditEntry.decided(
            decision, time=now_iso(request.time), request_id=request.request_id,
            service=request.service, operation=request.operation, principal=principal.arn,
            subject=principal.web_identity_subject, source_ip=request.source_ip,
        )
        return Authorized(decision, entry)


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
