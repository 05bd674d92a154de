"""The general patterns (``iam_policies/patterns``): each renders, lints without errors, ships an
intent the intent loader accepts, and passes its own verify cases (one Allow and one Deny at least)."""

from __future__ import annotations

import json

import pytest

from iam_policies.catalog import pattern_file, pattern_meta, pattern_names
from iam_policies.deployment import DeploymentParams
from iam_policies.intent import load_intent
from iam_policies.lint import lint
from iam_policies.render import render
from iam_policies.verify import verify

PARAMS = DeploymentParams(account="123456789012", region="eu-west-1", table_prefix="t-")


def test_the_six_patterns_of_issue_9_ship() -> None:
    assert pattern_names() == sorted([
        "private-items", "public-read-owner-write", "attribute-limited-profile", "public-directory",
        "shared-by-two", "per-user-index-queries"])


@pytest.mark.parametrize("name", pattern_names())
def test_the_pattern_renders_and_lints_without_errors(name: str) -> None:
    policy = render(name, PARAMS.template_params())
    assert "{{" not in json.dumps(policy) and ":eu-west-1:123456789012:table/t-" in json.dumps(policy)
    errors = [f for f in lint(policy) if f.severity.value == "error"]
    assert errors == []


@pytest.mark.parametrize("name", pattern_names())
def test_the_intent_names_the_pattern_s_tables(name: str) -> None:
    intent = load_intent(json.loads(pattern_file(name, "intent.json")), PARAMS.template_params())
    tables = {PARAMS.table_name(logical) for logical in pattern_meta(name)["tables"]}
    assert {rule.table for rule in intent.allow} <= tables and intent.allow
    assert intent.identity == "${idp.localhost/dev:sub}"


@pytest.mark.parametrize("name", pattern_names())
def test_the_pattern_passes_its_cases(name: str) -> None:
    outcomes = verify(json.loads(pattern_file(name, "cases.json")), PARAMS)
    assert {o.decision for o in outcomes} == {"Allow", "Deny"}
    assert [o.id for o in outcomes if not o.matches] == []
