"""Evaluation (IAM UG *Policy evaluation logic*, S15; spec C.1, C.8, C.9) and AWS's AccessDenied text (E.1)."""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.authorization import Authorization
from iam_policies.decision import Effect
from iam_policies.evaluate import evaluate, evaluate_trust
from iam_policies.policy import Policy

TABLE = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"
OTHER = "arn:aws:dynamodb:us-west-2:123456789012:table/Other"
ME = "arn:aws:sts::123456789012:assumed-role/WebUser/alice"
GET = Authorization("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ["u1"]})
PUT = Authorization("dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ["u1"]})


def policy(*statements: dict[str, Any], kind: str = "identity") -> Policy:
    return Policy.parse({"Version": "2012-10-17", "Statement": list(statements)}, kind=kind)


def allow(action: str = "dynamodb:GetItem", resource: str = TABLE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "dynamodb:GetItem", resource: str = TABLE, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


OWN_ITEMS = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": "${idp.localhost/dev:sub}"}}

ROWS: list[tuple[str, list[Policy], list[Policy] | None, list[Authorization], Effect, str | None]] = [
    ("no statement applies: implicit deny", [policy(allow("dynamodb:Query"))], None, [GET], Effect.IMPLICIT_DENY, "identity"),
    ("an allow applies", [policy(allow())], None, [GET], Effect.ALLOW, None),
    ("explicit deny wins over allow", [policy(allow(), deny())], None, [GET], Effect.EXPLICIT_DENY, "identity"),
    ("deny in another identity policy still wins", [policy(allow()), policy(deny())], None, [GET], Effect.EXPLICIT_DENY, "identity"),
    ("a deny whose condition fails does not apply", [policy(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))], None, [GET], Effect.ALLOW, None),
    ("NotAction allow grants the other actions", [policy({"Effect": "Allow", "NotAction": "dynamodb:PutItem", "Resource": "*"})], None, [GET], Effect.ALLOW, None),
    ("NotAction allow does not grant the listed action", [policy({"Effect": "Allow", "NotAction": "dynamodb:PutItem", "Resource": "*"})], None, [PUT], Effect.IMPLICIT_DENY, "identity"),
    ("NotResource deny blocks other tables", [policy(allow(resource="*"), {"Effect": "Deny", "Action": "*", "NotResource": TABLE})], None, [Authorization("dynamodb:GetItem", OTHER)], Effect.EXPLICIT_DENY, "identity"),
    ("NotResource deny spares the listed table", [policy(allow(resource="*"), {"Effect": "Deny", "Action": "*", "NotResource": TABLE})], None, [GET], Effect.ALLOW, None),
    ("session policy allows too: allow", [policy(allow())], [policy(allow(resource="*"), kind="session")], [GET], Effect.ALLOW, None),
    ("session policy cannot add permissions", [policy(allow())], [policy(allow("dynamodb:*", "*"), kind="session")], [PUT], Effect.IMPLICIT_DENY, "identity"),
    ("identity allows, session does not: implicit deny by the session policy", [policy(allow("dynamodb:*"))], [policy(allow(), kind="session")], [PUT], Effect.IMPLICIT_DENY, "session"),
    ("explicit deny in a session policy wins", [policy(allow())], [policy(allow("*", "*"), deny(), kind="session")], [GET], Effect.EXPLICIT_DENY, "session"),
    ("an empty session policy list denies everything", [policy(allow())], [], [GET], Effect.IMPLICIT_DENY, "session"),
    ("every authorization must be allowed", [policy(allow())], None, [GET, PUT], Effect.IMPLICIT_DENY, "identity"),
    ("all authorizations allowed", [policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"]))], None, [GET, PUT], Effect.ALLOW, None),
    ("no authorization at all is not an allow", [policy(allow())], None, [], Effect.IMPLICIT_DENY, None),
    ("principal variables feed conditions", [policy(allow(Condition=OWN_ITEMS))], None, [GET], Effect.ALLOW, None),
    ("another user's key is refused", [policy(allow(Condition=OWN_ITEMS))], None, [Authorization("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ["u2"]})], Effect.IMPLICIT_DENY, "identity"),
]


@pytest.mark.parametrize(("rule", "identity", "session", "auths", "effect", "denied_by"), ROWS, ids=[r[0] for r in ROWS])
def test_decision(rule: str, identity: list[Policy], session: list[Policy] | None, auths: list[Authorization], effect: Effect, denied_by: str | None) -> None:
    decision = evaluate(auths, identity=identity, session=session, variables={"idp.localhost/dev:sub": "u1"})
    assert decision.effect is effect
    assert decision.allowed is (effect is Effect.ALLOW)
    if decision.denied is not None:
        assert decision.denied.denied_by == denied_by


def test_request_context_is_looked_up_before_principal_variables_and_case_insensitively() -> None:
    identity = [policy(allow(Condition={"StringEquals": {"AWS:PrincipalTag/Team": "red"}}))]
    auth = Authorization("dynamodb:GetItem", TABLE, {"aws:principaltag/team": "red"})
    assert evaluate([auth], identity=identity, variables={"aws:PrincipalTag/Team": "blue"}).allowed
    assert not evaluate([Authorization("dynamodb:GetItem", TABLE)], identity=identity, variables={"aws:PrincipalTag/Team": "blue"}).allowed


def test_results_carry_the_matched_statements() -> None:
    identity = [policy({**allow(), "Sid": "ReadOwn"}, allow(["dynamodb:*"]), deny("dynamodb:PutItem"))]
    decision = evaluate([GET, PUT], identity=identity)
    get, put = decision.results
    assert [(m.kind, m.statement.label, m.effect) for m in get.matched] == [("identity", "ReadOwn", "Allow"), ("identity", "#1", "Allow")]
    assert [m.statement.label for m in put.deciding] == ["#2"]
    assert decision.denied is put and decision.deny_type == "explicit"


def test_implicit_deny_reports_the_near_misses() -> None:
    identity = [policy({**allow(Condition=OWN_ITEMS), "Sid": "OwnItems"})]
    refused = evaluate([GET], identity=identity, variables={"idp.localhost/dev:sub": "u2"}).denied
    assert refused is not None
    assert [(n.matched.statement.sid, n.failed) for n in refused.near_misses] == [
        ("OwnItems", ('ForAllValues:StringEquals dynamodb:LeadingKeys "${idp.localhost/dev:sub}": fails for "u1"',))
    ]


MESSAGES = [
    ("implicit, identity", [policy(allow())], None,
     f"User: {ME} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} because no identity-based policy allows the dynamodb:PutItem action"),
    ("explicit, identity", [policy(allow("*", "*"), deny("dynamodb:PutItem"))], None,
     f"User: {ME} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} with an explicit deny in an identity-based policy"),
    ("implicit, session", [policy(allow("*", "*"))], [policy(allow(), kind="session")],
     f"User: {ME} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} because no session policy allows the dynamodb:PutItem action"),
    ("explicit, session", [policy(allow("*", "*"))], [policy(allow("*", "*"), deny("dynamodb:PutItem"), kind="session")],
     f"User: {ME} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} with an explicit deny in a session policy"),
]


@pytest.mark.parametrize(("rule", "identity", "session", "message"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_access_denied_message_is_aws_text(rule: str, identity: list[Policy], session: list[Policy] | None, message: str) -> None:
    decision = evaluate([GET, PUT], identity=identity, session=session)
    assert decision.access_denied_message(ME) == message


def test_an_allowed_decision_has_no_access_denied_message() -> None:
    with pytest.raises(ValueError, match="allowed"):
        evaluate([GET], identity=[policy(allow())]).access_denied_message(ME)


PROVIDER = "arn:aws:iam::123456789012:oidc-provider/idp.localhost/dev"
TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": PROVIDER},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"idp.localhost/dev:aud": "web-app"}},
}
ASSUME = "sts:AssumeRoleWithWebIdentity"
ROLE = "arn:aws:iam::123456789012:role/WebUser"


@pytest.mark.parametrize(
    ("rule", "statements", "federated", "context", "effect"),
    [
        ("provider and audience match", [TRUST], PROVIDER, {"idp.localhost/dev:aud": "web-app"}, Effect.ALLOW),
        ("audience differs", [TRUST], PROVIDER, {"idp.localhost/dev:aud": "other"}, Effect.IMPLICIT_DENY),
        ("another provider's token", [TRUST], "accounts.google.com", {"idp.localhost/dev:aud": "web-app"}, Effect.IMPLICIT_DENY),
        ("a deny in the trust policy wins", [TRUST, {**TRUST, "Effect": "Deny", "Condition": {"StringLike": {"idp.localhost/dev:sub": "banned-*"}}}], PROVIDER, {"idp.localhost/dev:aud": "web-app", "idp.localhost/dev:sub": "banned-1"}, Effect.EXPLICIT_DENY),
        ("Principal * trusts any provider", [{**TRUST, "Principal": "*"}], "accounts.google.com", {"idp.localhost/dev:aud": "web-app"}, Effect.ALLOW),
        ("another action is not trusted", [{**TRUST, "Action": "sts:AssumeRole"}], PROVIDER, {"idp.localhost/dev:aud": "web-app"}, Effect.IMPLICIT_DENY),
    ],
)
def test_trust_policy(rule: str, statements: list[dict[str, Any]], federated: str, context: dict[str, Any], effect: Effect) -> None:
    trust = policy(*statements, kind="trust")
    decision = evaluate_trust(trust, Authorization(ASSUME, ROLE, context), principal={"Federated": [federated]})
    assert decision.effect is effect
    if not decision.allowed:
        assert "resource-based policy" in decision.access_denied_message("arn:aws:sts::123456789012:assumed-role/x/y")


def test_a_trust_refusal_for_another_provider_says_so() -> None:
    trust = policy(TRUST, kind="trust")
    decision = evaluate_trust(trust, Authorization(ASSUME, ROLE, {"idp.localhost/dev:aud": "web-app"}), principal={"Federated": ["accounts.google.com"]})
    assert decision.denied is not None
    assert [n.failed for n in decision.denied.near_misses] == [(f"Principal Federated: {PROVIDER} does not name the caller",)]


COGNITO_TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
}
COGNITO_KEYS = {"cognito-identity.amazonaws.com:aud": "us-east-2:pool", "cognito-identity.amazonaws.com:amr": ["authenticated"]}


@pytest.mark.parametrize(
    ("rule", "condition", "effect"),
    [
        ("with an aud condition: allowed", {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-2:pool"}}, Effect.ALLOW),
        ("aud key name in any case", {"StringEquals": {"Cognito-Identity.amazonaws.com:AUD": "us-east-2:pool"}}, Effect.ALLOW),
        ("only amr: refused", {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}, Effect.IMPLICIT_DENY),
        ("no condition at all: refused", None, Effect.IMPLICIT_DENY),
    ],
)
def test_cognito_trust_must_test_the_audience(rule: str, condition: dict[str, Any] | None, effect: Effect) -> None:
    statement = COGNITO_TRUST if condition is None else {**COGNITO_TRUST, "Condition": condition}
    decision = evaluate_trust(policy(statement, kind="trust"), Authorization(ASSUME, ROLE, COGNITO_KEYS), principal={"Federated": ["cognito-identity.amazonaws.com"]})
    assert decision.effect is effect
