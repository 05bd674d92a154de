"""Condition operators (IAM UG *Condition operators* S11, *multivalued keys* S12; spec C.4-C.6, G-11).

Each row: a condition block, the request context, the outcome, and the rule it shows.
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.conditions import compile_block
from iam_policies.errors import MalformedPolicyDocument

LK = "dynamodb:LeadingKeys"
ATTRS = "dynamodb:Attributes"


def holds(block: dict[str, Any], context: dict[str, Any], *, substitute: bool = True) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    conditions = compile_block(block, substitute=substitute, path="$.Condition")
    return all(c.evaluate(lambda name: lowered.get(name)) for c in conditions)


ROWS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # -- String
    ("StringEquals is exact", {"StringEquals": {"k": "Abc"}}, {"k": "Abc"}, True),
    ("StringEquals is case-sensitive", {"StringEquals": {"k": "Abc"}}, {"k": "abc"}, False),
    ("StringEquals has no wildcards", {"StringEquals": {"k": "A*"}}, {"k": "Abc"}, False),
    ("values of one key are OR'ed", {"StringEquals": {"k": ["x", "Abc"]}}, {"k": "Abc"}, True),
    ("StringNotEquals: NOR over values", {"StringNotEquals": {"k": ["x", "Abc"]}}, {"k": "Abc"}, False),
    ("StringNotEquals true when equal to none", {"StringNotEquals": {"k": ["x", "y"]}}, {"k": "Abc"}, True),
    ("IgnoreCase ignores case", {"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, True),
    ("NotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, False),
    ("StringLike glob", {"StringLike": {"k": "Top*"}}, {"k": "TopScore"}, True),
    ("StringLike is case-sensitive", {"StringLike": {"k": "top*"}}, {"k": "TopScore"}, False),
    ("StringLike ? is one char", {"StringLike": {"k": "a?c"}}, {"k": "abbc"}, False),
    ("StringNotLike", {"StringNotLike": {"k": ["Free*", "Boss*"]}}, {"k": "Wins"}, True),
    ("key names are case-insensitive", {"StringEquals": {"AWS:SourceIP": "x"}}, {"aws:sourceip": "x"}, True),
    # -- absent keys
    ("absent key: positive operator false", {"StringEquals": {"k": "x"}}, {}, False),
    ("absent key: negated operator true", {"StringNotEquals": {"k": "x"}}, {}, True),
    ("IfExists: absent is true", {"StringEqualsIfExists": {"k": "x"}}, {}, True),
    ("IfExists: present is tested", {"StringEqualsIfExists": {"k": "x"}}, {"k": "y"}, False),
    ("NotEqualsIfExists: present and equal is false", {"StringNotEqualsIfExists": {"k": "NONE"}}, {"k": "NONE"}, False),
    ("NotEqualsIfExists: absent is true", {"StringNotEqualsIfExists": {"k": "NONE"}}, {}, True),
    ("NumericLessThanIfExists: absent is true", {"NumericLessThanIfExists": {"n": "5"}}, {}, True),
    ("NumericLessThanIfExists: present is tested", {"NumericLessThanIfExists": {"n": "5"}}, {"n": 7}, False),
    ("DateGreaterThanIfExists: absent is true", {"DateGreaterThanIfExists": {"t": "2020-01-01"}}, {}, True),
    ("BoolIfExists: present is tested", {"BoolIfExists": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}, False),
    ("IpAddressIfExists: absent is true", {"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ("ArnLikeIfExists: present is tested", {"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "arn:aws:s3:::c"}, False),
    ("NumericEquals: absent is false", {"NumericEquals": {"n": "5"}}, {}, False),
    ("NotIpAddress: absent is true", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ("ForAllValues with IfExists: absent is true", {"ForAllValues:StringEqualsIfExists": {ATTRS: "a"}}, {}, True),
    ("ForAnyValue with IfExists: absent is true (G-11)", {"ForAnyValue:StringEqualsIfExists": {ATTRS: "a"}}, {}, True),
    # -- Null
    ("Null true: key absent", {"Null": {"k": "true"}}, {}, True),
    ("Null true: key present", {"Null": {"k": "true"}}, {"k": "v"}, False),
    ("Null false: key present", {"Null": {"k": "false"}}, {"k": "v"}, True),
    ("Null false: key absent", {"Null": {"k": "false"}}, {}, False),
    ("Null false: empty set counts as absent", {"Null": {LK: "false"}}, {LK: []}, False),
    ("Null takes a JSON boolean", {"Null": {"k": False}}, {"k": "v"}, True),
    # -- set operators
    ("ForAllValues: every value in the list", {"ForAllValues:StringEquals": {ATTRS: ["a", "b"]}}, {ATTRS: ["a", "b"]}, True),
    ("ForAllValues: one value outside fails", {"ForAllValues:StringEquals": {ATTRS: ["a", "b"]}}, {ATTRS: ["a", "c"]}, False),
    ("ForAllValues: absent key is true", {"ForAllValues:StringEquals": {LK: "alice"}}, {}, True),
    ("ForAllValues: empty set is true", {"ForAllValues:StringEquals": {LK: "alice"}}, {LK: []}, True),
    ("ForAnyValue: one value inside suffices", {"ForAnyValue:StringEquals": {ATTRS: ["SSN"]}}, {ATTRS: ["a", "SSN"]}, True),
    ("ForAnyValue: none inside", {"ForAnyValue:StringEquals": {ATTRS: ["SSN"]}}, {ATTRS: ["a"]}, False),
    ("ForAnyValue: absent key is false", {"ForAnyValue:StringEquals": {ATTRS: ["SSN"]}}, {}, False),
    ("ForAnyValue: empty set is false", {"ForAnyValue:StringEquals": {ATTRS: ["SSN"]}}, {ATTRS: []}, False),
    ("ForAllValues:StringNotLike: no value may match", {"ForAllValues:StringNotLike": {ATTRS: ["Free*"]}}, {ATTRS: ["Wins", "FreeGames"]}, False),
    ("ForAllValues:StringNotLike: none matches", {"ForAllValues:StringNotLike": {ATTRS: ["Free*"]}}, {ATTRS: ["Wins"]}, True),
    ("ForAllValues:StringNotLike: absent key true", {"ForAllValues:StringNotLike": {ATTRS: ["Free*"]}}, {}, True),
    ("ForAnyValue on a single-valued key: one-element set", {"ForAnyValue:StringEquals": {"dynamodb:EnclosingOperation": "TransactGetItems"}}, {"dynamodb:EnclosingOperation": "TransactGetItems"}, True),
    ("plain operator on a multivalued key: any value matches (G-11)", {"StringEquals": {LK: "alice"}}, {LK: ["bob", "alice"]}, True),
    # -- AND / OR structure
    ("keys under one operator are AND'ed", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
    ("operators are AND'ed", {"StringEquals": {"a": "1"}, "StringLike": {"b": "2*"}}, {"a": "1", "b": "20"}, True),
    # -- variables
    ("variable substituted", {"ForAllValues:StringEquals": {LK: "${www.amazon.com:user_id}"}}, {LK: ["u1"], "www.amazon.com:user_id": "u1"}, True),
    ("null variable never matches a positive operator", {"StringEquals": {"k": "${missing}"}}, {"k": ""}, False),
    ("null variable: negated operator matches", {"StringNotEquals": {"k": "${missing}"}}, {"k": "x"}, True),
    ("variable default", {"StringEquals": {"k": "${missing, 'd'}"}}, {"k": "d"}, True),
    ("substituted * is literal in StringLike", {"StringLike": {"k": "${v}"}}, {"k": "abc", "v": "*"}, False),
    ("${*} is a literal star in StringLike", {"StringLike": {"k": "a${*}"}}, {"k": "a*"}, True),
    ("StringLike with a variable prefix", {"StringLike": {"k": "${v}/*"}}, {"k": "u1/photo", "v": "u1"}, True),
    # -- Numeric
    ("NumericEquals", {"NumericEquals": {"n": "10"}}, {"n": 10}, True),
    ("NumericEquals decimal", {"NumericEquals": {"n": "10.0"}}, {"n": "10"}, True),
    ("NumericLessThan", {"NumericLessThan": {"n": 10}}, {"n": "9.5"}, True),
    ("NumericLessThanEquals", {"NumericLessThanEquals": {"n": "10"}}, {"n": "10"}, True),
    ("NumericGreaterThan", {"NumericGreaterThan": {"n": "10"}}, {"n": "10"}, False),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "10"}}, {"n": "11"}, True),
    ("NumericNotEquals", {"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
    ("Numeric: non-number request value never matches", {"NumericEquals": {"n": "10"}}, {"n": "ten"}, False),
    # -- Date
    ("DateLessThan ISO", {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-04-13T12:00:00Z"}, False),
    ("DateGreaterThan ISO", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-04-13T12:00:00Z"}, True),
    ("Date epoch against ISO", {"DateLessThan": {"aws:EpochTime": "1577836800"}}, {"aws:EpochTime": "2019-12-31T23:59:59Z"}, True),
    ("DateEquals across time zones", {"DateEquals": {"t": "2020-01-01T01:00:00+01:00"}}, {"t": "2020-01-01T00:00:00Z"}, True),
    ("DateNotEquals", {"DateNotEquals": {"t": "2020-01-01"}}, {"t": "2020-01-02"}, True),
    ("Date: year-month form", {"DateGreaterThanEquals": {"t": "2020-02"}}, {"t": "2020-02-01T00:00:00Z"}, True),
    ("DateLessThanEquals", {"DateLessThanEquals": {"t": "2020-01-01T00:00:00Z"}}, {"t": 1577836800}, True),
    # -- Bool
    ("Bool true", {"Bool": {"dynamodb:FullTableScan": "true"}}, {"dynamodb:FullTableScan": "true"}, True),
    ("Bool compares a JSON boolean", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": True}, True),
    ("Bool is case-insensitive on True", {"Bool": {"k": "True"}}, {"k": "true"}, True),
    ("Bool false vs true", {"Bool": {"k": "false"}}, {"k": True}, False),
    ("Bool with a variable (G-10)", {"Bool": {"k": "${v}"}}, {"k": "true", "v": "true"}, True),
    # -- Binary
    ("BinaryEquals", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": b"BinaryValue"}, True),
    ("BinaryEquals base64 request value", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": "QmluYXJ5VmFsdWU="}, True),
    ("BinaryEquals differs", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWU="}}, {"b": b"Other"}, False),
    # -- IP
    ("IpAddress in CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress outside CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.7"}, False),
    ("IpAddress bare address is /32", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress IPv6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}, True),
    ("IPv4 value vs IPv6 block", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "203.0.113.7"}, False),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}}, {"aws:SourceIp": "192.0.2.1"}, True),
    ("NotIpAddress inside one block", {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}}, {"aws:SourceIp": "10.1.2.3"}, False),
    ("IpAddress: junk request value", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "nope"}, False),
    # -- ARN
    ("ArnLike per part", {"ArnLike": {"aws:SourceArn": "arn:aws:dynamodb:*:*:table/Game*"}}, {"aws:SourceArn": "arn:aws:dynamodb:us-west-2:1:table/GameScores"}, True),
    ("ArnLike: * does not cross a colon", {"ArnLike": {"aws:SourceArn": "arn:aws:*:table/G"}}, {"aws:SourceArn": "arn:aws:dynamodb:us-west-2:1:table/G"}, False),
    ("ArnEquals is ArnLike", {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::b/*"}}, {"aws:SourceArn": "arn:aws:s3:::b/x/y"}, True),
    ("ArnLike is case-sensitive", {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::B"}}, {"aws:SourceArn": "arn:aws:s3:::b"}, False),
    ("ArnNotLike", {"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "arn:aws:s3:::c"}, True),
    ("ArnNotEquals equal", {"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:::b"}}, {"aws:SourceArn": "arn:aws:s3:::b"}, False),
    ("ArnLike with a variable", {"ArnLike": {"aws:SourceArn": "${aws:PrincipalArn}"}}, {"aws:SourceArn": "arn:aws:iam::1:role/R", "aws:PrincipalArn": "arn:aws:iam::1:role/R"}, True),
]


@pytest.mark.parametrize(("rule", "block", "context", "outcome"), ROWS, ids=[r[0] for r in ROWS])
def test_condition(rule: str, block: dict[str, Any], context: dict[str, Any], outcome: bool) -> None:
    assert holds(block, context) is outcome


def test_version_2008_compares_variables_as_text() -> None:
    block = {"StringEquals": {"k": "${v}"}}
    assert holds(block, {"k": "${v}", "v": "x"}, substitute=False)
    assert not holds(block, {"k": "x", "v": "x"}, substitute=False)



@pytest.mark.parametrize(
    ("rule", "block", "context", "outcome"),
    [
        ("${?} and ${$} alone render as text", {"StringEquals": {"k": "a${?}b${$}"}}, {"k": "a?b$"}, True),
        ("the source spelling is not the value", {"StringEquals": {"k": "a${?}b${$}"}}, {"k": "a${?}b${$}"}, False),
        ("IgnoreCase renders escapes too", {"StringEqualsIgnoreCase": {"k": "A${$}"}}, {"k": "a$"}, True),
        ("a star from ${*} is literal under StringLike", {"StringLike": {"k": "team-${*}"}}, {"k": "team-7"}, False),
        ("and matches a literal star", {"StringLike": {"k": "team-${*}"}}, {"k": "team-*"}, True),
    ],
)
def test_escapes_without_variables(rule: str, block: dict[str, Any], context: dict[str, Any], outcome: bool) -> None:
    """S14: ``${*}``, ``${?}``, ``${$}`` are literal characters even when a value holds no variable.

    Found by FGAC-K33 of tests/corpus/fgac-extra-cases.json: a value with only escapes used to be
    compared in its source spelling.
    """
    assert holds(block, context) is outcome

BAD = [
    ("unknown operator", {"StringEqual": {"k": "v"}}, "$.Condition.StringEqual", "Invalid Condition type"),
    ("unknown set prefix", {"ForSomeValues:StringEquals": {"k": "v"}}, "$.Condition.ForSomeValues:StringEquals", "Invalid Condition type"),
    ("Null with IfExists", {"NullIfExists": {"k": "true"}}, "$.Condition.NullIfExists", "Invalid Condition type"),
    ("operator without keys", {"StringEquals": {}}, "$.Condition.StringEquals", "must map condition keys"),
    ("operator with a list", {"StringEquals": ["k"]}, "$.Condition.StringEquals", "must map condition keys"),
    ("object value", {"StringEquals": {"k": {"a": 1}}}, "$.Condition.StringEquals.k", "strings, numbers or booleans"),
    ("null value", {"StringEquals": {"k": None}}, "$.Condition.StringEquals.k", "strings, numbers or booleans"),
    ("nested list", {"StringEquals": {"k": ["a", ["b"]]}}, "$.Condition.StringEquals.k[1]", "strings, numbers or booleans"),
    ("empty value list", {"StringEquals": {"k": []}}, "$.Condition.StringEquals.k", "must not be empty"),
    ("non-number for Numeric", {"NumericLessThan": {"n": "ten"}}, "$.Condition.NumericLessThan.n", "not a number"),
    ("non-date for Date", {"DateLessThan": {"t": "yesterday"}}, "$.Condition.DateLessThan.t", "not an ISO 8601 date"),
    ("bad CIDR", {"IpAddress": {"aws:SourceIp": "10.0.0.0/99"}}, "$.Condition.IpAddress.aws:SourceIp", "not an IP address"),
    ("non-boolean for Bool", {"Bool": {"k": "yes"}}, "$.Condition.Bool.k", "not true or false"),
    ("non-boolean for Null", {"Null": {"k": "maybe"}}, "$.Condition.Null.k", "Null takes true or false"),
    ("non-base64 for Binary", {"BinaryEquals": {"b": "***"}}, "$.Condition.BinaryEquals.b", "not base64"),
    ("Condition not an object", ["StringEquals"], "$.Condition", "must be an object"),
]


@pytest.mark.parametrize(("rule", "block", "path", "reason"), BAD, ids=[r[0] for r in BAD])
def test_malformed_conditions_name_the_path(rule: str, block: Any, path: str, reason: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as caught:
        compile_block(block, substitute=True, path="$.Condition")
    assert caught.value.path == path
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("block", "context", "explanation"),
    [
        ({"ForAllValues:StringEquals": {ATTRS: ["a", "b"]}}, {ATTRS: ["a", "x", "y"]}, 'ForAllValues:StringEquals dynamodb:Attributes ["a", "b"]: fails for "x", "y"'),
        ({"StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}, {"dynamodb:Select": "COUNT"}, 'StringEquals dynamodb:Select "SPECIFIC_ATTRIBUTES": the request has "COUNT"'),
        ({"Null": {LK: "false"}}, {}, 'Null dynamodb:LeadingKeys "false": the key is absent'),
        ({"StringEquals": {"k": "v"}}, {}, 'StringEquals k "v": the key is absent'),
    ],
)
def test_a_false_condition_explains_itself(block: dict[str, Any], context: dict[str, Any], explanation: str) -> None:
    lowered = {k.lower(): v for k, v in context.items()}
    (condition,) = compile_block(block, substitute=True, path="$")
    assert condition.explain(lambda name: lowered.get(name)) == explanation
