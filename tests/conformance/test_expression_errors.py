"""Expression errors of every item operation: syntax, function names and places, reserved words,
repeated sections, undefined and unused names and values, operand counts, document paths,
operand types, overlapping paths, and the order DynamoDB reports them in.

DynamoDB checks a request's expressions before it looks the table up, so every row here names
a table that does not exist (``abc``): an answer other than the ValidationException would be
``ResourceNotFoundException``. A row's ``message`` is DynamoDB's text; where the source pins
only its start (``/^Invalid UpdateExpression: Syntax error; /``) the row holds a ``prefix``.

Source of every row: architect/dynalite test/updateItem.js, test/getItem.js, test/query.js and test/scan.js
(``assertValidation``),
written and checked against live DynamoDB (REMOTE=1) - recorded DynamoDB answers; the checking
order is dynalite's validations/index.js ``validateExpressions`` (UpdateExpression,
ConditionExpression, KeyConditionExpression, FilterExpression, ProjectionExpression, then unused
names, then unused values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.conftest import VALIDATE, Endpoint

UPDATE = "dynalite test/updateItem.js, recorded against DynamoDB"
QUERY = "dynalite test/query.js, recorded against DynamoDB"
GET = "dynalite test/getItem.js, recorded against DynamoDB"
SCAN = "dynalite test/scan.js, recorded against DynamoDB"
OPERAND = "Incorrect operand type for operator or function; "
NAMES = {"#a": "a", "#b": "b"}
VALUES = {":a": {"S": "a"}, ":b": {"S": "a"}}


@dataclass(frozen=True)
class Case:
    target: str
    request: dict[str, Any]
    #: DynamoDB's whole message, or (``prefix=True``) its start.
    message: str
    source: str
    prefix: bool = False


def update(expression: str, message: str, prefix: bool = False, **members: Any) -> Case:
    return Case("UpdateItem", {"TableName": "abc", "Key": {}, "UpdateExpression": expression, **members}, message,
                UPDATE, prefix)


def query(expression: str, message: str, prefix: bool = False, **members: Any) -> Case:
    return Case("Query", {"TableName": "abc", "KeyConditionExpression": expression, **members}, message, QUERY, prefix)


def get(expression: str, message: str, prefix: bool = False, **members: Any) -> Case:
    return Case("GetItem", {"TableName": "abc", "Key": {}, "ProjectionExpression": expression, **members}, message, GET,
                prefix)


def scan(expression: str, message: str, prefix: bool = False, **members: Any) -> Case:
    return Case("Scan", {"TableName": "abc", "FilterExpression": expression, **members}, message, SCAN, prefix)


SYNTAX = "Invalid UpdateExpression: Syntax error; "
FILTER_SYNTAX = "Invalid FilterExpression: Syntax error; "
TYPES = {":a": {"S": "a"}, ":b": {"N": "1"}, ":c": {"B": "YQ=="}, ":d": {"BOOL": "no"}, ":e": {"NULL": "true"},
         ":f": {"SS": ["a"]}, ":g": {"NS": ["1"]}, ":h": {"BS": ["YQ=="]}, ":i": {"M": {}}, ":j": {"L": []}}

CASES: list[Case] = [
    # UpdateItem -------------------------------------------------------------------------------
    Case("UpdateItem", {"TableName": "abc", "Key": {}, "ConditionExpression": "", "UpdateExpression": ""},
         "Invalid UpdateExpression: The expression can not be empty;", UPDATE),
    Case("UpdateItem", {"TableName": "abc", "Key": {}, "ConditionExpression": ""},
         "Invalid ConditionExpression: The expression can not be empty;", UPDATE),
    *[update(text, SYNTAX, True) for text in (
        "whatever", "set a", "delete a", "set a=set", "remove a = b", "delete a b", "add abort b", "remove a b",
        "set :a = b", "remove :a", "set a = b / c", 'set a[1] = "eight"', "set a[1] = 1",
        "SET a = if_not_exist(a, 100)", "SET if_not_exist(a, b) = a", "set (a = (b + c))", "set a = (b.c).d + e",
        "set a = b + c + d")],
    update(" set #c = :c set abOrt = true ",
           "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt",
           ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    update(" remove Absolute ", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute",
           ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    update("set #c = if_not_exist(:c) set c = d", "Invalid UpdateExpression: Invalid function name; function: if_not_exist",
           ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    *[update(text, f'Invalid UpdateExpression: The "{section}" section can only be used once in an update expression;',
             ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES)
      for text, section in (("set a = #c set c = :d", "SET"), ("remove #d set a = b remove e", "REMOVE"),
                            ("add #d :e set a = b add e :f", "ADD"), ("delete #d :e set a = b delete #e :f", "DELETE"))],
    update("SET #c = if_not_exists(:c)", "Invalid UpdateExpression: An expression attribute name used in the document "
           "path is not defined; attribute name: #c", ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    update("SET #a = if_not_exists(:c)", "Invalid UpdateExpression: An expression attribute value used in expression "
           "is not defined; attribute value: :c", ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    update("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "Invalid UpdateExpression: Two document paths "
           "overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]",
           ExpressionAttributeNames={"#c": "c", "#d": "[3]"}),
    update("set #c[3].#d = a, #c[3] = a", "Invalid UpdateExpression: Two document paths overlap with each other; must "
           "remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]",
           ExpressionAttributeNames={"#c": "c", "#d": "[3]"}),
    update("remove a.#c set a[1] = #d", "Invalid UpdateExpression: Two document paths conflict with each other; must "
           "remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]",
           ExpressionAttributeNames={"#b": "b", "#c": "c", "#d": "[3]"}),
    *[update(text, f"Invalid UpdateExpression: {OPERAND}operator: {op}, operand type: {shown}",
             ExpressionAttributeValues={":a": value, ":b": {"S": "a"}})
      for text, value, op, shown in (
          ("set b = list_append(:a, a), c = if_not_exists(a) add a.b :a", {"S": "a"}, "ADD", "STRING"),
          ("delete a.b :a", {"S": "a"}, "DELETE", "STRING"), ("add a.b :a", {"NULL": "1"}, "ADD", "NULL"),
          ("add a.b :a", {"BOOL": "0"}, "ADD", "BOOLEAN"), ("delete a.b :a", {"B": "YQ=="}, "DELETE", "BINARY"),
          ("add a.b :a", {"M": {"a": {"L": [{"N": "1"}]}}}, "ADD", "MAP"),
          ("add a.b :a", {"L": [{"N": "1"}]}, "ADD", "LIST"), ("delete a.b :a", {"N": "1"}, "DELETE", "NUMBER"))],
    update("set a = if_not_exists(c)", "Invalid UpdateExpression: Incorrect number of operands for operator or "
           "function; operator or function: if_not_exists, number of operands: 1",
           ExpressionAttributeValues=VALUES, ExpressionAttributeNames=NAMES),
    update("set a = if_not_exists(if_not_exists(a, b), c)", "Invalid UpdateExpression: Operator or function requires a "
           "document path; operator or function: if_not_exists", ExpressionAttributeValues=VALUES,
           ExpressionAttributeNames=NAMES),
    *[update(text, f"Invalid UpdateExpression: {OPERAND}operator or function: {function}, operand type: {shown}",
             ExpressionAttributeValues=TYPES, ExpressionAttributeNames=NAMES)
      for text, function, shown in (
          ("set a = list_append(:a, a)", "list_append", "S"), ("set a = list_append(a, :b)", "list_append", "N"),
          ("set a = list_append(:i, a)", "list_append", "M"), ("set a = a + :d", "+", "BOOL"),
          ("set a = :a + :c", "+", "S"), ("set a = a - :e", "-", "NULL"), ("set a = a - :j", "-", "L"))],
    Case("UpdateItem", {"TableName": "abc", "Key": {}, "UpdateExpression": "remove a",
                        "ConditionExpression": "a = :b",
                        "ExpressionAttributeValues": {":a": {"S": "a"}, ":b": {"S": "a"}, ":c": {"S": "a"}}},
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}", UPDATE),
    Case("UpdateItem", {"TableName": "abc", "Key": {}, "UpdateExpression": "remove a set b = list_append(b, "
                        "if_not_exists(a, :a))", "ConditionExpression": "a = :b", "ExpressionAttributeValues": VALUES,
                        "ExpressionAttributeNames": NAMES},
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}", UPDATE),
    # ProjectionExpression (GetItem) ------------------------------------------------------------
    *[get(text, "Invalid ProjectionExpression: Syntax error; ", True) for text in (
        "whatever(stuff)", ":a", "abort,", "a,,b", "(a.b).c", "(a),(b)", "a-b")],
    get("a.abORt", "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: abORt"),
    get("a,b,a,#a", "Invalid ProjectionExpression: An expression attribute name used in the document path is not "
        "defined; attribute name: #a"),
    get("b[1], b.a, #a.b, a", "Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
        "or rewrite one of these paths; path one: [a, b], path two: [a]", ExpressionAttributeNames={"#a": "a"}),
    get("a[3].b, #a.#b.b", "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or "
        "rewrite one of these paths; path one: [a, [3], b], path two: [a, [3], b]",
        ExpressionAttributeNames={"#a": "a", "#b": "[3]"}),
    get("a,b", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}",
        ExpressionAttributeNames={"#a": "a", "#b": "b"}),
    # KeyConditionExpression (Query) -------------------------------------------------------------
    Case("Query", {"TableName": "abc", "KeyConditionExpression": "", "FilterExpression": "", "ProjectionExpression": "",
                   "ExpressionAttributeValues": {":0": {"S": "b"}}},
         "Invalid KeyConditionExpression: The expression can not be empty;", QUERY),
    Case("Query", {"TableName": "abc", "KeyConditionExpression": "attribute_type(a, :a)", "FilterExpression": "a > b",
                   "ProjectionExpression": "", "ExpressionAttributeValues": {":a": {"S": "N"}}},
         "Invalid ProjectionExpression: The expression can not be empty;", QUERY),
    query("(size(a))[0] > a", "Invalid KeyConditionExpression: Syntax error; ", True),
    query("attribute_type(a, b)", "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
          "operator or function: attribute_type, operand type:", True),
    query("attribute_type(a, :a)", "Invalid operator used in KeyConditionExpression: attribute_type",
          ExpressionAttributeValues={":a": {"S": "S"}}),
    *[query(text, f"Invalid operator used in KeyConditionExpression: {op}") for text, op in (
        ("a > b and size(b) > c or a > c", "OR"), ("a in (b, size(c), d)", "IN"), ("contains(a.d, b)", "contains"),
        ("not a > b", "NOT"), ("a <> b", "<>"))],
    query(":a between size(b) and size(a) and b > :b", "Invalid condition in KeyConditionExpression: BETWEEN operator "
          "must have the key attribute as its first operand", ExpressionAttributeValues={":a": {"S": "1"}, ":b": {"S": "1"}}),
    query("size(b) > a AND a.b > b AND b > c", "KeyConditionExpressions cannot contain nested operations"),
    query("b between c[1] and d", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
          "condition"),
    query("b.d > a AND c.d > e.f", "KeyConditionExpressions cannot have conditions on nested attributes"),
    query(":b > :a AND a < :b", "Invalid condition in KeyConditionExpression: No key attribute specified",
          ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "1"}}),
    query("b > :a AND b < :a and c = :a and d = :a", "KeyConditionExpressions must only contain one condition per key",
          ExpressionAttributeValues={":a": {"N": "1"}}),
    query("(a > :a and b > :a) and (c > :a and d > :a) and (e > :a and f > :a)", "Conditions can be of length 1 or 2 "
          "only", ExpressionAttributeValues={":a": {"S": "a"}}),
    query("a between :b and :a", "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for "
          "lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}",
          ExpressionAttributeValues={":a": {"S": "a"}, ":b": {"N": "1"}}),
    query("a between :b and :a", "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
          "greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: "
          "AttributeValue: {S:a}", ExpressionAttributeValues={":a": {"S": "a"}, ":b": {"S": "b"}}),
    # FilterExpression (Scan) --------------------------------------------------------------------
    Case("Scan", {"TableName": "abc", "FilterExpression": "", "ProjectionExpression": "",
                  "ExpressionAttributeValues": {":0": {"S": "b"}}},
         "Invalid FilterExpression: The expression can not be empty;", SCAN),
    *[scan(text, FILTER_SYNTAX, True) for text in (
        "things are not gonna be ok", "a > 4", "attribute_exists(Pictures-RearView)", "a > between", "a in b",
        "a in (b,c,)", "(a)between(b.(c.d))and(c)", "#$.b > a", "a > :things.stuff", "b[:a] > a", "ü > a",
        "size(a).b > a", "(size(a)).b > a", "size(a)[0] > a", "attribute_not_exists(_c)",
        "attribute_not_exists(c._d)")],
    *[scan(text, "Invalid FilterExpression: The expression has redundant parentheses;") for text in (
        "a=a and a > ((views))", "(a)between(((b.c)).d)and(c)", "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a")],
    scan("a=a and whatever((:things)) > a", "Invalid FilterExpression: Invalid function name; function: whatever"),
    scan("attRIbute_exIsts((views), #a)", "Invalid FilterExpression: Invalid function name; function: attRIbute_exIsts"),
    *[scan(text, "Invalid FilterExpression: The function is not allowed to be used this way in an expression; "
           f"function: {function}") for text, function in (
        ("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
        ("attribute_type(things, :a) > b", "attribute_type"), ("contains(:things, c) > b", "contains"),
        ("size(contains(a, b)) > a", "contains"), ("size(things)", "size"),
        ("a in (b, attribute_exists(things))", "attribute_exists"))],
    scan("attribute_exists(views, #a)", "Invalid FilterExpression: Attribute name is a reserved keyword; reserved "
         "keyword: views"),
    *[scan(text, "Invalid FilterExpression: An expression attribute name used in the document path is not defined; "
           f"attribute name: {name}") for text, name in (
        ("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"), ("begins_with(Pictures.#RearView)",
                                                                             "#RearView"),
        ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"), ("(a)between(b.c[45].#d)and(:a)", "#d"))],
    scan("begins_with(:hello, #a, #b)", "Invalid FilterExpression: An expression attribute value used in expression "
         "is not defined; attribute value: :hello"),
    *[scan(text, "Invalid FilterExpression: Incorrect number of operands for operator or function; operator or "
           f"function: {function}, number of operands: {count}") for text, function, count in (
        ("attribute_exists(things, a) and a=a", "attribute_exists", 2), ("begins_with(things, size(a), b)",
                                                                          "begins_with", 3),
        ("size(things, a) > b", "size", 2))],
    *[scan(text, f"Invalid FilterExpression: {OPERAND}operator or function: {function}, operand type: "
           f"{next(iter(value))}", ExpressionAttributeValues={":a": value}) for text, function, value in (
        ("attribute_type(a, size(a)) and a=a and a=:a", "attribute_type", {"N": "1"}),
        ("attribute_type(a, :a)", "attribute_type", {"BOOL": True}),
        ("begins_with(a, size(a)) and a=:a", "begins_with", {"N": "1"}),
        ("begins_with(:a, a)", "begins_with", {"SS": ["1"]}), ("size(size(a)) > :a", "size", {"N": "1"}),
        ("attribute_not_exists(size(:a))", "size", {"N": "1"}), ("size(:a) > a", "size", {"NULL": True}))],
    scan("attribute_exists(:a) and a=a", "Invalid FilterExpression: Operator or function requires a document path; "
         "operator or function: attribute_exists", ExpressionAttributeValues={":a": {"S": "1"}}),
    scan("attribute_type(a, :a)", "Invalid FilterExpression: Invalid attribute type name found; type: 1, valid types: {",
         True, ExpressionAttributeValues={":a": {"S": "1"}}),
    *[scan(text, "Invalid FilterExpression: The first operand must be distinct from the remaining operands for this "
           f"operator or function; operator: {op}, first operand: {path}", ExpressionAttributeNames={"#a": "a"})
      for text, op, path in (
          ("a = a AND #a = b AND :views > a", "=", "[a]"), ("#a <> a", "<>", "[a]"),
          ("((a=a) OR (a=a))", "=", "[a]"), ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"))],
]


def _id(case: Case) -> str:
    expression = next((v for k, v in case.request.items() if k.endswith("Expression") and v), "")
    return f"{case.target}: {expression}"[:90]


@pytest.mark.parametrize("case", CASES, ids=[_id(case) for case in CASES])
def test_expression_error(endpoint: Endpoint, case: Case) -> None:
    answer = endpoint.call(case.target, case.request)
    assert answer.status == 400, answer.raw[:300]
    assert answer.type == VALIDATE, answer.raw[:300]
    message = answer.message or ""
    assert message.startswith(case.message) if case.prefix else message == case.message, answer.raw[:500]


KEY_SCALARS = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a"


@pytest.mark.parametrize("expression", ["attribute_exists(a.b.c) and #a = b", "attribute_exists(#a.b.c)",
                                        "attribute_exists(#a[0])"])
def test_scan_filter_inside_a_key(endpoint: Endpoint, hash_table: str, expression: str) -> None:
    """A key is a scalar: a filter may not look inside it (dynalite test/scan.js, recorded against
    DynamoDB)."""
    answer = endpoint.call("Scan", {"TableName": hash_table, "FilterExpression": expression,
                                    "ExpressionAttributeNames": {"#a": "a"}})
    assert (answer.status, answer.type, answer.message) == (400, VALIDATE, KEY_SCALARS), answer.raw[:300]


@pytest.mark.parametrize("expression", ["#a.b.c", "#a[0]"])
def test_projection_inside_a_key(endpoint: Endpoint, hash_table: str, expression: str) -> None:
    """dynalite test/getItem.js, recorded against DynamoDB."""
    answer = endpoint.call("GetItem", {"TableName": hash_table, "Key": {"a": {"S": "x"}},
                                       "ProjectionExpression": expression, "ExpressionAttributeNames": {"#a": "a"}})
    assert (answer.status, answer.type, answer.message) == (400, VALIDATE, KEY_SCALARS), answer.raw[:300]
