"""The audit log's line and time formats, made the fast way, are what the plain way makes:
``AuditEntry.to_json`` (the decision's part encoded once per decision) against ``json.dumps`` of
``to_dict``, and ``now_iso`` (each second formatted once) against ``datetime``'s own rendering."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from iam_policies.authorization import Authorization
from iam_policies.decision import AuthorizationResult, Decision, Effect, MatchedStatement
from iam_policies.policy import Policy, PolicyType
from webapp.audit import AuditEntry, AuditLog, Outcome, Verdict, now_iso

POLICY = Policy.parse({"Version": "2012-10-17", "Statement": [
    {"Sid": "Own", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
    {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"}]})
TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/Notes"


def result(effect: Effect, index: int, context: dict[str, object] | None = None) -> AuthorizationResult:
    matched = (MatchedStatement(PolicyType.IDENTITY, 0, POLICY.statements[index], "own"),)
    return AuthorizationResult(Authorization("dynamodb:GetItem", TABLE, context or {}), effect, matched,  # type: ignore[arg-type]
                               None if effect is Effect.ALLOW else PolicyType.IDENTITY)


DECISIONS = {
    "allowed": Decision.of([result(Effect.ALLOW, 0, {"dynamodb:LeadingKeys": ["älice"], "dynamodb:Attributes": ["a"]})]),
    "explicit deny": Decision.of([result(Effect.ALLOW, 0), result(Effect.EXPLICIT_DENY, 1)]),
    "implicit deny": Decision.of([AuthorizationResult(Authorization("dynamodb:Query", TABLE, {}), Effect.IMPLICIT_DENY,
                                                      (), PolicyType.SESSION)]),
    "no authorization": Decision.of([]),
}
FACTS = [
    {},
    {"principal": "arn:aws:sts::000000000000:assumed-role/WebUser/alice", "subject": "sub-\u00e9\u2603",
     "source_ip": "127.0.0.1"},
    {"error": "ExpiredTokenException", "message": 'quote " and \\ backslash\nnewline'},
    {"role_arn": "arn:aws:iam::000000000000:role/WebUser", "session_name": "s", "issuer": "http://idp"},
]


@pytest.mark.parametrize("decision", DECISIONS.values(), ids=DECISIONS.keys())
@pytest.mark.parametrize("facts", FACTS)
def test_a_line_is_the_entry_as_json(decision: Decision, facts: dict[str, str]) -> None:
    outcome = Outcome.of(decision)
    for _ in range(2):  # the second time from the encoded decision
        entry = AuditEntry.decided(outcome, time="2026-01-01T00:00:00.000Z", request_id="R", service="dynamodb",
                                   operation="GetItem", **facts)
        assert entry.to_json() == json.dumps(entry.to_dict(), separators=(",", ":"), default=str, ensure_ascii=False)
        assert AuditEntry.from_dict(json.loads(entry.to_json())) == entry


def test_entries_of_other_decisions_never_take_an_encoded_decision() -> None:
    lines = set()
    for name, decision in DECISIONS.items():
        entry = AuditEntry.decided(decision, time="t", request_id=name, service="dynamodb", operation="GetItem")
        lines.add(entry.to_json().split('"decision"', 1)[1])
    plain = AuditEntry("t", "R", "sts", "AssumeRoleWithWebIdentity", Verdict.DENY, error="InvalidIdentityToken")
    assert plain.to_json() == json.dumps(plain.to_dict(), separators=(",", ":"), ensure_ascii=False)
    assert len(lines) == len(DECISIONS)


def test_the_log_writes_the_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    entry = AuditEntry.decided(DECISIONS["explicit deny"], time="t", request_id="R", service="dynamodb",
                               operation="GetItem", principal="p")
    log.record(entry)
    log.close()
    assert path.read_text(encoding="utf-8") == entry.to_json() + "\n"


#: Edges of the millisecond and the second (``datetime`` rounds to microseconds half-even, then
#: ``isoformat`` truncates to milliseconds), before the epoch, and random times.
TIMES = [0.0, 1.0, 1_800_000_000.0, 1_800_000_000.001, 1_800_000_000.0005, 1_800_000_000.9995,
         1_800_000_000.9999995, 1_800_000_000.9999994, 1_800_000_000.0000005, 39534911.9999999,
         2266151100.001, -0.5, -1.0001, *(random.Random(7).uniform(0, 4e9) for _ in range(2000))]


def test_times_are_datetimes_rendering() -> None:
    for epoch in TIMES:
        expected = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert now_iso(epoch) == expected, epoch
