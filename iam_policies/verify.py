"""``verify``: do the templates still mean what the data model says?

Scenarios are cases in the ``fgac-cases.json`` format whose ``policy`` (and ``session_policy``)
may name a template, ``{"template": "user-role"}``, and whose text may use the templates'
``{{Name}}`` parameters. They are rendered for a deployment, then decided exactly as ``simulate``
decides cases, so a template edit that opens or closes a door shows up before ``apply``. The
shipped scenarios (``iam_policies/scenarios/app.json``) are one row per rule of
``docs/data-model.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from iam_policies.deployment import DeploymentParams
from iam_policies.render import TemplateError, render, render_value
from iam_policies.simulation import CaseError, CaseOutcome, decide_case


def shipped_scenarios() -> str:
    return (resources.files("iam_policies") / "scenarios" / "app.json").read_text()


def render_scenarios(cases: Sequence[Mapping[str, Any]], params: DeploymentParams) -> list[dict[str, Any]]:
    values = params.template_params()
    rendered: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        try:
            case = render_value(dict(case), values, name=f"scenario [{index}]")
            for element in ("policy", "session_policy"):
                ref = case.get(element)
                if isinstance(ref, Mapping) and set(ref) == {"template"}:
                    case[element] = render(str(ref["template"]), values)
        except TemplateError as exc:
            raise CaseError(str(exc)) from None
        rendered.append(case)
    return rendered


def verify(cases: Sequence[Mapping[str, Any]], params: DeploymentParams) -> list[CaseOutcome]:
    return [
        decide_case(case, region=params.region, account=params.account)
        for case in render_scenarios(cases, params)
    ]
