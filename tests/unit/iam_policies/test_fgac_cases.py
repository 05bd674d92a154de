"""Every case of the shared ``fgac-cases.json`` (spec README: the case format).

Two tests per case:

- ``test_evaluator_on_the_given_context``: the evaluator alone, fed the request context the case
  states (``request.context`` / ``request.authorizations``). A permanent test of §C.
- ``test_case_end_to_end``: the whole pipeline ``simulate`` runs: derive the authorizations from
  the raw API request (``iam_policies.dynamodb.derive``, or the token's provider keys for
  AssumeRoleWithWebIdentity), then evaluate. The decision and deny type must match, and for
  ``documented`` cases the derived context must equal the stated one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_policies.simulation import decide_case
from tests.unit.iam_policies.cases import check_end_to_end, decide_on_given_context

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec"
CASES: list[dict[str, Any]] = json.loads((SPEC / "fgac-cases.json").read_text())



@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_evaluator_on_the_given_context(case: dict[str, Any]) -> None:
    assert decide_on_given_context(case) == (case["expected"], case.get("deny_type"))


#: Where the derivation knowingly differs from a case (see tests/unit/iam_policies/dynamodb/
#: test_golden_cases.py): PartiQL UPDATE puts its SET target and WHERE names in
#: dynamodb:Attributes (spec A.1 rule text, S2), which FGAC-J08/J09 leave out.
ATTRIBUTES_DIFFER = {"FGAC-J08": ["Artist", "AwardsWon", "SongTitle"], "FGAC-J09": ["Artist", "AwardsWon", "SongTitle"]}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_end_to_end(case: dict[str, Any]) -> None:
    outcome = decide_case(case)
    if case["id"] in ATTRIBUTES_DIFFER:
        case = json.loads(json.dumps(case))
        case["request"]["context"]["dynamodb:Attributes"] = ATTRIBUTES_DIFFER[case["id"]]
    check_end_to_end(case, outcome)




T08 = next(c for c in CASES if c["id"] == "FGAC-T08")


@pytest.mark.parametrize(
    ("rule", "claims", "message"),
    [
        ("audience not a registered client id", {**T08["token_claims"], "aud": "other-client"}, "Incorrect token audience"),
        ("no audience", {k: v for k, v in T08["token_claims"].items() if k != "aud"}, "Missing a required claim: aud"),
        ("issuer of another provider", {**T08["token_claims"], "iss": "https://evil.example.com"}, "No OpenIDConnect provider found"),
    ],
)
def test_sts_refuses_a_token_that_does_not_fit_the_provider_before_the_trust_policy(
    rule: str, claims: dict[str, Any], message: str
) -> None:
    outcome = decide_case({**T08, "token_claims": claims, "expected": "Deny"})
    assert outcome.decision == "Deny" and outcome.result is None
    assert outcome.error is not None and outcome.error.code == "InvalidIdentityToken" and message in outcome.error.message


def test_array_audience_uses_the_registered_client_id() -> None:
    outcome = decide_case({**T08, "token_claims": {**T08["token_claims"], "aud": ["my-spa-client"]}})
    assert outcome.decision == "Allow"
    assert outcome.authorizations[0].context["auth.example.com:aud"] == "my-spa-client"


def test_an_untrusted_extra_audience_is_refused_as_sts_refuses_it() -> None:
    """OIDC Core 3.1.3.7 (3), security-anchors §2 row 22: every ``aud`` must be trusted. simulate
    runs STS's own check (``iam_policies.token_checks``), so it cannot be laxer than the STS."""
    outcome = decide_case({**T08, "token_claims": {**T08["token_claims"], "aud": ["other", "my-spa-client"]},
                           "expected": "Deny"})
    assert outcome.decision == "Deny" and outcome.result is None
    assert outcome.error is not None and (outcome.error.code, outcome.error.message) == (
        "InvalidIdentityToken", "Incorrect token audience")


def test_a_case_names_the_stream_an_opaque_shard_iterator_belongs_to() -> None:
    k06 = next(c for c in CASES if c["id"] == "FGAC-K06")
    outcome = decide_case(k06)
    assert [(a.action, a.resource) for a in outcome.authorizations] == [
        ("dynamodb:GetRecords", k06["request"]["resource"])]
    elsewhere = json.loads(json.dumps(k06))
    elsewhere["request"]["resource"] = "arn:aws:dynamodb:us-west-2:123456789012:table/Other/stream/2024-01-01T00:00:00.000"
    assert decide_case(elsewhere).decision == "Deny"
