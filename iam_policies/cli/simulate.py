"""``simulate``: decide cases in the ``fgac-cases.json`` format and explain why.

Input (spec ``README.md``, *The case format*): one case or an array, from a file or ``-``
(standard input, named explicitly so that the command never waits silently on a terminal); the
deciding is ``iam_policies.simulation``. As in ``verify``, a ``policy`` or ``session_policy`` may
name a template, ``{"template": "user-role"}``, and the case may use the templates' ``{{Name}}``
parameters: they are rendered for the local stack's deployment in ``--account`` and ``--region``.
Output: per case the decision, the
deny type and every derived authorization with its context and the statements that decided it.

Exit codes: 0 every case met its ``expected`` (or none had one), 1 a mismatch, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from iam_policies.cli import fail_line
from iam_policies.decision import AuthorizationResult
from iam_policies.simulation import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    CaseError,
    CaseOutcome,
    decide_case,
    load_cases,
)

# -- command ---------------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cases", metavar="CASES",
                        help="a JSON file of one case or an array of cases; - to read them from standard input")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    parser.add_argument("--id", action="append", dest="ids", metavar="ID", help="decide only the case with this id (repeat for several)")
    parser.add_argument("--region", default=DEFAULT_REGION,
                        help=f"region of the table when request.resource does not say, and of rendered "
                             f"templates (default {DEFAULT_REGION})")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT,
                        help=f"account of the table when request.resource does not say, and of rendered "
                             f"templates (default {DEFAULT_ACCOUNT})")


def run(args: argparse.Namespace) -> int:
    if args.cases == "-" and sys.stdin.isatty():
        print("error: simulate - reads cases from standard input, which is a terminal; pipe a file in "
              "or pass its path", file=sys.stderr)
        return 2
    try:
        cases = _rendered(load_cases(args.cases), args)
        if args.ids:
            cases = [c for c in cases if isinstance(c, Mapping) and c.get("id") in set(args.ids)]
        outcomes = [decide_case(case, region=args.region, account=args.account) for case in cases]
    except CaseError as exc:
        fail_line(f"{exc}")
        return 2
    return report(outcomes, args.format)


def report(outcomes: Sequence[CaseOutcome], output_format: str) -> int:
    """Print ``outcomes`` (``text`` or ``json``) and give the exit code ``simulate`` and ``verify``
    share: 1 when a case missed its ``expected``, else 0."""
    if output_format == "json":
        print(json.dumps([o.to_dict() for o in outcomes], indent=2))
    else:
        print(render_text(outcomes))
    return 1 if any(o.matches is False for o in outcomes) else 0


def _rendered(cases: list[Any], args: argparse.Namespace) -> list[Any]:
    """Cases naming a template or using ``{{Name}}`` parameters, rendered as ``verify`` does."""
    from iam_policies.deployment import DeploymentParams
    from iam_policies.verify import render_scenarios

    if "{{" not in json.dumps(cases) and not any(
        isinstance(case.get(element), Mapping) and set(case[element]) == {"template"}
        for case in cases for element in ("policy", "session_policy")
    ):
        return cases
    return render_scenarios(cases, DeploymentParams(account=args.account, region=args.region))


def render_text(outcomes: Sequence[CaseOutcome]) -> str:
    lines: list[str] = []
    for outcome in outcomes:
        head = f"{outcome.id}: {outcome.decision}" + (f" ({outcome.deny_type})" if outcome.deny_type else "")
        if outcome.matches is not None:
            wanted = outcome.expected or ""
            if outcome.expected_deny_type:
                wanted += f" ({outcome.expected_deny_type})"
            head += "   ok" if outcome.matches else f"   MISMATCH, expected {wanted}"
        lines.append(head + (f"   - {outcome.title}" if outcome.title else ""))
        if outcome.error is not None:
            lines.append(f"    {outcome.error.code}: {outcome.error.message} (refused before any authorization)")
        results = outcome.result.results if outcome.result is not None else ()
        for number, result in enumerate(results, 1):
            lines += _render_result(number, result)
        lines += [f"    note: {note}" for note in outcome.notes]
    matched = sum(1 for o in outcomes if o.matches)
    with_expectation = sum(1 for o in outcomes if o.matches is not None)
    lines.append(f"{len(outcomes)} case(s); {matched}/{with_expectation} matched expectations")
    return "\n".join(lines)


def _render_result(number: int, result: AuthorizationResult) -> list[str]:
    auth = result.authorization
    verdict = "Allow" if result.allowed else f"Deny ({result.deny_type})"
    lines = [f"  [{number}] {auth.action} on {auth.resource} -> {verdict}: {result.reason()}"]
    for key, value in auth.context.items():
        shown = json.dumps(list(value) if isinstance(value, (list, tuple)) else value)
        lines.append(f"      {key} = {shown}")
    for miss in result.near_misses:
        lines.append(f"      not applied: {miss.matched.label}: false: " + "; ".join(miss.failed))
    return lines
