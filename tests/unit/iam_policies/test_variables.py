"""Policy variables (IAM UG *Variables and tags*, S14; spec C.7)."""

from __future__ import annotations

import pytest

from iam_policies.authorization import ContextValue
from iam_policies.variables import Literal, Text, Variable, parse_template


def render(source: str, values: dict[str, ContextValue], *, substitute: bool = True) -> str | None:
    lowered = {k.lower(): v for k, v in values.items()}
    return parse_template(source, substitute=substitute).render(lambda name: lowered.get(name))


@pytest.mark.parametrize(
    ("source", "values", "rendered", "rule"),
    [
        ("${aws:userid}", {"aws:userid": "AROA:s"}, "AROA:s", "a variable is replaced by the key's value"),
        ("${AWS:UserId}", {"aws:userid": "AROA:s"}, "AROA:s", "key names are case-insensitive"),
        ("u-${sub}-x", {"sub": "42"}, "u-42-x", "text around a variable stays"),
        ("${sub}", {}, None, "an absent key without default is null"),
        ("${aws:PrincipalTag/team, 'company-wide'}", {}, "company-wide", "the default is used when absent"),
        ("${aws:PrincipalTag/team, 'company-wide'}", {"aws:principaltag/team": "red"}, "red", "the value wins over the default"),
        ("${*}${?}${$}", {}, "*?$", "escapes give literal characters"),
        ("${dynamodb:LeadingKeys}", {"dynamodb:leadingkeys": ["a"]}, None, "multivalued keys are not variables"),
        ("${flag}", {"flag": True}, "true", "booleans read as JSON"),
        ("${}", {}, "${}", "an empty placeholder is text"),
        ("${sub", {"sub": "42"}, "${sub", "an unclosed placeholder is text"),
        ("${sub}", {"sub": "42"}, "42", "plain variable"),
    ],
)
def test_render(source: str, values: dict[str, ContextValue], rendered: str | None, rule: str) -> None:
    assert render(source, values) == rendered


def test_version_2008_substitutes_nothing() -> None:
    assert render("${sub}", {"sub": "42"}, substitute=False) == "${sub}"


def test_parts_keep_wildcard_text_apart_from_literals() -> None:
    template = parse_template("a*${*}${sub}", substitute=True)
    assert template.parts == (Text("a*"), Literal("*"), Variable("sub", "sub"))
