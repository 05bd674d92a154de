"""Policy.parse: what IAM accepts, and for what it rejects, the JSON path and the reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iam_policies.errors import MalformedPolicyDocument
from iam_policies.policy import SESSION_POLICY_MAX_SIZE, Policy

TABLE = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"
ALLOW = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/idp.localhost/dev"},
    "Action": "sts:AssumeRoleWithWebIdentity",
}


def doc(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def test_statement_may_be_an_object_and_elements_strings_or_lists() -> None:
    policy = Policy.parse({"Version": "2012-10-17", "Statement": {**ALLOW, "Sid": "One"}})
    assert [(s.sid, s.effect, s.actions, s.resources) for s in policy.statements] == [
        ("One", "Allow", ("dynamodb:GetItem",), (TABLE,))
    ]
    listed = Policy.parse(doc({**ALLOW, "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, TABLE + "/index/*"]}))
    assert listed.statements[0].actions == ("dynamodb:GetItem", "dynamodb:Query")


def test_text_and_mapping_give_the_same_policy() -> None:
    document = doc(ALLOW, {**ALLOW, "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": False}}})
    assert Policy.parse(json.dumps(document)) == Policy.parse(document)


def test_missing_version_means_2008_and_no_variables() -> None:
    policy = Policy.parse({"Statement": [ALLOW]})
    assert policy.version == "2008-10-17" and not policy.substitutes_variables


def test_trust_and_resource_policies_take_principals() -> None:
    trust = Policy.parse(doc(TRUST), kind="trust")
    assert trust.statements[0].principal == {"Federated": ("arn:aws:iam::123456789012:oidc-provider/idp.localhost/dev",)}
    resource = Policy.parse(doc({**ALLOW, "Principal": "*", "Sid": "Free text sid"}), kind="resource")
    assert resource.statements[0].principal == {"*": ("*",)}


BAD: list[tuple[str, Any, str, str, str]] = [
    # (rule, document, kind, path, reason fragment)
    ("not JSON", '{"Version": ', "identity", "$", "not valid JSON"),
    ("not an object", "[]", "identity", "$", "must be a JSON object"),
    ("NaN is not JSON", '{"Version": NaN}', "identity", "$", "not valid JSON"),
    ("duplicate keys", '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}}', "identity", "$.Statement.Effect", "Duplicate key"),
    ("unknown top-level element", {**doc(ALLOW), "Statements": []}, "identity", "$.Statements", "Unknown top-level element"),
    ("bad Version", {**doc(ALLOW), "Version": "2012-10-18"}, "identity", "$.Version", "Version must be"),
    ("Version not a string", {**doc(ALLOW), "Version": 2012}, "identity", "$.Version", "Version must be"),
    ("missing Statement", {"Version": "2012-10-17"}, "identity", "$", "Missing required field Statement"),
    ("Statement of the wrong type", {"Version": "2012-10-17", "Statement": "x"}, "identity", "$.Statement", "object or a list"),
    ("statement not an object", doc(ALLOW, "x"), "identity", "$.Statement[1]", "must be an object"),  # type: ignore[arg-type]
    ("unknown statement element", doc(ALLOW, {**ALLOW, "Actions": "x"}), "identity", "$.Statement[1].Actions", "Unknown statement element"),
    ("missing Effect", doc({"Action": "s3:GetObject", "Resource": "*"}), "identity", "$.Statement[0]", "Missing required field Effect"),
    ("bad Effect", doc(ALLOW, {**ALLOW, "Effect": "allow"}), "identity", "$.Statement[1].Effect", "Invalid effect"),
    ("missing Action", doc({"Effect": "Allow", "Resource": "*"}), "identity", "$.Statement[0]", "Missing required field Action"),
    ("Action and NotAction", doc({**ALLOW, "NotAction": "s3:*"}), "identity", "$.Statement[0]", "both Action and NotAction"),
    ("action without vendor", doc({**ALLOW, "Action": "GetItem"}), "identity", "$.Statement[0].Action", "prefaced by a vendor"),
    ("action with a space", doc({**ALLOW, "Action": ["dynamodb:GetItem", "dynamodb:Get Item"]}), "identity", "$.Statement[0].Action[1]", "prefaced by a vendor"),
    ("empty action list", doc({**ALLOW, "Action": []}), "identity", "$.Statement[0].Action", "empty list"),
    ("action not a string", doc({**ALLOW, "Action": [1]}), "identity", "$.Statement[0].Action[0]", "Must be a string"),
    ("identity policy without Resource", doc({"Effect": "Allow", "Action": "s3:*"}), "identity", "$.Statement[0]", "Missing required field Resource"),
    ("session policy without Resource", doc({"Effect": "Allow", "Action": "s3:*"}), "session", "$.Statement[0]", "Missing required field Resource"),
    ("Resource and NotResource", doc({**ALLOW, "NotResource": "*"}), "identity", "$.Statement[0]", "both Resource and NotResource"),
    ("resource not an ARN", doc({**ALLOW, "Resource": "table/GameScores"}), "identity", "$.Statement[0].Resource", 'must be in ARN format or "*"'),
    ("Principal in an identity policy", doc({**ALLOW, "Principal": "*"}), "identity", "$.Statement[0].Principal", "should not specify a principal"),
    ("Principal in a session policy", doc({**ALLOW, "Principal": {"AWS": "*"}}), "session", "$.Statement[0].Principal", "should not specify a principal"),
    ("trust policy without Principal", doc({"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity"}), "trust", "$.Statement[0]", "Missing required field Principal"),
    ("Resource in a trust policy", doc({**TRUST, "Resource": "*"}), "trust", "$.Statement[0].Resource", "prohibited field Resource"),
    ("unknown principal type", doc({**TRUST, "Principal": {"Web": "x"}}), "trust", "$.Statement[0].Principal.Web", "Invalid principal type"),
    ("principal not an object", doc({**TRUST, "Principal": ["x"]}), "trust", "$.Statement[0].Principal", 'Principal must be "*"'),
    ("non-alphanumeric Sid in IAM", doc({**ALLOW, "Sid": "my sid"}), "identity", "$.Statement[0].Sid", "must be alphanumeric"),
    ("duplicate Sid", doc({**ALLOW, "Sid": "A"}, {**ALLOW, "Sid": "A"}), "identity", "$.Statement[1].Sid", "must be unique"),
    ("unknown condition operator", doc({**ALLOW, "Condition": {"StringEqualz": {"k": "v"}}}), "identity", "$.Statement[0].Condition.StringEqualz", "Invalid Condition type"),
    ("condition value of the wrong type", doc({**ALLOW, "Condition": {"StringEquals": {"k": {"x": 1}}}}), "identity", "$.Statement[0].Condition.StringEquals.k", "strings, numbers or booleans"),
    ("character outside the allowed set", doc({**ALLOW, "Sid": "Caf\u00e9"}, {**ALLOW, "Condition": {"StringEquals": {"k": "\u2603"}}}), "resource", "$.Statement[1].Condition.StringEquals.k", "U+2603"),
    ("escaped character outside the set", '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": "\\u0007"}}', "identity", "$.Statement.Sid", "U+0007"),
    ("raw character in invalid JSON", '{"Version": "\u4e2d', "identity", "$", "U+4E2D"),
]


@pytest.mark.parametrize(("rule", "document", "kind", "path", "reason"), BAD, ids=[r[0] for r in BAD])
def test_malformed_documents_name_the_path_and_reason(rule: str, document: Any, kind: str, path: str, reason: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as caught:
        Policy.parse(document, kind=kind)
    assert (caught.value.path, reason in caught.value.reason) == (path, True), caught.value.reason
    assert caught.value.code == "MalformedPolicyDocument" and caught.value.status == 400


def test_size_limit_counts_characters_without_white_space() -> None:
    padding = "x" * 1800
    fits = doc({**ALLOW, "Condition": {"StringEquals": {"k": padding}}})
    spaced = json.dumps(fits, indent=8)
    assert len(spaced) > SESSION_POLICY_MAX_SIZE
    Policy.parse(spaced, kind="session")  # white space does not count
    too_big = doc({**ALLOW, "Condition": {"StringEquals": {"k": padding + "x" * 300}}})
    with pytest.raises(MalformedPolicyDocument, match="PolicySize: 2048"):
        Policy.parse(too_big, kind="session")
    Policy.parse(too_big, kind="identity")  # managed policies allow 6,144
    with pytest.raises(MalformedPolicyDocument, match="PolicySize: 1000"):
        Policy.parse(too_big, kind="identity", max_size=1000)


@pytest.mark.parametrize(
    "document",
    [b"\xff\xfe", b'{"Version": "2012-10-17"', {"Statement": {1: 2}}, {"Statement": [ALLOW], "Version": object()}, "[" * 5000, "{}" * 3],
    ids=["not UTF-8", "truncated bytes", "non-string key", "non-JSON object", "deep nesting", "trailing data"],
)
def test_odd_input_is_a_malformed_document_not_a_traceback(document: Any) -> None:
    with pytest.raises(MalformedPolicyDocument):
        Policy.parse(document, max_size=20000)


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        Policy.parse(doc(ALLOW), kind="boundary")


def test_compiled_policies_are_values() -> None:
    document = doc({**TRUST, "Condition": {"StringEquals": {"idp.localhost/dev:aud": "web-app"}}})
    first, second = Policy.parse(document, kind="trust"), Policy.parse(json.dumps(document), kind="trust")
    assert first == second and hash(first) == hash(second)
    assert len({first, second}) == 1
