"""Wildcard matching of actions and resources (IAM UG Action/Resource elements; spec C.2, C.3, C.7)."""

from __future__ import annotations

import pytest

from iam_policies.matching import ActionMatcher, ArnPattern, glob_match
from iam_policies.variables import Lookup

TABLE = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"


def lookup_of(values: dict[str, str]) -> Lookup:
    lowered = {k.lower(): v for k, v in values.items()}
    return lambda name: lowered.get(name)


NO_VARS = lookup_of({})

ACTIONS = [
    # (patterns, action, matches, rule)
    (["dynamodb:GetItem"], "dynamodb:GetItem", True, "exact name"),
    (["dynamodb:GetItem"], "DynamoDB:getitem", True, "service and name are case-insensitive"),
    (["DYNAMODB:GETITEM"], "dynamodb:GetItem", True, "pattern case does not matter either"),
    (["dynamodb:Get*"], "dynamodb:GetRecords", True, "* matches any run"),
    (["dynamodb:Get*"], "dynamodb:BatchGetItem", False, "* does not make a prefix match a suffix"),
    (["dynamodb:*Item"], "dynamodb:PutItem", True, "* at the start of the name"),
    (["dynamodb:?etItem"], "dynamodb:GetItem", True, "? matches exactly one character"),
    (["dynamodb:?etItem"], "dynamodb:GGetItem", False, "? matches no more than one"),
    (["dynamodb:*"], "dynamodb:Query", True, "service wildcard"),
    (["dynamodb:*"], "sts:AssumeRoleWithWebIdentity", False, "other services do not match"),
    (["*"], "sts:AssumeRoleWithWebIdentity", True, "* alone matches every action"),
    (["dynamodb:GetItem", "dynamodb:Query"], "dynamodb:Query", True, "a list is OR'ed"),
    (["dynamodb:Get.tem"], "dynamodb:GetItem", False, "regex characters are literal"),
    (["dynamodb:GetItem"], "dynamodb:GetItems", False, "the whole name must match"),
]


@pytest.mark.parametrize(("patterns", "action", "matches", "rule"), ACTIONS, ids=[r[3] for r in ACTIONS])
def test_action_matching(patterns: list[str], action: str, matches: bool, rule: str) -> None:
    assert ActionMatcher(tuple(patterns)).matches(action.lower()) is matches


RESOURCES = [
    # (pattern, arn, variables, matches, rule)
    (TABLE, TABLE, {}, True, "exact ARN"),
    ("*", "arn:aws:dynamodb:us-west-2:1:table/X/stream/2024-01-01T00:00:00.000", {}, True, "* alone matches all"),
    (TABLE.replace("GameScores", "gamescores"), TABLE, {}, False, "ARNs are case-sensitive"),
    (TABLE + "*", TABLE + "/index/GameTitleIndex", {}, True, "* in the resource part crosses /"),
    (TABLE + "*", TABLE + "Archive", {}, True, "trailing * also matches longer table names (pitfall)"),
    (TABLE, TABLE + "/index/GameTitleIndex", {}, False, "a table ARN does not cover its indexes"),
    (TABLE + "/index/*", TABLE + "/index/TopScoreDateTimeIndex", {}, True, "index/* covers every index"),
    ("arn:aws:dynamodb:*:*:table/GameScores", TABLE, {}, True, "region and account wildcards"),
    ("arn:aws:dynamodb:us-east-1:*:table/GameScores", TABLE, {}, False, "the region part must match"),
    ("arn:aws:dynamodb:*:table/GameScores", TABLE, {}, False, "* in a part does not cross a colon"),
    ("arn:aws:dynamodb:us-west-?:123456789012:table/GameScores", TABLE, {}, True, "? within a part"),
    (TABLE + "/*", TABLE + "/stream/2024-01-01T00:00:00.000", {}, True, "resource part keeps its colons"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}", TABLE, {"aws:username": "GameScores"}, True, "variable in the resource part"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/${AWS:UserName}", TABLE, {"aws:username": "GameScores"}, True, "variable names are case-insensitive"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}", TABLE, {}, False, "an unresolved variable matches nothing"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}", TABLE, {"aws:username": "*"}, False, "a substituted * is literal"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/Game${*}", "arn:aws:dynamodb:us-west-2:123456789012:table/Game*", {}, True, "${*} is a literal star"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/Game${*}", TABLE, {}, False, "${*} is not a wildcard"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:x, 'GameScores'}", TABLE, {}, True, "default value when absent"),
    ("arn:aws:dynamodb:us-west-2:123456789012:table/Game.cores", TABLE, {}, False, "regex characters are literal"),
]


@pytest.mark.parametrize(("pattern", "arn", "variables", "matches", "rule"), RESOURCES, ids=[r[4] for r in RESOURCES])
def test_resource_matching(pattern: str, arn: str, variables: dict[str, str], matches: bool, rule: str) -> None:
    assert ArnPattern.parse(pattern, substitute=True).matches(arn, lookup_of(variables)) is matches


def test_version_2008_leaves_variables_as_text() -> None:
    pattern = ArnPattern.parse("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}", substitute=False)
    assert not pattern.matches(TABLE, lookup_of({"aws:username": "GameScores"}))
    assert pattern.matches("arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}", NO_VARS)


def test_resource_variables_outside_the_resource_part_are_not_substituted() -> None:
    pattern = ArnPattern.parse("arn:aws:dynamodb:${aws:region}:123456789012:table/GameScores", substitute=True)
    assert not pattern.matches(TABLE, lookup_of({"aws:region": "us-west-2"}))


@pytest.mark.parametrize(
    ("pattern", "value", "ignore_case", "matches"),
    [
        ("Top*", "TopScore", False, True),
        ("top*", "TopScore", False, False),
        ("top*", "TopScore", True, True),
        ("a?c", "abc", False, True),
        ("a?c", "ac", False, False),
        ("*", "", False, True),
        ("a*", "a\nb", False, True),
    ],
)
def test_glob_match(pattern: str, value: str, ignore_case: bool, matches: bool) -> None:
    assert glob_match(pattern, value, ignore_case=ignore_case) is matches


STARRY = "*a" * 15 + "*b"


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (STARRY, "a" * 20000, False),
        (STARRY, "a" * 20000 + "b", True),
        ("*a*b*c*d*e*f*g*h*i*j*k*", "abcdefghij" * 2000, False),
    ],
    ids=["no b", "b at the end", "missing last run"],
)
def test_many_stars_against_long_values_do_not_backtrack(pattern: str, value: str, matches: bool) -> None:
    # a naive ".*a.*a...b" regex takes minutes on 40 characters; session policies come from callers
    assert glob_match(pattern, value) is matches


@pytest.mark.timeout(10)
def test_many_stars_in_arn_parts_do_not_backtrack() -> None:
    pattern = ArnPattern.parse(f"arn:aws:dynamodb:{STARRY}:*:table/{STARRY}", substitute=True)
    assert not pattern.matches(f"arn:aws:dynamodb:{'a' * 5000}:1:table/{'a' * 5000}", NO_VARS)
    assert pattern.matches(f"arn:aws:dynamodb:{'a' * 5000}b:1:table/{'a' * 5000}b", NO_VARS)
