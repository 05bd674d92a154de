"""``webapp.authorize``: the one place a session's policies are assembled and a signed request
is decided (IAM UG, "Session policies": without any, the role's policies alone apply)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

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


# The decision cache (``DecisionCache``): a decision is reused only for a request equal in every
# input, and never after the policies it was made with changed. --------------------------------

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "sts:AssumeRoleWithWebIdentity"}]})
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Notes"
#: Allows GetItem only on the caller's own partition, over plain transport, as the app's role does
#: (``${...}`` substitution, a multivalued key, a Bool condition).
OWN_ITEMS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "OwnItems", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"]},
                  "Bool": {"aws:SecureTransport": "false"}}}]})
DENY_GET = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoGets", "Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}]})


def cached_role(registry: IamRegistry) -> Principal:
    role = registry.create_role("Cached", TRUST)
    registry.put_role_policy("Cached", "own", OWN_ITEMS)
    return Principal(arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Cached/alice", role_arn=role.arn, role_id="AROAC",
                     session_name="alice", access_key_id="ASIAC", temporary=True,
                     variables={"idp.localhost/dev:sub": "alice-sub"})


def get(leading: object = ("alice-sub",), **context: object) -> list[Authorization]:
    return [Authorization("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": leading, **context})]  # type: ignore[dict-item]


FACTS = RequestFacts("dynamodb", "GetItem", "R1", 0.0, "127.0.0.1")


def decide(authorizer: Authorizer, principal: Principal, authorizations: list[Authorization],
           keys: dict[str, Any] | None = None) -> str:
    authorized = authorizer.authorize(principal, authorizations, keys if keys is not None else {"aws:SecureTransport": False},
                                      FACTS)
    assert authorized.entry.decision == authorized.decision.effect.value.replace("ImplicitDeny", "Deny").replace(
        "ExplicitDeny", "Deny")
    return f"{authorized.decision.effect.value} {authorized.entry.why}"


def test_a_repeated_request_is_decided_once(registry: IamRegistry) -> None:
    principal, authorizer = cached_role(registry), Authorizer(registry)
    first = decide(authorizer, principal, get())
    again = decide(authorizer, principal, get())
    assert first == again == "Allow by OwnItems"
    assert (authorizer.decisions.misses, authorizer.decisions.hits) == (1, 1)


#: How a role's policies change under a cached Allow, and the decision that must follow
#: (each change goes through the registry, as the IAM endpoint makes it).
POLICY_CHANGES = [
    ("inline policy replaced", lambda r: r.put_role_policy("Cached", "own", DENY_GET), "ExplicitDeny explicit by NoGets"),
    ("inline policy added", lambda r: r.put_role_policy("Cached", "deny", DENY_GET), "ExplicitDeny explicit by NoGets"),
    ("inline policy deleted", lambda r: r.delete_role_policy("Cached", "own"), "ImplicitDeny implicit"),
    ("managed policy attached", lambda r: r.attach_role_policy("Cached", r.create_policy("NoGets", DENY_GET).arn),
     "ExplicitDeny explicit by NoGets"),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in POLICY_CHANGES],
                         ids=[name for name, _, _ in POLICY_CHANGES])
def test_a_cached_decision_is_not_reused_after_the_role_policy_changes(
        registry: IamRegistry, change: Any, expected: str) -> None:
    principal, authorizer = cached_role(registry), Authorizer(registry)
    assert decide(authorizer, principal, get()) == decide(authorizer, principal, get()) == "Allow by OwnItems"
    change(registry)
    assert decide(authorizer, principal, get()) == expected
    assert authorizer.decisions.misses == 2


def test_a_cached_decision_is_not_reused_after_a_managed_policy_version_changes(registry: IamRegistry) -> None:
    principal, authorizer = cached_role(registry), Authorizer(registry)
    registry.delete_role_policy("Cached", "own")
    managed = registry.create_policy("Own", OWN_ITEMS)
    registry.attach_role_policy("Cached", managed.arn)
    # the same managed policy as the role's and as a session policy (PolicyArns)
    session = replace(principal, session_policy_arns=(managed.arn,))
    # allowed by the identity policy's statement, and with PolicyArns by the session policy's too
    for who, allowed in ((principal, "Allow by OwnItems"), (session, "Allow by OwnItems,OwnItems")):
        assert decide(authorizer, who, get()) == decide(authorizer, who, get()) == allowed
    assert authorizer.decisions.hits == 2
    registry.create_policy_version(managed.arn, DENY_GET, set_as_default=True)
    for who, denied in ((principal, "ExplicitDeny explicit by NoGets"), (session, "ExplicitDeny explicit by NoGets,NoGets")):
        assert decide(authorizer, who, get()) == denied


#: Requests that differ from the first in one input each; most change the decision, so a cache
#: that keyed on less than everything would give one of them another's answer.
#: (label, authorizations, request keys, session policy)
VARIANTS: list[tuple[str, list[Authorization], dict[str, Any], str | None]] = [
    ("allowed", get(), {"aws:SecureTransport": False}, None),
    ("another partition", get(("bob-sub",)), {"aws:SecureTransport": False}, None),
    ("two partitions", get(("alice-sub", "bob-sub")), {"aws:SecureTransport": False}, None),
    ("the partition as a list", get(["alice-sub"]), {"aws:SecureTransport": False}, None),
    ("the partition as text", get("alice-sub"), {"aws:SecureTransport": False}, None),
    ("no partition", get(()), {"aws:SecureTransport": False}, None),
    ("secure transport", get(), {"aws:SecureTransport": True}, None),
    ("secure transport as 1", get(), {"aws:SecureTransport": 1}, None),
    ("secure transport as text", get(), {"aws:SecureTransport": "true"}, None),
    ("no transport key", get(), {}, None),
    ("another action", [Authorization("dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ["alice-sub"]})],
     {"aws:SecureTransport": False}, None),
    ("another table", [Authorization("dynamodb:GetItem", TABLE + "2", {"dynamodb:LeadingKeys": ["alice-sub"]})],
     {"aws:SecureTransport": False}, None),
    ("a second authorization refused", get() + get(("bob-sub",)), {"aws:SecureTransport": False}, None),
    ("an extra context key", get(**{"dynamodb:Select": "ALL_ATTRIBUTES"}), {"aws:SecureTransport": False}, None),
    ("the sub as a request key", get(), {"aws:SecureTransport": False, "idp.localhost/dev:sub": "bob-sub"}, None),
    ("a session policy", get(), {"aws:SecureTransport": False}, DENY_GET),
    ("another session policy", get(), {"aws:SecureTransport": False}, ALLOW_GET),
]


def test_distinct_requests_never_share_a_decision(registry: IamRegistry) -> None:
    from iam_policies.evaluate import evaluate

    principal, authorizer = cached_role(registry), Authorizer(registry)
    fresh: dict[str, str] = {}
    for label, authorizations, keys, inline in VARIANTS:
        who = replace(principal, session_policy=inline)
        decision = evaluate(authorizations, identity=registry.identity_policies(principal.role_arn),
                            session=Authorizer(registry).session_policies(who), variables={**who.variables, **keys})
        fresh[label] = decision.effect.value
    assert len(set(fresh.values())) == 3  # the table exercises allows, implicit and explicit denies
    for round_ in range(2):  # the second round is answered from the cache
        for label, authorizations, keys, inline in VARIANTS:
            who = replace(principal, session_policy=inline)
            got = decide(authorizer, who, authorizations, keys)
            assert got.split()[0] == fresh[label], (round_, label, got)
    # every variant of the second round, and "the partition as a list" in the first: a list and a
    # tuple of the same text are one value to the evaluator and to the audit entry
    assert authorizer.decisions.hits == len(VARIANTS) + 1


def test_a_value_the_cache_cannot_key_on_is_decided_afresh(registry: IamRegistry) -> None:
    principal, authorizer = cached_role(registry), Authorizer(registry)
    odd = get(**{"custom:Map": {"a": "b"}})  # not a condition-key value type: never cached
    assert decide(authorizer, principal, odd) == decide(authorizer, principal, odd) == "Allow by OwnItems"
    assert (authorizer.decisions.hits, len(authorizer.decisions)) == (0, 0)


def test_sessions_with_other_variables_never_share_a_decision(registry: IamRegistry) -> None:
    alice, authorizer = cached_role(registry), Authorizer(registry)
    bob = replace(alice, variables={"idp.localhost/dev:sub": "bob-sub"})
    no_sub = replace(alice, variables={})
    for _ in range(2):
        assert decide(authorizer, alice, get()) == "Allow by OwnItems"
        assert decide(authorizer, bob, get()) == "ImplicitDeny implicit"  # alice's partition
        assert decide(authorizer, bob, get(("bob-sub",))) == "Allow by OwnItems"
        assert decide(authorizer, no_sub, get()) == "ImplicitDeny implicit"
    assert (authorizer.decisions.misses, authorizer.decisions.hits) == (4, 4)
