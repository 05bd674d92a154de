"""``lint(document)``: every finding about a policy document, as data.

First the document must be one IAM accepts (``IAM000``, from the same parser the evaluator uses,
with the JSON path of the problem); then the FGAC rules of ``rules.py`` and ``pitfalls.py`` run on
it, and, given an intent (``iam_policies.intent``), the checks that need to know what the policy is
meant to allow (``pitfalls.intent_findings``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iam_policies.errors import MalformedPolicyDocument
from iam_policies.lint import pitfalls  # registers its rules in RULES
from iam_policies.lint.findings import Finding, Severity
from iam_policies.lint.rules import RULES, lint_document, path_order

__all__ = ["Finding", "Severity", "RULES", "lint"]


def lint(document: str | Mapping[str, Any], *, kind: str = "identity", source: str = "",
         intent: Any = None) -> list[Finding]:
    from iam_policies.policy import Policy

    findings: list[Finding] = []
    try:
        raw = json.loads(document) if isinstance(document, str) else dict(document)
    except json.JSONDecodeError as exc:
        return [Finding("IAM000", Severity.ERROR, f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                        "$", source)]
    if not isinstance(raw, dict):
        return [Finding("IAM000", Severity.ERROR, "a policy document must be a JSON object", "$", source)]
    try:
        Policy.parse(document if isinstance(document, str) else raw, kind=kind)
    except MalformedPolicyDocument as exc:
        findings.append(Finding("IAM000", Severity.ERROR, exc.reason, exc.path, source))
    found = lint_document(raw)
    if intent is not None and kind != "trust":
        # The intent says whether creating is meant: its FGAC009 replaces the guess made without it.
        found = sorted([*(f for f in found if f.code != "FGAC009"), *pitfalls.intent_findings(raw, intent)],
                       key=lambda f: (f.severity.rank, path_order(f.path), f.code))
    findings += [Finding(f.code, f.severity, f.message, f.path, source) for f in found]
    return findings
