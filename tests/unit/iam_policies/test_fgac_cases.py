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

from iam_policies.authorization import Authorization
from iam_policies.evaluate import evaluate, evaluate_trust
from iam_policies.policy import Policy

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec"
CASES: list[dict[str, Any]] = json.loads((SPEC / "fgac-cases.json").read_text())


def _given(case: dict[str, Any]) -> list[Authorization]:
    request = case["request"]
    entries = request.get("authorizations") or [request]
    return [Authorization(e["action"], e["resource"], e["context"]) for e in entries]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_evaluator_on_the_given_context(case: dict[str, Any]) -> None:
    request = case["request"]
    if request["operation"] == "AssumeRoleWithWebIdentity":
        trust = Policy.parse(case["policy"], kind="trust")
        decision = evaluate_trust(trust, _given(case)[0], principal={"Federated": [case["federated_principal"]]})
    else:
        session = [Policy.parse(case["session_policy"], kind="session")] if "session_policy" in case else None
        decision = evaluate(
            _given(case), identity=[Policy.parse(case["policy"])], session=session, variables=case["principal_vars"]
        )
    assert ("Allow" if decision.allowed else "Deny", decision.deny_type) == (case["expected"], case.get("deny_type"))
