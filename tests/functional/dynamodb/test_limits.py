"""Hostile input within the 16 MB body and the 4 KB expression limits: DynamoDB's own limits
answer it with DynamoDB's ValidationException, never an HTTP 500 (issue 11), and nothing is
written. Every request is alice's on her own partition of the ``Writes`` table, which her policy
lets her write: without the limits these requests would reach storage.

Where each expected message comes from:

* ``contains too many operators``: DynamoDB, recorded in ScyllaDB's
  ``test/alternator/test_limits.py`` (``test_deeply_nested_expression_2``..``_4``);
* ``redundant parentheses``: DynamoDB (dynalite issue 99, measured; moto applies the same rule);
* ``document path has too many nesting levels``: DynamoDB, ScyllaDB's ``test_limits.py``;
* ``Nesting Levels have exceeded``: DynamoDB, dynoxide ``tests/nesting_depth.rs`` (31 map
  levels accepted, 32 refused);
* ``Attribute name is too large``: DynamoDB, ExtendDB issue 365 (measured 2026-09-16);
* PartiQL nesting and update-function nesting: the local stack's own bounds, worded as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.dynamodb.conftest import Fgac, send, signed


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"n": value}}
    return value


def _key(f: Fgac, note: str = "n1") -> dict[str, Any]:
    return f.key(f.alice_sub, note)


V = {":v": {"N": "1"}}
Case = Callable[[Fgac], tuple[str, dict[str, Any]]]

#: (rule, the request, words the ValidationException's message must contain)
HOSTILE: list[tuple[str, Case, str]] = [
    ("1,000 NOTs in a ConditionExpression",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": _key(f), "ExpressionAttributeValues": V,
                               "ConditionExpression": "NOT " * 1000 + "title < :v"}),
     "The expression contains too many operators; operator count: 301"),
    ("400 nested parentheses in a ConditionExpression",
     lambda f: ("UpdateItem", {"TableName": f.writes, "Key": _key(f), "UpdateExpression": "SET body = :v",
                               "ExpressionAttributeValues": V,
                               "ConditionExpression": "(" * 400 + "title < :v" + ")" * 400}),
     "The expression has redundant parentheses;"),
    ("2,000 nested parentheses in a FilterExpression",
     lambda f: ("Query", {"TableName": f.writes, "KeyConditionExpression": "#o = :o",
                          "ExpressionAttributeNames": {"#o": "owner"},
                          "ExpressionAttributeValues": {":o": {"S": f.alice_sub}, ":v": {"N": "1"}},
                          "FilterExpression": "(" * 2000 + "title < :v" + ")" * 2000}),
     "Invalid FilterExpression: The expression has redundant parentheses;"),
    ("450 nested parentheses in a KeyConditionExpression",
     lambda f: ("Query", {"TableName": f.writes, "ExpressionAttributeNames": {"#o": "owner"},
                          "ExpressionAttributeValues": {":o": {"S": f.alice_sub}},
                          "KeyConditionExpression": "(" * 450 + "#o = :o" + ")" * 450}),
     "Invalid KeyConditionExpression: The expression has redundant parentheses;"),
    ("NOT ( nested 400 deep",
     lambda f: ("Query", {"TableName": f.writes, "KeyConditionExpression": "#o = :o",
                          "ExpressionAttributeNames": {"#o": "owner"},
                          "ExpressionAttributeValues": {":o": {"S": f.alice_sub}, ":v": {"N": "1"}},
                          "FilterExpression": "NOT (" * 400 + "title < :v" + ")" * 400}),
     "operator count: 301"),
    ("a OR chain of 400 comparisons",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": _key(f), "ExpressionAttributeValues": V,
                               "ConditionExpression": " OR ".join(["a < :v"] * 400)}),
     "operator count: 301"),
    ("size() nested 300 deep",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": _key(f), "ExpressionAttributeValues": V,
                               "ConditionExpression": "size(" * 300 + "title" + ")" * 300 + " < :v"}),
     # the size of a size is a number, which size refuses (dynalite test/scan.js 'size(size(a)) > :a')
     "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
    ("list_append nested 200 deep",
     lambda f: ("UpdateItem", {"TableName": f.writes, "Key": _key(f),
                               "ExpressionAttributeValues": {":l": {"L": []}},
                               "UpdateExpression": "SET body = " + "list_append(" * 200 + ":l" + ", :l)" * 200}),
     "Functions are nested more than 100 deep"),
    ("a 1,000-level ProjectionExpression",
     lambda f: ("GetItem", {"TableName": f.writes, "Key": _key(f), "ProjectionExpression": "title" + ".b" * 999}),
     "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 1000"),
    ("a 33-level ProjectionExpression",
     lambda f: ("GetItem", {"TableName": f.writes, "Key": _key(f), "ProjectionExpression": "title" + ".b" * 32}),
     "nesting levels: 33"),
    ("an item nested 32 map levels deep",
     lambda f: ("PutItem", {"TableName": f.writes, "Item": {**_key(f, "deep"), "body": nested(32)}}),
     "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"),
    ("an item nested 400 levels deep",
     lambda f: ("PutItem", {"TableName": f.writes, "Item": {**_key(f, "deep"), "body": nested(400)}}),
     "Nesting Levels have exceeded supported limits"),
    ("a 400-level value in a transaction",
     lambda f: ("TransactWriteItems", {"TransactItems": [
         {"Put": {"TableName": f.writes, "Item": {**_key(f, "deep"), "body": nested(400)}}}]}),
     "Nesting Levels have exceeded supported limits"),
    ("a 400-level ExpressionAttributeValue",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": _key(f), "ConditionExpression": "body = :v",
                               "ExpressionAttributeValues": {":v": nested(400)}}),
     "Nesting Levels have exceeded supported limits"),
    ("a 400-level Key of DeleteItem",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": {**_key(f), "noteId": nested(400)}}),
     "1 validation error detected: Nesting Levels have exceeded supported limits"),
    ("an attribute name of 65,536 bytes",
     lambda f: ("PutItem", {"TableName": f.writes, "Item": {**_key(f, "long"), "n" * 65536: {"S": "x"}}}),
     "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"),
    ("a nested map key of 70,000 bytes",
     lambda f: ("PutItem", {"TableName": f.writes,
                            "Item": {**_key(f, "long"), "body": {"M": {"k" * 70000: {"S": "x"}}}}}),
     "Attribute name is too large"),
    ("an item of 500 KB",
     lambda f: ("PutItem", {"TableName": f.writes, "Item": {**_key(f, "big"), "body": {"S": "x" * 500_000}}}),
     "Item size has exceeded the maximum allowed size"),
    ("26 requests in one BatchWriteItem",
     lambda f: ("BatchWriteItem", {"RequestItems": {f.writes: [
         {"PutRequest": {"Item": _key(f, f"b{i}")}} for i in range(26)]}}),
     # DynamoDB's shape constraint on one table's list (quoted in DynamoDB client issue threads);
     # "Too many items requested" is its answer to more than 25 across tables
     "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
     "Member must have length greater than or equal to 1]"),
    ("101 keys in one BatchGetItem",
     lambda f: ("BatchGetItem", {"RequestItems": {f.writes: {"Keys": [_key(f, f"b{i}") for i in range(101)]}}}),
     "failed to satisfy constraint: Member must have length less than or equal to 100"),
    ("101 members in one TransactWriteItems",
     lambda f: ("TransactWriteItems", {"TransactItems": [
         {"Put": {"TableName": f.writes, "Item": _key(f, f"t{i}")}} for i in range(101)]}),
     "Member must have length less than or equal to 100"),
    ("an expression of 5 KB",
     lambda f: ("DeleteItem", {"TableName": f.writes, "Key": _key(f), "ExpressionAttributeValues": V,
                               "ConditionExpression": "title < :v AND " + "a" * 5000 + " < :v"}),
     "Expression size has exceeded the maximum allowed size"),
    ("PartiQL nested 2,000 parentheses deep",
     lambda f: ("ExecuteStatement", {"Statement": f'SELECT * FROM "{f.writes}" WHERE ' + "(" * 2000
                                     + f"owner = '{f.alice_sub}'" + ")" * 2000}),
     "more than 64 levels of nesting"),
    ("PartiQL with 700 ANDs",
     lambda f: ("ExecuteStatement", {"Statement": f'SELECT * FROM "{f.writes}" WHERE owner = \'{f.alice_sub}\''
                                     + " AND a = 1" * 700}),
     "more than 300 AND/OR operators"),
    ("PartiQL with a list literal nested 1,000 deep",
     lambda f: ("ExecuteStatement", {"Statement": f'INSERT INTO "{f.writes}" VALUE {{\'owner\': \'{f.alice_sub}\', '
                                     "'noteId': 'deep', 'body': " + "[" * 1000 + "]" * 1000 + "}"}),
     "more than 64 levels of nesting"),
]


@pytest.mark.parametrize("rule, case, words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_request_gets_dynamodbs_validation_error(rule: str, case: Case, words: str, f: Fgac) -> None:
    target, params = case(f)
    body = json.dumps(params).encode()
    url = f.stack.dynamodb_url
    before = f.item(f.alice_sub, "n1", f.writes)
    raw = send(url, signed(f.alice, url, target, body), body)
    assert (raw.status, raw.code) == (400, "ValidationException"), raw.body[:300]
    assert words in raw.message, raw.message[:300]
    assert f.item(f.alice_sub, "n1", f.writes) == before
    for note in ("deep", "long", "big", "b0", "t0"):
        assert f.item(f.alice_sub, note, f.writes) is None
    assert "unexpected error handling DynamoDB request" not in f.stack.log()


def test_limits_still_let_the_deepest_allowed_values_through(f: Fgac) -> None:
    """31 map levels, a 32-level path, 300 operators and 65,535-byte names are DynamoDB's maxima."""
    db = f.client("alice")
    db.put_item(TableName=f.writes, Item={**_key(f, "deep"), "body": nested(31), "n" * 65535: {"S": "x"}})
    got = db.get_item(TableName=f.writes, Key=_key(f, "deep"), ProjectionExpression="body" + ".n" * 31)
    assert got["Item"]["body"] == nested(31)
    condition = "NOT " + " OR ".join(["a = :d"] * 150)  # NOT, 149 ORs, 150 comparisons: true (a is absent)
    assert condition.count("NOT ") + condition.count(" OR ") + condition.count("=") == 300
    db.delete_item(TableName=f.writes, Key=_key(f, "deep"), ConditionExpression=condition,
                   ExpressionAttributeValues={":d": {"S": "deep"}})
    assert f.item(f.alice_sub, "deep", f.writes) is None
