"""``webapp.authorize``: the one place a session's policies are assembled and a signed request
is decided (IAM UG, "Session policies": without any, the role's policies alone apply)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_policies.authorization import Authorization
from webapp.authorize import Authorizer, RequestFacts
from webapp.clock import ManualClock
from webapp.credentials import Principal
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings

ACCOUNT = "000000000000"
ALLOW_GET = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]})
GONE = f"arn:aws:iam::{ACCOUNT}:policy/Deleted"


@pytest.fixture
def registry(tmp_path: Path) -> IamRegistry:
    return IamRegistry.open(Settings(data_dir=tmp_path), ManualClock())


def session(inline: str | None = None, arns: tuple[str, ...] = ()) -> Principal:
    return Principal(arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/WebUser/alice",
                     role_arn=f"arn:aws:iam::{ACCOUNT}:role/WebUser", role_id="AROAX", session_name="alice",
                     access_key_id="ASIAX", temporary=True, session_policy=inline, session_policy_arns=arns)


def test_session_policies_are_none_without_any_so_the_role_policies_alone_apply(registry: IamRegistry) -> None:
    assert Authorizer(registry).session_policies(session()) is None


def test_session_policies_are_the_inline_policy_then_the_managed_ones_that_still_exist(
        registry: IamRegistry) -> None:
    managed = registry.create_policy("ReadOnly", ALLOW_GET)
    policies = Authorizer(registry).session_policies(session(ALLOW_GET, (managed.arn, GONE)))
    assert policies is not None
    assert [(p.kind, p.name) for p in policies] == [("session", None), ("identity", "ReadOnly")]
    assert policies[1] is registry.managed_policy(managed.arn)


def test_an_empty_list_of_session_policies_is_not_no_session_policy(registry: IamRegistry) -> None:
    assert Authorizer(registry).session_policies(session(None, (GONE,))) == ()  # "nothing allowed", not skipped


def test_an_inline_session_policy_is_parsed_once(registry: IamRegistry) -> None:
    authorizer = Authorizer(registry)
    first = authorizer.session_policies(session(ALLOW_GET))
    again = authorizer.session_policies(session(ALLOW_GET))
    assert first is not None and again is not None and first[0] is again[0]


#: (session policy, expected decision, deny_type, denied_by): the role's policy allows the
#: GetItem; a session policy narrows it (IAM UG, "Session policies": the intersection).
CASES = [
    (None, "Allow", None, None),
    (ALLOW_GET, "Allow", None, None),
    (json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}]}), "Deny", "implicit", "session"),
]


@pytest.mark.parametrize(("inline", "decision", "deny_type", "denied_by"), CASES)
def test_the_decision_and_its_audit_entry_agree(registry: IamRegistry, inline: str | None, decision: str,
                                                 deny_type: str | None, denied_by: str | None) -> None:
    registry.put_role_policy("WebUser", "get", ALLOW_GET)
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Notes"
    authorized = Authorizer(registry).authorize(
        session(inline), [Authorization("dynamodb:GetItem", table, {})], {},
        RequestFacts("dynamodb", "GetItem", "R1", 0.0, "127.0.0.1"))
    entry = authorized.entry
    assert (entry.decision, entry.deny_type, entry.denied_by) == (decision, deny_type, denied_by)
    assert authorized.allowed is (decision == "Allow")
    assert (entry.principal, entry.request_id, entry.time) == (session().arn, "R1", "1970-01-01T00:00:00.000Z")
