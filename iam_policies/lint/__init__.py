"""``lint(document)``: every finding about a policy document, as data.

First the document must be one IAM accepts (``IAM000``, from the same parser the evaluator uses,
with the JSON path of the problem); then the FGAC rules of ``rules.py`` run on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iam_policies.errors import MalformedPolicyDocument
from iam_policies.lint.findings import Finding, Severity
from iam_policies.lint.rules import RULES, lint_document

__all__ = ["Finding", "Severity", "RULES", "lint"]


def lint(document: str | Mapping[str, Any], *, kind: str = "identity", source: str = "") -> list[Finding]:
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
    findings += [
        Finding(f.code, f.severity, f.message, f.path, source) for f in lint_document(raw)
    ]
    return findings
