"""The authorization audit log: one typed record per decision, one JSON line per record.

Every service of the local stack that decides a request writes the same record, ``AuditEntry``:
the DynamoDB gateway (every request it authorizes or refuses), STS (every
``AssumeRoleWithWebIdentity``) and IAM (every admin call). It says who (principal ARN,
web-identity subject, source IP), what (the operation and each authorization's action, resource,
leading keys and attributes) and the decision with its reason (deny type, the policy type that
refused, the deciding statements), so it answers "why was this denied?" without a debugger, the
way CloudTrail's ``errorCode``/``errorMessage`` do on AWS.

The record is built from the engine's ``Decision`` in one place (``AuditEntry.decided``), written
with ``to_dict`` and read back with ``from_dict`` (``python -m webapp audit``, in
``webapp.cli.audit``), so writers and reader cannot drift apart: three hand-built copies once
disagreed on ``"index"`` vs ``"statement_index"`` and printed ``by #None`` for a Sid-less statement.

Writes are append-only: each decision is one ``write`` of one whole line to a descriptor opened
with ``O_APPEND``, done before the service answers, so a reader in any process (``python -m
webapp audit``, the tests) finds the line of every answered request, and a crash loses at most
the line being written. The audit log is a diagnostic, not the durability path (the backend's
journal is).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from iam_policies.decision import AuthorizationResult, Decision, DenyType, MatchedStatement
from iam_policies.policy import PolicyType, StatementEffect


class Verdict(enum.StrEnum):
    """What the service answered."""

    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class AuditedStatement:
    """A statement that decided: which policy, which statement (Sid and position), which effect."""

    policy_type: PolicyType
    #: The policy's name, or its position among the policies of its type.
    policy: str | int
    sid: str | None
    #: 0-based position of the statement in its policy.
    statement_index: int
    effect: StatementEffect

    @property
    def label(self) -> str:
        """The Sid, or ``#<index>`` for a statement without one (as ``Statement.label``)."""
        return self.sid if self.sid else f"#{self.statement_index}"

    @classmethod
    def of(cls, matched: MatchedStatement) -> AuditedStatement:
        statement = matched.statement
        return cls(matched.kind, matched.policy_name or matched.policy_index, statement.sid,
                   statement.index, statement.effect)

    def to_dict(self) -> dict[str, Any]:
        return {"policy_type": self.policy_type.value, "policy": self.policy, "sid": self.sid,
                "statement_index": self.statement_index, "effect": self.effect.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditedStatement:
        policy = data.get("policy")
        return cls(
            PolicyType(data.get("policy_type", "identity")),
            policy if isinstance(policy, (str, int)) else 0,
            _text(data.get("sid")),
            int(data.get("statement_index", 0)),
            StatementEffect(data.get("effect", "Allow")),
        )


@dataclass(frozen=True, slots=True)
class AuditedAuthorization:
    """One authorization of a request and the decision on it."""

    action: str
    resource: str
    decision: Verdict
    deny_type: DenyType | None = None
    leading_keys: tuple[str, ...] | None = None
    attributes: tuple[str, ...] | None = None
    #: One sentence for an administrator (``AuthorizationResult.reason``).
    reason: str | None = None

    @classmethod
    def of(cls, result: AuthorizationResult) -> AuditedAuthorization:
        authorization = result.authorization
        context = authorization.context
        leading = attributes = None
        if context:
            value = context.get("dynamodb:LeadingKeys")
            leading = tuple(value) if isinstance(value, (list, tuple)) else None
            value = context.get("dynamodb:Attributes")
            attributes = tuple(value) if isinstance(value, (list, tuple)) else None
        return cls(authorization.action, authorization.resource,
                   Verdict.ALLOW if result.allowed else Verdict.DENY, result.deny_type,
                   leading, attributes, result.reason())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "resource": self.resource,
                               "decision": self.decision.value,
                               "deny_type": self.deny_type.value if self.deny_type else None}
        if self.leading_keys is not None:
            out["leading_keys"] = list(self.leading_keys)
        if self.attributes is not None:
            out["attributes"] = list(self.attributes)
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditedAuthorization:
        return cls(
            str(data.get("action", "")), str(data.get("resource", "")),
            Verdict(data.get("decision", "Deny")), _enum(DenyType, data.get("deny_type")),
            _strings(data.get("leading_keys")), _strings(data.get("attributes")),
            _text(data.get("reason")),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One decision of one service, as the audit log stores it."""

    time: str
    request_id: str
    #: ``dynamodb``, ``sts`` or ``iam``.
    service: str
    operation: str
    decision: Verdict
    principal: str | None = None
    subject: str | None = None
    source_ip: str | None = None
    authorizations: tuple[AuditedAuthorization, ...] = ()
    #: The deciding statements: for a deny those of the first refused authorization (its Deny
    #: statements, none for an implicit deny); for an allow every authorization's Allow ones.
    matched: tuple[AuditedStatement, ...] = ()
    deny_type: DenyType | None = None
    #: The policy type that refused (identity, session, trust).
    denied_by: PolicyType | None = None
    #: The wire error code the caller got, when refused before or outside policy evaluation
    #: (SigV4, token validation, parameters).
    error: str | None = None
    message: str | None = None
    #: STS: the role asked for, the session name and the token's issuer.
    role_arn: str | None = None
    session_name: str | None = None
    issuer: str | None = None

    @classmethod
    def decided(cls, decision: Decision | Outcome, *, time: str, request_id: str, service: str,
                operation: str, **facts: Any) -> AuditEntry:
        """The entry of a request the engine decided (``facts``: the other fields); ``decision``
        may be given as its ``Outcome`` already made (``Authorizer`` keeps one per decision)."""
        outcome = decision if isinstance(decision, Outcome) else Outcome.of(decision)
        return cls(time, request_id, service, operation, outcome.decision, authorizations=outcome.authorizations,
                   matched=outcome.matched, deny_type=outcome.deny_type, denied_by=outcome.denied_by, **facts)

    def with_decision(self, decision: Decision) -> AuditEntry:
        """This entry, completed with the engine's decision (STS: after the token checks)."""
        outcome = Outcome.of(decision)
        return replace(self, decision=outcome.decision, authorizations=outcome.authorizations,
                       matched=outcome.matched, deny_type=outcome.deny_type, denied_by=outcome.denied_by)

    @property
    def why(self) -> str:
        """``implicit``, ``explicit by DenyWrites``, ``by OwnItems,#2``, an error code, or ``-``."""
        parts = [self.deny_type.value] if self.deny_type else []
        if self.matched:
            parts.append("by " + ",".join(m.label for m in self.matched))
        if self.error:
            parts.append(self.error)
        return " ".join(parts) or "-"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one log line; fields without a value are left out."""
        out: dict[str, Any] = {"time": self.time, "request_id": self.request_id,
                               "service": self.service, "operation": self.operation,
                               "decision": self.decision.value}
        for name in _OPTIONAL_TEXT:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["authorizations"] = [a.to_dict() for a in self.authorizations]
        out["matched"] = [m.to_dict() for m in self.matched]
        if self.deny_type is not None:
            out["deny_type"] = self.deny_type.value
        if self.denied_by is not None:
            out["denied_by"] = self.denied_by.value
        return out

    def to_json(self) -> str:
        """The log line (without its newline): ``to_dict`` in compact JSON, exactly. The
        decision's members (the authorizations, the deciding statements, the deny type and the
        policy type that refused), which come last, are encoded once per decision: the
        ``Authorizer`` hands the same tuples to every request its cached decision answers."""
        head: dict[str, Any] = {"time": self.time, "request_id": self.request_id, "service": self.service,
                                "operation": self.operation, "decision": self.decision.value}
        for name in _OPTIONAL_TEXT:
            value = getattr(self, name)
            if value is not None:
                head[name] = value
        return f"{_dumps(head)[:-1]},{_decision_json(self)}}}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        """The entry of one log line; raises ``ValueError`` (or ``TypeError``) on a malformed one."""
        return cls(
            str(data.get("time", "")), str(data.get("request_id", "")),
            str(data.get("service") or "dynamodb"), str(data.get("operation", "")),
            Verdict(data.get("decision", "Deny")),
            authorizations=tuple(AuditedAuthorization.from_dict(a) for a in _objects(data.get("authorizations"))),
            matched=tuple(AuditedStatement.from_dict(m) for m in _objects(data.get("matched"))),
            deny_type=_enum(DenyType, data.get("deny_type")),
            denied_by=_enum(PolicyType, data.get("denied_by")),
            **{name: _text(data.get(name)) for name in _OPTIONAL_TEXT},
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fields a ``Decision`` gives an entry, made once per decision: the request path's
    ``Authorizer`` keeps it beside the decision it caches, so a repeated decision does not
    rebuild its reasons (``AuditedAuthorization.reason``) for every request."""

    decision: Verdict
    authorizations: tuple[AuditedAuthorization, ...]
    #: The deciding statements: for a deny, the first refused authorization's (its Deny
    #: statements, none for an implicit deny); for an allow, the Allow statements of every
    #: authorization, each once.
    matched: tuple[AuditedStatement, ...]
    deny_type: DenyType | None
    denied_by: PolicyType | None

    @classmethod
    def of(cls, decision: Decision) -> Outcome:
        refused = decision.denied
        deciding = refused.deciding if refused is not None else [m for r in decision.results for m in r.deciding]
        matched: list[AuditedStatement] = []
        for statement in deciding:
            audited = AuditedStatement.of(statement)
            if audited not in matched:
                matched.append(audited)
        return cls(
            Verdict.ALLOW if refused is None else Verdict.DENY,
            tuple(AuditedAuthorization.of(r) for r in decision.results),
            tuple(matched),
            decision.deny_type,
            refused.denied_by if refused is not None else None,
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)


#: (authorizations, matched) by identity, with the deny type and policy type -> the objects
#: (held, so that their identities are not reused) and the members' JSON, without braces.
_DECISION_JSON: dict[tuple[int, int, DenyType | None, PolicyType | None],
                     tuple[tuple[AuditedAuthorization, ...], tuple[AuditedStatement, ...], str]] = {}


def _decision_json(entry: AuditEntry) -> str:
    key = (id(entry.authorizations), id(entry.matched), entry.deny_type, entry.denied_by)
    found = _DECISION_JSON.get(key)
    if found is not None and found[0] is entry.authorizations and found[1] is entry.matched:
        return found[2]
    tail: dict[str, Any] = {"authorizations": [a.to_dict() for a in entry.authorizations],
                            "matched": [m.to_dict() for m in entry.matched]}
    if entry.deny_type is not None:
        tail["deny_type"] = entry.deny_type.value
    if entry.denied_by is not None:
        tail["denied_by"] = entry.denied_by.value
    text = _dumps(tail)[1:-1]
    if len(_DECISION_JSON) >= 1024:
        _DECISION_JSON.clear()
    _DECISION_JSON[key] = (entry.authorizations, entry.matched, text)
    return text


_OPTIONAL_TEXT = ("principal", "subject", "source_ip", "error", "message", "role_arn", "session_name", "issuer")

#: Where a service hands its entries (``AuditLog.record``, or a list's ``append`` in tests).
Audit = Callable[[AuditEntry], None]

E = TypeVar("E", bound=enum.Enum)


def _enum(kind: type[E], value: Any) -> E | None:
    """``kind(value)``, or ``None`` for no value or one this version does not know."""
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _strings(value: Any) -> tuple[str, ...] | None:
    return tuple(str(v) for v in value) if isinstance(value, list) else None


def _objects(value: Any) -> Sequence[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def now_iso(epoch: float) -> str:
    """``2026-01-02T03:04:05.678Z``. The second's text is made once per second (``_second_iso``)
    and the milliseconds added as ``datetime`` makes them: the fraction rounded half-even to
    microseconds (``fromtimestamp``), then truncated (``isoformat(timespec="milliseconds")``)."""
    if epoch < 0 or epoch != epoch:
        return _iso_milliseconds(epoch)
    second = math.floor(epoch)
    micros = round((epoch - second) * 1e6)
    if micros >= 1_000_000:  # rounded up into the next second
        return _iso_milliseconds(epoch)
    return f"{_second_iso(second)}.{micros // 1000:03d}Z"


def _iso_milliseconds(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=64)
def _second_iso(second: int) -> str:
    return dt.datetime.fromtimestamp(second, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "")


# Writing -----------------------------------------------------------------------------------------


class AuditLog:
    """Append-only JSON-lines file; ``record`` is safe to call from any thread.

    ``record`` encodes the line, then hands it to the kernel in one ``os.write`` on a descriptor
    opened with ``O_APPEND``, holding no lock meanwhile: the kernel appends each write whole at
    the end of the file (POSIX ``write``: with ``O_APPEND`` "the file offset shall be set to the
    end of the file prior to each write"; Linux serialises writers of a regular file on its inode
    lock), so concurrent lines never interleave. The line is in the file when ``record`` returns.

    Why no lock around the write: the previous version wrote and flushed under a lock, and a
    thread that gives up the GIL inside a system call must win the GIL back before it can let go
    of the lock. With many request threads busy, that took up to the interpreter's switch
    interval (5 ms) while every other request queued on the lock: under ``benchmarks/load.py``
    with 64 users, request threads were found waiting in ``AuditLog.record`` in 16% of the
    samples of the server's threads (as many as in the whole backend), for one ~10 µs write.
    (A writer thread was tried before and measured slower: handing the GIL to it on every
    request cost more than the write itself.) The lock below guards only opening and closing
    the descriptor, never a system call that waits.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = None
        #: Writes in flight on ``_fd``: ``close`` leaves the descriptor to the last of them, so
        #: that a number the kernel reuses for another file never receives an audit line.
        self._writers = 0
        self._closing = False

    def record(self, entry: AuditEntry) -> None:
        data = (entry.to_json() + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._closing = False
            fd = self._fd
            self._writers += 1
        try:
            view = memoryview(data)
            while view:  # a regular file takes the whole line unless the disk is full
                view = view[os.write(fd, view):]
        finally:
            with self._lock:
                self._writers -= 1
                if self._closing and not self._writers and self._fd == fd:
                    os.close(fd)
                    self._fd = None

    def flush(self, timeout: float = 5.0) -> bool:
        """Every recorded entry is already in the file; kept for callers that wait."""
        return True

    def close(self) -> None:
        with self._lock:
            if self._fd is None:
                return
            if self._writers:  # the last write in flight closes it
                self._closing = True
                return
            os.close(self._fd)
            self._fd = None


# Reading -----------------------------------------------------------------------------------------


def read_entries(path: Path, *, follow: bool = False, poll: float = 0.5) -> Iterator[AuditEntry]:
    """Entries in order; with ``follow``, keep waiting for new ones (like ``tail -f``). A line cut
    short by a crash, or one that is not an entry, is passed over."""
    while not path.exists():
        if not follow:
            return
        time.sleep(poll)
    with open(path, encoding="utf-8") as handle:
        pending = ""
        while True:
            chunk = handle.readline()
            if chunk:
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                line, pending = pending.strip(), ""
                if not line:
                    continue
                try:
                    data = json.loads(line)
                    entry = AuditEntry.from_dict(data) if isinstance(data, dict) else None
                except (ValueError, TypeError):
                    entry = None
                if entry is not None:
                    yield entry
            elif follow:
                time.sleep(poll)
            else:
                return
