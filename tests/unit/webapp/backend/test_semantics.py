"""The semantic layer's rules, one row each, with where DynamoDB's answer comes from.

Sources: DG-OPS = Developer Guide, "Comparison operator and function reference"; ALT = ScyllaDB
Alternator's test_condition_expression.py / test_expected.py, run against real DynamoDB (issue
8511 for the missing-attribute cases); API-COND = API Reference, ``Condition`` and
``ExpectedAttributeValue``; API-AV = API Reference, ``AttributeValue``; DG-PROJ = Developer
Guide, "Projection expressions".
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.dynamodb import expressions as ex
from webapp.backend.errors import DynamoDBValidationException
from webapp.backend.semantics import conditions, reads, tables, values
from webapp.backend.semantics.segments import number_bytes, segment_of
from webapp.backend.semantics.writes import key_reads_as_values, legacy_updates, sets_first

ITEM: dict[str, Any] = {
    "p": {"S": "k"},
    "n": {"N": "5"},
    "s": {"S": "cat"},
    "b": {"B": "AAECAw=="},  # 00 01 02 03
    "nul": {"NULL": True},
    "t": {"BOOL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.0"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}]},
    "m": {"M": {"innr": {"N": "7"}, "deep": {"L": [{"S": "d0"}, {"S": "d1"}]}}},
}

V = {
    ":five": {"N": "5"}, ":five_s": {"S": "5"}, ":six": {"N": "6.0"}, ":four": {"N": "4"},
    ":cat": {"S": "cat"}, ":ca": {"S": "ca"}, ":dog": {"S": "dog"},
    ":b01": {"B": "AAE="}, ":b12": {"B": "AQI="}, ":b9": {"B": "CQ=="},
    ":one": {"N": "1"}, ":two": {"N": "2"}, ":x": {"S": "x"}, ":a": {"S": "a"},
    ":ss": {"SS": ["b", "a"]}, ":N": {"S": "N"}, ":NULL": {"S": "NULL"}, ":seven": {"N": "7.00"},
    ":three": {"N": "3"},
}

# (expression, expected, source)
EXPRESSIONS = [
    ("n = :five", True, "DG-OPS"),
    ("n = :five_s", False, "ALT test_update_condition_eq_different: another type never equals"),
    ("n <> :five_s", True, "ALT test_update_condition_ne: another type is 'not equal'"),
    ("n = :six", False, "DG-OPS"),
    ("q = :five", False, "ALT test_update_condition_eq_unequal: a missing attribute equals nothing"),
    ("q = z", False, "ALT test_update_condition_eq_two_unset (issue 8511)"),
    ("q <> z", True, "ALT test_update_condition_ne_two_unset (issue 8511)"),
    ("q <> :five", True, "ALT test_update_condition_ne: a missing attribute is 'not equal'"),
    ("q < z", False, "ALT test_update_condition_comparison_two_unset"),
    ("q >= z", False, "ALT test_update_condition_comparison_two_unset"),
    ("q BETWEEN z AND x", False, "ALT test_update_condition_comparison_two_unset"),
    ("n < :five_s", False, "ALT test_update_condition_lt: other types are not ordered"),
    (":five_s > n", False, "ALT test_update_condition_lt"),
    ("l < :one", False, "ALT test_update_condition_lt: a list attribute is not ordered, not an error"),
    ("n > :four AND n < :six", True, "DG-OPS: numbers by value"),
    ("s < :dog AND s > :ca", True, "DG-OPS: strings by UTF-8 bytes"),
    ("b > :b01 AND b < :b12", True, "DG-OPS: binaries by unsigned bytes"),
    ("n BETWEEN :four AND :six", True, "DG-OPS"),
    ("n BETWEEN :cat AND :dog", False, "DG-OPS: BETWEEN of another type"),
    ("n IN (:one, :five)", True, "DG-OPS"),
    ("n IN (:five_s)", False, "DG-OPS: IN compares with ="),
    ("ss = :ss", True, "ALT test_update_condition_eq_set: sets in any order"),
    ("ns = :ns_same", True, "DG-OPS: number sets by value"),
    ("m.innr = :seven", True, "DG-OPS: nested path, numbers by value"),
    ("m.deep[1] = :d1", True, "DG-OPS: list element"),
    ("m.deep[5] = :d1", False, "DG-OPS: element past the end is missing"),
    ("attribute_exists(nul)", True, "API-COND NOT_NULL: an attribute holding NULL exists"),
    ("attribute_not_exists(nul)", False, "API-COND"),
    ("attribute_not_exists(q)", True, "DG-OPS"),
    ("attribute_type(n, :N)", True, "DG-OPS"),
    ("attribute_type(nul, :NULL)", True, "DG-OPS"),
    ("begins_with(s, :ca)", True, "DG-OPS"),
    ("begins_with(b, :b01)", True, "DG-OPS: begins_with on a binary"),
    ("begins_with(b, :b12)", False, "DG-OPS"),
    ("begins_with(n, :five_s)", False, "DG-OPS: only strings and binaries"),
    ("contains(s, :a)", True, "DG-OPS: substring"),
    ("contains(b, :b12)", True, "DG-OPS: contains on a binary"),
    ("contains(b, :b9)", False, "DG-OPS"),
    ("contains(ss, :a)", True, "DG-OPS: set member"),
    ("contains(ns, :two)", True, "DG-OPS: number set member by value"),
    ("contains(l, :x)", True, "DG-OPS: list element"),
    ("contains(q, :x)", False, "DG-OPS"),
    ("size(s) = :three", True, "DG-OPS: characters of a string"),
    ("size(b) = :four", True, "DG-OPS: bytes of a binary"),
    ("size(l) = :two", True, "DG-OPS: elements of a list"),
    ("size(q) = :two", False, "DG-OPS: size of a missing attribute compares false"),
    ("NOT (n = :five_s)", True, "DG-OPS"),
    ("n = :five_s OR s = :cat", True, "DG-OPS"),
]
V[":ns_same"] = {"NS": ["2", "1.000"]}
V[":d1"] = {"S": "d1"}


@pytest.mark.parametrize("expression, expected, source", EXPRESSIONS, ids=[row[0] for row in EXPRESSIONS])
def test_condition_expression(expression: str, expected: bool, source: str) -> None:
    used = ex.parse("ConditionExpression", expression).values
    condition = conditions.from_expression("ConditionExpression", expression, {}, {k: V[k] for k in used})
    assert condition(ITEM) is expected, source


# (legacy conditions, ConditionalOperator, expected=?, result, source)
LEGACY = [
    ({"nul": {"ComparisonOperator": "NOT_NULL"}}, None, False, True, "API-COND NOT_NULL: supported for all types"),
    ({"nul": {"ComparisonOperator": "NULL"}}, None, False, False, "API-COND NULL"),
    ({"q": {"ComparisonOperator": "NULL"}}, None, False, True, "API-COND NULL"),
    ({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "5"}]}}, None, False, False,
     "API-COND EQ: a value of another type does not match"),
    ({"n": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "5"}]}}, None, False, True, "API-COND NE"),
    ({"q": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "x"}]}}, None, False, False,
     "API-COND NOT_CONTAINS: of an attribute that is there"),
    ({"s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "x"}]}}, None, False, True, "API-COND"),
    ({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"S": "9"}]}}, None, False, False,
     "API-COND LT: another type does not match (never a TypeError)"),
    ({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
      "s": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "dog"}]}}, "AND", False, False,
     "API ConditionalOperator AND: all must hold"),
    ({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
      "s": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "dog"}]}}, "OR", False, True,
     "API ConditionalOperator OR: one is enough"),
    ({"q": {"Exists": False}}, None, True, True, "API ExpectedAttributeValue Exists false"),
    ({"n": {"Exists": False}}, None, True, False, "API ExpectedAttributeValue Exists false"),
    ({"n": {"Value": {"N": "5.0"}}}, None, True, True, "API ExpectedAttributeValue Value: ="),
    ({"n": {"Value": {"S": "5"}}}, None, True, False, "API ExpectedAttributeValue Value: ="),
    ({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}, None, True, True,
     "API-COND BETWEEN: inclusive"),
    ({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "3"}, {"N": "5"}]}}, None, True, True,
     "API-COND IN"),
]


@pytest.mark.parametrize("given, operator, expected_param, result, source", LEGACY,
                         ids=[f"{i}-{row[4][:30]}" for i, row in enumerate(LEGACY)])
def test_legacy_condition(given: dict[str, Any], operator: str | None, expected_param: bool, result: bool,
                          source: str) -> None:
    assert conditions.from_legacy(given, operator, expected=expected_param)(ITEM) is result, source


def test_a_missing_item_has_no_attributes() -> None:
    """Conditions on an item that does not exist see every attribute missing (DG, "Condition
    expressions": attribute_not_exists on a new item)."""
    assert conditions.from_expression("ConditionExpression", "attribute_not_exists(p)", {}, {})(None)
    assert not conditions.from_legacy({"n": {"Value": {"N": "5"}}}, None, expected=True)(None)


@pytest.mark.parametrize("written, canonical", [
    ("-0015.789e6", "-15789000"), ("0001", "1"), ("1.500", "1.5"), ("-0", "0"), ("0.000", "0"),
    ("1E+2", "100"), ("1.23e-5", "0.0000123"), ("+7", "7"),
    ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999"),
])
def test_numbers_leave_in_canonical_form(written: str, canonical: str) -> None:
    """API-AV ``N``: "leading and trailing zeroes are trimmed"."""
    assert values.normalize_number(written) == canonical


@pytest.mark.parametrize("projection, expected", [
    ("n, s", {"n": ITEM["n"], "s": ITEM["s"]}),
    ("m.innr", {"m": {"M": {"innr": {"N": "7"}}}}),
    ("m.deep[1], m.innr", {"m": {"M": {"deep": {"L": [{"S": "d1"}]}, "innr": {"N": "7"}}}}),
    ("l[1], l[0]", {"l": ITEM["l"]}),
    ("q, m.nah, l[9]", {}),
])
def test_projection(projection: str, expected: dict[str, Any]) -> None:
    """DG-PROJ: nested paths keep their structure; list elements keep their order, compacted."""
    paths = ex.parse("ProjectionExpression", projection).paths
    assert reads.project(ITEM, paths, {}) == expected


@pytest.mark.parametrize("updates, expression, values_", [
    ({"a": {"Action": "PUT", "Value": {"B": "AAE="}}}, "SET #u0 = :u0", {":u0": {"B": "AAE="}}),
    ({"a": {"Value": {"NULL": True}}}, "SET #u0 = :u0", {":u0": {"NULL": True}}),
    ({"a": {"Action": "DELETE"}}, "REMOVE #u0", None),
    ({"a": {"Action": "DELETE", "Value": {"SS": ["x"]}}}, "DELETE #u0 :u0", {":u0": {"SS": ["x"]}}),
    ({"a": {"Action": "ADD", "Value": {"N": "1"}}, "b": {"Action": "ADD", "Value": {"L": [{"N": "1"}]}}},
     "SET #u1 = list_append(if_not_exists(#u1, :e1), :u1) ADD #u0 :u0",
     {":u0": {"N": "1"}, ":e1": {"L": []}, ":u1": {"L": [{"N": "1"}]}}),
])
def test_attribute_updates_become_an_update_expression(updates: dict[str, Any], expression: str,
                                                       values_: dict[str, Any] | None) -> None:
    """API Reference, UpdateItem ``AttributeUpdates`` / ``AttributeValueUpdate`` actions."""
    out = legacy_updates({"TableName": "t", "Key": {}, "AttributeUpdates": updates})
    assert out["UpdateExpression"] == expression
    assert out.get("ExpressionAttributeValues") == values_
    assert "AttributeUpdates" not in out


@pytest.mark.parametrize("written, run", [
    ("REMOVE l[1] SET l[3] = :x", "SET l[3] = :x REMOVE l[1]"),
    ("ADD n :one REMOVE q SET a = b", "SET a = b ADD n :one REMOVE q"),
    ("SET a = :v", "SET a = :v"),
    ("remove #set set #set = :v", "set #set = :v remove #set"),
])
def test_update_sections_run_set_first(written: str, run: str) -> None:
    """DG "Update expressions": every path names the item before the update, so SET (which
    reads) runs before REMOVE shifts list indices (``REMOVE a[1] SET a[3]``)."""
    assert sets_first(written) == run


@pytest.mark.parametrize("expression, names, rewritten, added", [
    ("SET b = if_not_exists(b, a)", {}, "SET b = if_not_exists(b, :keyValue0)", {":keyValue0": {"S": "k"}}),
    ("SET c = #k", {"#k": "a"}, "SET c = :keyValue0", {":keyValue0": {"S": "k"}}),
    ("SET a.b = :v, c = a.b", {}, "SET a.b = :v, c = a.b", {}),  # a nested path is no key attribute
    ("SET c = if_not_exists(a, :v)", {}, "SET c = if_not_exists(a, :v)", {}),  # its first operand stays a path
    ("SET c = b REMOVE a", {}, "SET c = b REMOVE a", {}),
])
def test_key_attributes_read_by_set_become_values(expression: str, names: dict[str, str], rewritten: str,
                                                 added: dict[str, Any]) -> None:
    """DynamoDB refuses writing a key attribute, not reading one (``SET b = if_not_exists(b, a)``
    with ``a`` the partition key is accepted: issue 13's suite against real DynamoDB)."""
    assert key_reads_as_values(expression, names, {"a": {"S": "k"}}) == (rewritten, added)


@pytest.mark.parametrize("params, expression", [
    ({"KeyConditionExpression": ":p = a"}, "a = :p"),
    ({"KeyConditionExpression": "a = :p AND :low < b"}, "a = :p AND b > :low"),
    ({"KeyConditionExpression": "a = :p AND b <= :high"}, "a = :p AND b <= :high"),  # unchanged
    ({"KeyConditions": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
                        "b": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "y"}]}},
      "FilterExpression": "c = :c"},
     "#keyCondition0 = :keyCondition0_0 AND begins_with(#keyCondition1, :keyCondition1_0)"),
])
def test_key_conditions_as_moto_reads_them(params: dict[str, Any], expression: str) -> None:
    assert reads.key_condition_expression(params)["KeyConditionExpression"] == expression


def test_retagging_a_key_replaces_its_value() -> None:
    """DG "Tagging restrictions": one tag per key; adding an existing key updates its value."""
    calls: list[tuple[str, Any]] = []
    tables.tag_resource({"ResourceArn": "arn", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]},
                        lambda op, params: calls.append((op, params)) or {})
    assert calls == [("UntagResource", {"ResourceArn": "arn", "TagKeys": ["k"]}),
                     ("TagResource", {"ResourceArn": "arn", "Tags": [{"Key": "k", "Value": "2"}]})]


def test_index_descriptions_carry_their_arn() -> None:
    """API Reference, GlobalSecondaryIndexDescription / LocalSecondaryIndexDescription ``IndexArn``."""
    arn = "arn:aws:dynamodb:us-east-1:1:table/T"
    described = tables.with_index_arns({"Table": {"TableArn": arn, "GlobalSecondaryIndexes": [{"IndexName": "G"}],
                                                  "LocalSecondaryIndexes": [{"IndexName": "L"}]}})
    assert [i["IndexArn"] for i in described["Table"]["GlobalSecondaryIndexes"]] == [f"{arn}/index/G"]
    assert [i["IndexArn"] for i in described["Table"]["LocalSecondaryIndexes"]] == [f"{arn}/index/L"]


@pytest.mark.parametrize("number, encoded", [
    ("0", "80"), ("1", "c102"), ("10", "c10b"), ("123.45", "c202182e"), ("-1", "3e6466"), ("0.001", "bf0b"),
])
def test_numbers_hash_in_dynamodbs_encoding(number: str, encoded: str) -> None:
    """The base-100 encoding dynalite reproduced from DynamoDB (``numToBuffer``), worked by hand:
    ``1`` = exponent byte 0xC1, digit pair 01 + 1."""
    assert number_bytes(number).hex() == encoded


@pytest.mark.parametrize("key, total, segment", [
    ({"S": "3635"}, 4096, 0), ({"S": "1668"}, 4096, 1), ({"S": "3435"}, 4096, 4),
    ({"N": "251"}, 4096, 1), ({"N": "2388"}, 4096, 4095),
])
def test_segment_of_a_key(key: dict[str, str], total: int, segment: int) -> None:
    """dynalite test/scan.js hash-segment cases, checked against live DynamoDB."""
    assert segment_of(key, total) == segment


def test_get_item_projects_every_list_element_asked_for() -> None:
    """DG-PROJ: ``l[3], l[1]`` returns both elements, in list order (moto kept only one)."""
    stored = {"p": {"S": "x"}, "l": {"L": [{"S": "0"}, {"S": "1"}, {"S": "2"}, {"S": "3"}]}}
    sent: list[Any] = []

    def forward(operation: str, params: Any) -> dict[str, Any]:
        sent.append(params)
        return {"Item": stored}

    answer = reads.get_item({"TableName": "t", "Key": {"p": {"S": "x"}}, "ProjectionExpression": "l[3], l[1]"}, forward)
    assert answer == {"Item": {"l": {"L": [{"S": "1"}, {"S": "3"}]}}}
    assert "ProjectionExpression" not in sent[0]


@pytest.mark.parametrize("operator, given", [("EQ", []), ("NULL", [{"S": "a"}]), ("BETWEEN", [{"N": "1"}]), ("IN", [])])
def test_legacy_conditions_take_their_number_of_values(operator: str, given: list[Any]) -> None:
    """API Reference, Condition: each ComparisonOperator's number of AttributeValueList
    elements; another number is DynamoDB's ValidationException, never a crash."""
    with pytest.raises(DynamoDBValidationException) as caught:
        conditions.from_legacy({"x": {"ComparisonOperator": operator, "AttributeValueList": given}}, None,
                               expected=False)
    assert caught.value.message == ("One or more parameter values were invalid: Invalid number of argument(s) "
                                    f"for the {operator} ComparisonOperator")


def test_requests_reach_moto_with_canonical_numbers() -> None:
    """API-AV: a number is its value (``01`` and ``1.00`` name one key); only attribute values
    change - a map attribute *named* ``N`` stays as it is; out-of-range numbers are left for
    validation."""
    request = {"Key": {"p": {"N": "01"}}, "ExpressionAttributeValues": {":v": {"N": "1e2"}, ":s": {"NS": ["1.0", "02"]}},
               "Item": {"m": {"M": {"N": {"S": "x"}}}, "big": {"N": "1e200"}}}
    assert values.canonical_request(request) == {
        "Key": {"p": {"N": "1"}}, "ExpressionAttributeValues": {":v": {"N": "100"}, ":s": {"NS": ["1", "2"]}},
        "Item": {"m": {"M": {"N": {"S": "x"}}}, "big": {"N": "1e200"}}}
