"""docs/lint.md: each rule "has a policy it must flag and one it must pass". Here, for each code,
the two side by side: a policy that has the pitfall and the same policy with the one change that
removes it (the fix lint.md's table implies). A meta-test checks that every documented code has
such a pair, here or as flagged and passing rows of ``test_pitfalls.py``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from iam_policies.lint import lint
from tests.unit.iam_policies.lint import test_pitfalls
from tests.unit.iam_policies.lint.test_rules import OWN, TABLE, TRUST, allow, policy

SUB = "${idp.localhost/dev:sub}"
GUARDS = {"StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                   "dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]}}
LIST = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [SUB], "dynamodb:Attributes": ["UserId", "Title"]}}

# (code, kind, flagged document, the same with the fix)
PAIRS: list[tuple[str, str, Any, Any]] = [
    ("IAM000", "identity", '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "dynamodb:GetItem", '
                           '"Resource": "*"}]}',
     '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}'),
    ("IAM001", "identity",
     policy(allow("dynamodb:Query", {**OWN, "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [SUB],
                                                                          "dynamodb:Select": "COUNT"}})),
     policy(allow("dynamodb:Query", {**OWN, "StringEquals": {"dynamodb:Select": "COUNT"}}))),
    ("IAM002", "identity", policy(allow("dynamodb:GetItem", OWN), version=None), policy(allow("dynamodb:GetItem", OWN))),
    ("IAM003", "identity", policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": TABLE}),
     policy({"Effect": "Deny", "NotAction": "iam:*", "Resource": TABLE})),
    ("IAM004", "identity", policy(allow("dynamodb:GetItem", resource="*")), policy(allow("dynamodb:GetItem"))),
    ("FGAC001", "identity", policy(allow(["dynamodb:GetItem", "dynamodb:Scan"], OWN)),
     policy(allow(["dynamodb:GetItem", "dynamodb:Scan"], {**OWN, "Null": {"dynamodb:LeadingKeys": "false"}}))),
    ("FGAC002", "identity",
     policy(allow("dynamodb:BatchGetItem", {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": [SUB]}})),
     policy(allow("dynamodb:BatchGetItem", OWN))),
    ("FGAC003", "identity", policy(allow("dynamodb:GetItem", {"StringEquals": {"dynamodb:LeadingKeys": SUB}})),
     policy(allow("dynamodb:GetItem", OWN))),
    ("FGAC004", "identity", policy(allow(["dynamodb:UpdateItem", "dynamodb:PutItem"], {**LIST, **GUARDS})),
     policy(allow(["dynamodb:UpdateItem"], {**LIST, **GUARDS}))),
    ("FGAC005", "identity", policy(allow("dynamodb:GetItem", LIST)),
     policy(allow("dynamodb:GetItem", {**LIST, "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}))),
    ("FGAC006", "identity", policy(allow("dynamodb:UpdateItem", LIST)),
     policy(allow("dynamodb:UpdateItem", {**LIST, "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]}}))),
    ("FGAC007", "identity", policy(allow("dynamodb:PartiQLSelect")),
     policy({"Effect": "Deny", "Action": "dynamodb:PartiQLSelect", "Resource": TABLE,
             "Condition": {"Bool": {"dynamodb:FullTableScan": "true"}}}, allow("dynamodb:PartiQLSelect"))),
    ("TRUST001", "trust", policy(TRUST),
     policy({**TRUST, "Condition": {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}})),
]


@pytest.mark.parametrize(("code", "kind", "flagged", "fixed"), PAIRS, ids=[p[0] for p in PAIRS])
def test_the_pitfall_is_flagged_and_its_fix_passes(code: str, kind: str, flagged: Any, fixed: Any) -> None:
    assert code in {f.code for f in lint(flagged, kind=kind)}
    assert code not in {f.code for f in lint(fixed, kind=kind)}


def test_every_documented_code_has_a_flagged_and_a_passing_policy() -> None:
    root = Path(__file__).resolve().parents[4]
    documented = set(re.findall(r"^\| ([A-Z]+\d{3}) \|", (root / "docs" / "lint.md").read_text(), re.M))
    covered = {p[0] for p in PAIRS}
    flagged = {code for _, _, code, hit in test_pitfalls.CASES if hit}
    passing = {code for _, _, code, hit in test_pitfalls.CASES if not hit}
    assert documented - covered - (flagged & passing) == set()
