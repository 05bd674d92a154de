"""What the two case-file tests (public ``fgac-cases.json`` and our ``fgac-extra-cases.json``)
share: deciding a case on the context it states, comparing contexts, and checking what the whole
pipeline derived against what a case states."""

from __future__ import annotations

from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb import as_case_context
from iam_policies.evaluate import evaluate, evaluate_trust
from iam_policies.policy import Policy
from iam_policies.simulation import CaseOutcome


def given_authorizations(case: dict[str, Any]) -> list[Authorization]:
    request = case["request"]
    entries = request.get("authorizations") or [request]
    return [Authorization(e["action"], e["resource"], e["context"]) for e in entries]


def decide_on_given_context(case: dict[str, Any]) -> tuple[str, str | None]:
    """The evaluator alone, fed the request context the case states: ``(decision, deny_type)``."""
    if case["request"]["operation"] == "AssumeRoleWithWebIdentity":
        trust = Policy.parse(case["policy"], kind="trust")
        decision = evaluate_trust(trust, given_authorizations(case)[0],
                                  principal={"Federated": [case["federated_principal"]]})
    else:
        session = [Policy.parse(case["session_policy"], kind="session")] if "session_policy" in case else None
        decision = evaluate(given_authorizations(case), identity=[Policy.parse(case["policy"])],
                            session=session, variables=case["principal_vars"])
    return ("Allow" if decision.allowed else "Deny", decision.deny_type)


def plain(context: Any) -> dict[str, Any]:
    """Multivalued keys compare as sets (their order carries no meaning)."""
    return {k: sorted(v) if isinstance(v, (list, tuple)) else v for k, v in dict(context).items()}


def check_end_to_end(case: dict[str, Any], outcome: CaseOutcome) -> None:
    """``simulate``'s outcome matches the case: the decision and deny type, and for ``documented``
    cases each derived authorization's action, resource and context are the ones stated."""
    assert (outcome.decision, outcome.deny_type) == (case["expected"], case.get("deny_type"))
    if case["confidence"] != "documented":
        return
    request = case["request"]
    derived = [plain(as_case_context(a.context)) for a in outcome.authorizations]
    stated = request["authorizations"] if "authorizations" in request else [request]
    assert [(a.action, a.resource) for a in outcome.authorizations] == [
        (e["action"], e["resource"]) for e in stated
    ]
    assert derived == [plain(e["context"]) for e in stated]
