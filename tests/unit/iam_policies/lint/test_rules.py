"""Each row: a policy and the finding codes the linter must report for it (and no others)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iam_policies.lint import lint

TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/Photos"
OWN = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"]}}


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version:
        doc["Version"] = version
    return doc


def allow(actions: list[str] | str, condition: dict[str, Any] | None = None, resource: Any = TABLE, **extra: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}
    if condition:
        st["Condition"] = condition
    return st


CASES = [
    # FGAC009 (info): UpdateItem creates missing items, in the caller's own partition here.
    ("own-partition item access is clean but for the info that UpdateItem creates",
     policy(allow(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"], OWN)), ["FGAC009"]),
    ("Scan with LeadingKeys only leaks every partition",
     policy(allow(["dynamodb:GetItem", "dynamodb:Scan"], OWN)), ["FGAC001"]),
    ("a wildcard that covers Scan leaks too",
     policy(allow("dynamodb:*", OWN)), ["FGAC001", "FGAC007", "FGAC009"]),
    ("Null false guard closes the Scan hole",
     policy(allow(["dynamodb:Scan"], {**OWN, "Null": {"dynamodb:LeadingKeys": "false"}})), []),
    ("ForAnyValue on LeadingKeys lets batches mix foreign keys",
     policy(allow(["dynamodb:BatchGetItem"], {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"]}})),
     ["FGAC002"]),
    ("plain operator on LeadingKeys is undocumented",
     policy(allow(["dynamodb:GetItem"], {"StringEquals": {"dynamodb:LeadingKeys": "${idp.localhost/dev:sub}"}})),
     ["FGAC003"]),
    ("attribute list with PutItem cannot protect hidden attributes; reads and writes unguarded",
     policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"],
                  {**OWN, "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"],
                                                        "dynamodb:Attributes": ["UserId", "Title"]}})),
     ["FGAC004", "FGAC005", "FGAC006"]),
    ("attribute list with Select and ReturnValues guards is clean (UpdateItem creates: info)",
     policy(allow(["dynamodb:GetItem", "dynamodb:UpdateItem"],
                  {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${idp.localhost/dev:sub}"],
                                                 "dynamodb:Attributes": ["UserId", "Title"]},
                   "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                            "dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]}})),
     ["FGAC009"]),
    ("PartiQLSelect without a FullTableScan deny",
     policy(allow(["dynamodb:PartiQLSelect"])), ["FGAC007"]),
    ("PartiQLSelect with the documented FullTableScan deny",
     policy({"Effect": "Deny", "Action": "dynamodb:PartiQLSelect", "Resource": TABLE,
             "Condition": {"Bool": {"dynamodb:FullTableScan": "true"}}}, allow(["dynamodb:PartiQLSelect"])),
     []),
    ("ForAllValues on a single-valued key",
     policy(allow(["dynamodb:Query"], {**OWN, "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"], "dynamodb:Select": "COUNT"}})),
     ["IAM001"]),
    ("policy variables without Version are literal text",
     policy(allow(["dynamodb:GetItem"], OWN), version=None), ["IAM002"]),
    ("Allow with NotAction",
     policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), ["FGAC007", "IAM003", "IAM004"]),
    # Actions are matched by the evaluator's ActionMatcher (IAM UG "Action": only * and ? are
    # wildcards, names are case-insensitive), the same matcher that decides requests.
    ("a ? wildcard covers Scan", policy(allow("dynamodb:Sca?", OWN)), ["FGAC001"]),
    ("action names are case-insensitive", policy(allow("DynamoDB:SCAN", OWN)), ["FGAC001"]),
    ("item actions on every table",
     policy(allow(["dynamodb:GetItem"], resource="*")), ["IAM004"]),
]


@pytest.mark.parametrize(("document", "codes"), [(d, c) for _, d, c in CASES], ids=[n for n, _, _ in CASES])
def test_identity_policy_findings(document: dict[str, Any], codes: list[str]) -> None:
    assert sorted({f.code for f in lint(document)}) == sorted(codes)


def test_findings_carry_the_statement_path() -> None:
    [finding] = lint(policy(allow(["dynamodb:GetItem"], OWN), allow(["dynamodb:Scan"], OWN)))
    assert (finding.code, finding.path) == ("FGAC001", "$.Statement[1]")


def test_findings_are_in_document_order_with_numeric_indexes() -> None:
    statements = [allow(["dynamodb:GetItem"], OWN) for _ in range(11)]
    statements[2] = statements[10] = allow(["dynamodb:Scan"], OWN)
    paths = [f.path for f in lint(policy(*statements))]
    assert paths == ["$.Statement[2]", "$.Statement[10]"]


TRUST = {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::000000000000:oidc-provider/idp.localhost/dev"},
         "Action": "sts:AssumeRoleWithWebIdentity"}


def test_trust_without_audience_is_an_error() -> None:
    assert [f.code for f in lint(policy(TRUST), kind="trust")] == ["TRUST001"]


def test_trust_with_audience_is_clean() -> None:
    pinned = {**TRUST, "Condition": {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}}
    assert lint(policy(pinned), kind="trust") == []


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "dynamodb:GetItem", "Resource": "*"}]})],
    ids=["not JSON", "not an object", "bad Effect"],
)
def test_documents_iam_refuses_are_reported_not_raised(text: str) -> None:
    findings = lint(text)
    assert findings and findings[0].code == "IAM000" and findings[0].severity.value == "error"
