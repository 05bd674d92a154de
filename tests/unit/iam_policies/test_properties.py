"""Property tests: wildcard matching against a reference, set-operator laws, parsing never crashes."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_policies.conditions import compile_block
from iam_policies.errors import MalformedPolicyDocument
from iam_policies.matching import ActionMatcher, ArnPattern, glob_match
from iam_policies.policy import Policy

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_glob(pattern: str, value: str) -> bool:
    """fnmatch-like, only ``*`` and ``?`` special; dynamic programming, no regexes."""

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return match(i + 1, j) or (j < len(value) and match(i, j + 1))
        if j < len(value) and (pattern[i] == "?" or pattern[i] == value[j]):
            return match(i + 1, j + 1)
        return False

    return match(0, 0)


def reference_arn(pattern: str, arn: str) -> bool:
    """Spec C.3/C.5: six colon-separated parts, each matched on its own."""
    if pattern == "*":
        return True
    p, a = pattern.split(":", 5), arn.split(":", 5)
    if len(p) != len(a):
        return False
    return all(reference_glob(pp, ap) if ":" not in pp or index == 5 else False for index, (pp, ap) in enumerate(zip(p, a, strict=True)))


PATTERN = st.text(alphabet="ab.*?[\\", max_size=8)
VALUE = st.text(alphabet="ab.[\\", max_size=8)


@FAST
@given(PATTERN, VALUE)
def test_string_like_matches_the_reference(pattern: str, value: str) -> None:
    assert glob_match(pattern, value) is reference_glob(pattern, value)


@FAST
@given(st.text(alphabet="aB*?", min_size=1, max_size=6), st.text(alphabet="Ab", min_size=1, max_size=6))
def test_actions_match_the_reference_case_insensitively(name_pattern: str, name: str) -> None:
    expected = reference_glob(name_pattern.lower(), name.lower())
    assert ActionMatcher((f"dynamodb:{name_pattern}",)).matches(f"DynamoDB:{name}".lower()) is expected


ARN_PART = st.text(alphabet="ab/*?", max_size=4)
ARN_VALUE_PART = st.text(alphabet="aB/", max_size=4)


@FAST
@given(st.lists(ARN_PART, min_size=6, max_size=6), st.lists(ARN_VALUE_PART, min_size=6, max_size=7))
def test_resources_match_the_reference_part_by_part(pattern_parts: list[str], value_parts: list[str]) -> None:
    pattern, arn = ":".join(pattern_parts), ":".join(value_parts)
    assert ArnPattern.parse(pattern, substitute=True).matches(arn, lambda _: None) is reference_arn(pattern, arn)


@FAST
@given(st.text(alphabet="ab*?:", max_size=6))
def test_substituted_values_are_literal(user_value: str) -> None:
    pattern = ArnPattern.parse("arn:aws:dynamodb:r:1:table/${aws:username}", substitute=True)
    values = {"aws:username": user_value}
    assert pattern.matches(f"arn:aws:dynamodb:r:1:table/{user_value}", values.get)
    assert not pattern.matches("arn:aws:dynamodb:r:1:table/" + user_value + "x", values.get)


# -- set operators ---------------------------------------------------------------------------------

REQUEST_SET = st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c", "A"]), max_size=4))
POLICY_VALUES = st.lists(st.sampled_from(["a", "b", "c", "A*", "?"]), min_size=1, max_size=3)
BASES = ["StringEquals", "StringLike", "StringEqualsIgnoreCase"]


def holds(operator: str, policy_values: list[str], request: list[str] | None) -> bool:
    conditions = compile_block({operator: {"k": policy_values}}, substitute=True, path="$")
    context = {} if request is None else {"k": request}
    return conditions[0].evaluate(context.get)


@FAST
@given(st.sampled_from(BASES), POLICY_VALUES, REQUEST_SET)
def test_set_operator_laws(base: str, policy_values: list[str], request: list[str] | None) -> None:
    for_all = holds(f"ForAllValues:{base}", policy_values, request)
    for_any = holds(f"ForAnyValue:{base}", policy_values, request)
    if not request:  # absent key or empty set
        assert for_all is True and for_any is False
    else:
        assert not for_all or for_any  # ForAllValues:X and non-empty => ForAnyValue:X
        each = [holds(base, policy_values, [value]) for value in request]
        assert for_all is all(each) and for_any is any(each)


@FAST
@given(POLICY_VALUES, st.lists(st.sampled_from(["a", "b", "c", "A"]), min_size=1, max_size=4))
def test_negated_set_operator_is_de_morgan(policy_values: list[str], request: list[str]) -> None:
    # every value matches none of the patterns  <=>  no value matches any pattern
    assert holds("ForAllValues:StringNotLike", policy_values, request) is not holds("ForAnyValue:StringLike", policy_values, request)


# -- parsing never crashes -------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
ELEMENT = st.sampled_from(["Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition", "Other"])
STATEMENT_VALUE = st.one_of(
    JSON,
    st.sampled_from(["Allow", "Deny", "*", "dynamodb:GetItem", "arn:aws:dynamodb:r:1:table/T", "${aws:userid}"]),
    st.dictionaries(st.sampled_from(["StringEquals", "ForAllValues:StringLike", "Null", "NumericLessThan", "Bogus"]),
                    st.dictionaries(st.text(max_size=6), JSON, max_size=2), max_size=2),
)
STATEMENT = st.dictionaries(ELEMENT, STATEMENT_VALUE, max_size=6)
DOCUMENT = st.fixed_dictionaries(
    {"Statement": st.one_of(STATEMENT, st.lists(STATEMENT, max_size=3))},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "2020-01-01"]), "Id": JSON},
)


def parses_or_refuses(document: Any, kind: str) -> None:
    try:
        Policy.parse(document, kind=kind)
    except MalformedPolicyDocument as exc:
        assert exc.path.startswith("$") and exc.reason


@FUZZ
@given(DOCUMENT, st.sampled_from(["identity", "session", "trust", "resource"]))
def test_parse_never_crashes_on_documents(document: dict[str, Any], kind: str) -> None:
    parses_or_refuses(document, kind)
    parses_or_refuses(json.dumps(document), kind)


@FUZZ
@given(st.text(max_size=200) | JSON.map(json.dumps))
def test_parse_never_crashes_on_text(text: str) -> None:
    parses_or_refuses(text, "identity")
