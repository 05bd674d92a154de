"""The expression grammars: which top-level names each expression touches, and what DynamoDB rejects.

Rows read as rules; the names are what ``dynamodb:Attributes`` gets from one expression
(fgac-semantics.md A.4: the first element of each document path, placeholders resolved).
"""

from __future__ import annotations

import pytest

from iam_policies.dynamodb.expressions import KeyCondition, key_conditions, parse
from iam_policies.dynamodb.scope import ExpressionScope
from iam_policies.errors import ValidationException

NAMES = {"#n": "Name", "#d": "title.adminFlag", "#a": "Address", "#c": "City", "#k": "pk"}
VALUES = {f":{v}": {"S": "x"} for v in ("v", "w", "lo", "hi", "one", "l", "s", "p")}


def names_of(kind: str, text: str) -> list[str]:
    scope = ExpressionScope(NAMES, VALUES)
    return sorted(scope.attributes(kind, text))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "text", "names"),
    [
        # projections: every path counts by its first element
        ("ProjectionExpression", "Wins, Losses", ["Losses", "Wins"]),
        ("ProjectionExpression", "Wins, Profile.Nickname", ["Profile", "Wins"]),
        ("ProjectionExpression", "a.b[0].c, d[3][1]", ["a", "d"]),
        ("ProjectionExpression", "#n, Email", ["Email", "Name"]),
        ("ProjectionExpression", "#a.#c", ["Address"]),
        ("ProjectionExpression", "#d", ["title.adminFlag"]),  # an aliased dotted name is one name
        ("ProjectionExpression", "a.b, a.c.d, e[0].f, e[1]", ["a", "e"]),
        # conditions and filters: every operand path, none of the values or function names
        ("ConditionExpression", "attribute_not_exists(Banned)", ["Banned"]),
        ("ConditionExpression", "attribute_exists(#a.#c) AND Wins > :v", ["Address", "Wins"]),
        ("ConditionExpression", "a = :v OR NOT (b <> :w)", ["a", "b"]),
        ("ConditionExpression", "a BETWEEN :lo AND :hi", ["a"]),
        ("ConditionExpression", "a IN (:v, :w, b.c)", ["a", "b"]),
        ("ConditionExpression", "size(tags) > :v", ["tags"]),
        ("ConditionExpression", "begins_with(a, :p) and contains(b, c)", ["a", "b", "c"]),
        ("ConditionExpression", "attribute_type(a, :s)", ["a"]),
        ("ConditionExpression", "a = b", ["a", "b"]),
        ("ConditionExpression", "((a = :v) OR (NOT (b = :v)))", ["a", "b"]),
        ("FilterExpression", "SecretBonus > :v", ["SecretBonus"]),
        # accepted by real DynamoDB (issue 13's suite): the size of a value, an operand in parentheses
        ("ConditionExpression", "size(:v) = :one", []),
        ("ConditionExpression", "(size(b)) = :v AND (a) < (c)", ["a", "b", "c"]),
        ("ConditionExpression", "(a = :v) AND ((b) IN (:w))", ["a", "b"]),
        # updates: targets and operands of every section
        ("UpdateExpression", "SET Wins = Wins + :one", ["Wins"]),
        ("UpdateExpression", "SET title = adminFlag", ["adminFlag", "title"]),
        ("UpdateExpression", "REMOVE FreeGamesAvailable", ["FreeGamesAvailable"]),
        ("UpdateExpression", "SET a = if_not_exists(b, :v), c = list_append(d, :l)", ["a", "b", "c", "d"]),
        ("UpdateExpression", "SET a = :v REMOVE b ADD c :one DELETE d :s", ["a", "b", "c", "d"]),
        ("UpdateExpression", "set a = :v remove b", ["a", "b"]),
        ("UpdateExpression", "SET #a.#c = :v, scores[2] = :w", ["Address", "scores"]),
        ("UpdateExpression", "SET a = b - :one", ["a", "b"]),
        ("KeyConditionExpression", "UserId = :v AND begins_with(GameTitle, :p)", ["GameTitle", "UserId"]),
    ],
)
def test_expression_touches_top_level_names(kind: str, text: str, names: list[str]) -> None:
    assert names_of(kind, text) == names


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("ProjectionExpression", "", "Invalid ProjectionExpression: The expression can not be empty;"),
        ("ProjectionExpression", "a,", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
        ("ProjectionExpression", "attribute-A", 'Invalid ProjectionExpression: Syntax error; token: "-", near: "attribute-A"'),
        ("ProjectionExpression", "a[x]", 'Invalid ProjectionExpression: Syntax error; token: "x"'),
        ("ProjectionExpression", "a..b", 'Invalid ProjectionExpression: Syntax error; token: "."'),
        ("ProjectionExpression", "a;b", 'Invalid ProjectionExpression: Syntax error; token: ";"'),
        # an unknown character quotes the next one too (DynamoDB, as nubo-db/dynoxide's tests record it)
        ("ProjectionExpression", "!!!", 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'),
        ("ProjectionExpression", "!!! INVALID !!!", 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'),
        ("ProjectionExpression", ":v", 'Invalid ProjectionExpression: Syntax error; token: ":v"'),
        ("ProjectionExpression", "Name", "Attribute name is a reserved keyword; reserved keyword: Name"),
        ("ProjectionExpression", "a, b.size", "Attribute name is a reserved keyword; reserved keyword: size"),
        ("ProjectionExpression", "#", "Syntax error"),
        ("ConditionExpression", "a = ", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
        ("ConditionExpression", "a == :v", 'Invalid ConditionExpression: Syntax error; token: "="'),
        ("ConditionExpression", "(a = :v", 'Invalid ConditionExpression: Syntax error; token: "<EOF>"'),
        ("ConditionExpression", "a = :v)", 'Invalid ConditionExpression: Syntax error; token: ")"'),
        ("ConditionExpression", "a", 'Invalid ConditionExpression: Syntax error; token: "<EOF>"'),
        ("ConditionExpression", "foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"),
        ("ConditionExpression", "attribute_exists(:v)",
         "Operator or function requires a document path; operator or function: attribute_exists"),
        ("ConditionExpression", "begins_with(a)",
         "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
        ("ConditionExpression", "if_not_exists(a, :v) = :w",
         "The function is not allowed to be used this way in an expression; function: if_not_exists"),
        ("ConditionExpression", "a BETWEEN :lo :hi", "Syntax error"),
        ("ConditionExpression", "a IN ()", "Syntax error"),
        ("ConditionExpression", "status = :v", "reserved keyword: status"),
        ("FilterExpression", "a > :v OR", 'Invalid FilterExpression: Syntax error; token: "<EOF>"'),
        ("UpdateExpression", "", "Invalid UpdateExpression: The expression can not be empty;"),
        ("UpdateExpression", "SET a = :v SET b = :w",
         'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
        ("UpdateExpression", "SET a :v", 'Invalid UpdateExpression: Syntax error; token: ":v", near: "a :v"'),
        ("UpdateExpression", "a = :v", 'Invalid UpdateExpression: Syntax error; token: "a"'),
        ("UpdateExpression", "ADD a b", 'Invalid UpdateExpression: Syntax error; token: "b"'),
        ("UpdateExpression", "SET a = size(b)", "function: size"),
        ("UpdateExpression", "REMOVE a = :v", 'Invalid UpdateExpression: Syntax error; token: "="'),
        ("UpdateExpression", "SET a = :v - (:w - :x)", 'Invalid UpdateExpression: Syntax error; token: "-"'),
        ("UpdateExpression", "SET a = (:v - :w) + :x", 'Invalid UpdateExpression: Syntax error; token: "+"'),
        ("ProjectionExpression", "a" * 4097, "Expression size has exceeded the maximum allowed size; expression size: 4097"),
        # DynamoDB's limits on nesting (issue 11; sources in the module docstring). None of these
        # may reach Python's recursion limit.
        ("ConditionExpression", "NOT " * 1000 + "a < :v",
         "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"),
        ("ConditionExpression", "NOT (" * 301 + "a < :v" + ")" * 301, "operator count: 301"),
        ("FilterExpression", " OR ".join(["a < :v"] * 151) + " AND b = :v" * 150, "operator count: 301"),
        ("ConditionExpression", "a BETWEEN :l AND :h AND " * 150 + "a IN (:v, :w)", "operator count: 301"),
        ("ConditionExpression", "(" * 2040 + "a < :v" + ")" * 2040,
         "Invalid ConditionExpression: The expression has redundant parentheses;"),
        ("ConditionExpression", "((a < :v))", "The expression has redundant parentheses;"),
        ("ConditionExpression", "b = :v AND ((a < :v OR c = :v))", "The expression has redundant parentheses;"),
        # size of a size is a number, which size refuses (dynalite test/scan.js 'size(size(a)) > :a').
        ("ConditionExpression", "a < " + "size(" * 600 + "b" + ")" * 600,
         "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
        ("ProjectionExpression", "a" + ".b" * 32,
         "Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"),
        ("ConditionExpression", "a" + "[0]" * 40 + " = :v", "nesting levels: 41"),
        ("UpdateExpression", "SET a = " + "list_append(" * 101 + ":l" + ", :l)" * 101,
         "Functions are nested more than 100 deep"),
    ],
)
def test_expression_rejected_like_dynamodb(kind: str, text: str, message: str) -> None:
    with pytest.raises(ValidationException) as raised:
        parse(kind, text)  # type: ignore[arg-type]
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("ProjectionExpression", "Wins, Wins", "Two document paths overlap with each other; must remove or rewrite one "
                                               "of these paths; path one: [Wins], path two: [Wins]"),
        ("ProjectionExpression", "#a, Address.Street", "path one: [Address], path two: [Address, Street]"),
        ("ProjectionExpression", "a[0], a.b", "Two document paths conflict with each other"),
        ("UpdateExpression", "SET a.b = :v REMOVE a", "Invalid UpdateExpression: Two document paths overlap"),
    ],
)
def test_overlapping_paths_are_rejected(kind: str, text: str, message: str) -> None:
    scope = ExpressionScope(NAMES, VALUES)
    with pytest.raises(ValidationException) as raised:
        scope.attributes(kind, text) if kind != "UpdateExpression" else scope.update(text)  # type: ignore[arg-type]
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("ConditionExpression", "NOT " * 299 + "a < :v"),  # 300 operators: the most DynamoDB allows
        ("ConditionExpression", "NOT (" * 150 + "a < :v OR b < :v" + ")" * 150),
        ("ConditionExpression", "((a < :v) AND (b < :v))"),  # a group of groups is not redundant
        ("ConditionExpression", "(a < :v) AND ((b < :v) OR c < :v)"),
        ("ProjectionExpression", "a" + ".b" * 31),  # 32 levels
        # if_not_exists nests in its fallback; list_append does not nest in list_append (ScyllaDB
        # Alternator's test_update_expression.py test_update_expression_function_nesting).
        ("UpdateExpression", "SET a = " + "if_not_exists(b, " * 100 + ":l" + ")" * 100),
    ],
)
def test_the_deepest_expressions_dynamodb_allows_parse(kind: str, text: str) -> None:
    assert parse.__wrapped__(kind, text).paths  # type: ignore[attr-defined]


def test_precedence_is_not_then_and_then_or() -> None:
    parsed = parse("FilterExpression", "NOT a = :v AND b = :v OR c = :v")
    assert repr(parsed.condition).startswith("BoolOp(op='OR', left=BoolOp(op='AND', left=Not(")


def test_syntax_errors_win_over_reserved_words() -> None:
    # DynamoDB checks the grammar before the names: a reserved word in a malformed text is a syntax error.
    with pytest.raises(ValidationException, match="Syntax error"):
        parse("ProjectionExpression", "name,")


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("pk = :v", [KeyCondition("pk", "=", (":v",))]),
        (":v = pk", [KeyCondition("pk", "=", (":v",))]),
        ("pk = :v AND sk < :w", [KeyCondition("pk", "=", (":v",)), KeyCondition("sk", "<", (":w",))]),
        ("pk = :v AND :w < sk", [KeyCondition("pk", "=", (":v",)), KeyCondition("sk", ">", (":w",))]),
        ("(pk = :v) AND (sk BETWEEN :lo AND :hi)",
         [KeyCondition("pk", "=", (":v",)), KeyCondition("sk", "BETWEEN", (":lo", ":hi"))]),
        ("begins_with(sk, :p) AND #k = :v", [KeyCondition("sk", "begins_with", (":p",)), KeyCondition("#k", "=", (":v",))]),
    ],
)
def test_key_condition_shape(text: str, conditions: list[KeyCondition]) -> None:
    assert list(key_conditions(text)[1]) == conditions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pk = :v OR sk = :w", "Invalid operator used in KeyConditionExpression: OR"),
        ("NOT pk = :v", "Invalid operator used in KeyConditionExpression: NOT"),
        ("pk IN (:v, :w)", "Invalid operator used in KeyConditionExpression: IN"),
        ("attribute_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
        ("pk <> :v", "Invalid operator used in KeyConditionExpression: <>"),
        ("pk = sk", "Multiple attribute names used in one condition"),
        ("pk.a = :v", "KeyConditionExpressions cannot have conditions on nested attributes"),
        ("pk = :v AND sk = :w AND x = :lo", "Conditions can be of length 1 or 2 only"),
        ("size(pk) = :v", "KeyConditionExpressions cannot contain nested operations"),
        ("pk = :v AND pk > :w", "KeyConditionExpressions must only contain one condition per key"),
        (":v = :w", "Invalid condition in KeyConditionExpression: No key attribute specified"),
        ("begins_with(:v, pk)", "begins_with operator must have the key attribute as its first operand"),
        ("pk = ", "Invalid KeyConditionExpression: Syntax error"),
    ],
)
def test_key_condition_rejected(text: str, message: str) -> None:
    with pytest.raises(ValidationException) as raised:
        key_conditions(text)
    assert message in raised.value.message


def test_parses_are_cached_on_the_text() -> None:
    first = parse("ProjectionExpression", "cached_a, cached_b.c")
    assert parse("ProjectionExpression", "cached_a, cached_b.c") is first


@pytest.mark.parametrize(
    ("names", "values", "expressions", "message"),
    [
        ({"#x": "adminFlag"}, None, [("ProjectionExpression", "title")],
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"),
        ({"#x": "a", "#y": "b"}, None, [("ProjectionExpression", "title")],
         "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x, #y}"),
        (None, {":v": {"S": "x"}}, [("ProjectionExpression", "title")],
         "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),
        (None, None, [("ProjectionExpression", "#t")],
         "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
         "attribute name: #t"),
        (None, None, [("ConditionExpression", "a = :v")],
         "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
         "attribute value: :v"),
        ({}, None, [], "ExpressionAttributeNames must not be empty"),
        (None, {}, [], "ExpressionAttributeValues must not be empty"),
        ({"x": "a"}, None, [], 'ExpressionAttributeNames contains invalid key: Syntax error; key: "x"'),
        (None, {"v": {"S": "x"}}, [], 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
        ({"#x": "a"}, None, [], "ExpressionAttributeNames can only be specified when using expressions"),
    ],
)
def test_placeholders_must_be_defined_and_used(
    names: dict[str, str] | None, values: dict[str, object] | None, expressions: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ValidationException) as raised:
        scope = ExpressionScope(names, values)
        for kind, text in expressions:
            scope.attributes(kind, text)  # type: ignore[arg-type]
        scope.finish()
    assert raised.value.message == message


def test_a_placeholder_used_in_any_expression_of_the_request_counts_as_used() -> None:
    scope = ExpressionScope({"#w": "Wins", "#b": "Banned"}, {":v": {"N": "1"}})
    assert scope.attributes("ProjectionExpression", "#w") == {"Wins"}
    assert scope.attributes("ConditionExpression", "attribute_not_exists(#b) AND #w > :v") == {"Banned", "Wins"}
    scope.finish()
