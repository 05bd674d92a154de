"""Properties that must hold for every input, not just the ones we thought of.

- Resolving placeholders is transparent: a path written with ``#placeholders`` touches the same
  top-level name as the literal path, and an alias never reaches ``dynamodb:Attributes``.
- Parsing fails closed: any text either parses or raises ``ValidationException``; any request
  body either derives authorizations or raises an ``AwsError`` (never a TypeError or KeyError).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_policies.authorization import Authorization
from iam_policies.dynamodb import OPERATIONS, derive
from iam_policies.dynamodb.expressions import parse
from iam_policies.dynamodb.reserved import RESERVED_WORDS
from iam_policies.dynamodb.scope import ExpressionScope
from iam_policies.errors import AwsError, ValidationException
from iam_policies.schema import IndexSchema, TableSchema

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: A name usable bare in an expression: a letter first (``_c`` is a syntax error: dynalite
#: test/putItem.js "path token starts with underscore", recorded against DynamoDB).
identifiers = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: name.upper() not in RESERVED_WORDS
)
#: Any attribute name DynamoDB allows, including dots, dashes, spaces and '#' (only usable via an alias).
any_names = st.text(alphabet=string.ascii_letters + string.digits + "._-# ", min_size=1, max_size=12)
segments = st.lists(st.one_of(identifiers, st.integers(min_value=0, max_value=9)), min_size=0, max_size=4)


def render(first: str, rest: list[Any]) -> str:
    return first + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest)


@FAST
@given(first=identifiers, rest=segments, aliased=st.lists(st.booleans(), min_size=5, max_size=5))
def test_placeholders_resolve_to_the_literal_paths_top_level_name(first: str, rest: list[Any], aliased: list[bool]) -> None:
    literal = render(first, rest)
    names: dict[str, str] = {}

    def maybe_alias(name: str, index: int) -> str:
        if aliased[index % len(aliased)]:
            names[f"#p{index}"] = name
            return f"#p{index}"
        return name

    parts = [maybe_alias(first, 0)] + [
        part if isinstance(part, int) else maybe_alias(part, i + 1) for i, part in enumerate(rest)
    ]
    aliased_text = parts[0] + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[1:])
    for kind in ("ProjectionExpression", "ConditionExpression"):
        text_literal = literal if kind == "ProjectionExpression" else f"attribute_exists({literal})"
        text_aliased = aliased_text if kind == "ProjectionExpression" else f"attribute_exists({aliased_text})"
        plain = ExpressionScope(None, None).attributes(kind, text_literal)
        scope = ExpressionScope(names or None, None)
        assert scope.attributes(kind, text_aliased) == plain == {first}
        scope.finish()


@FAST
@given(outer=any_names, inner=any_names)
def test_an_alias_never_leaks_into_attributes(outer: str, inner: str) -> None:
    scope = ExpressionScope({"#a": outer, "#b": inner}, None)
    projected = scope.attributes("ProjectionExpression", "#a.#b")
    tested = scope.attributes("ConditionExpression", "attribute_exists(#b)")
    scope.finish()
    # The aliased values are taken literally (a dotted value is one name) and no '#a'/'#b' leaks.
    assert projected == {outer}
    assert tested == {inner}


@FAST
@given(text=st.text(alphabet=string.printable, max_size=40),
       kind=st.sampled_from(["ProjectionExpression", "ConditionExpression", "FilterExpression",
                             "KeyConditionExpression", "UpdateExpression"]))
def test_random_text_parses_or_raises_validation(text: str, kind: str) -> None:
    try:
        parse(kind, text)  # type: ignore[arg-type]
    except ValidationException:
        pass


partiql_tokens = st.sampled_from(["SELECT", "*", "FROM", '"Notes"', "Notes", ".", '"byPublic"', "WHERE", '"owner"',
                                  "=", "'a'", "?", "IN", "[", "]", ",", "AND", "OR", "NOT", "INSERT", "INTO", "VALUE",
                                  "{", "}", ":", "UPDATE", "SET", "REMOVE", "DELETE", "RETURNING", "ALL", "OLD", "*",
                                  "EXISTS", "(", ")", "1", "<<", ">>", "BETWEEN", "IS", "MISSING", "noteId"])


@FAST
@given(parts=st.lists(partiql_tokens, max_size=14), parameters=st.lists(st.just({"S": "p"}), max_size=2))
def test_partiql_soup_derives_or_raises_an_aws_error(parts: list[str], parameters: list[Any]) -> None:
    params: dict[str, Any] = {"Statement": " ".join(parts) or "x", "Parameters": parameters}
    try:
        result = derive("ExecuteStatement", params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    except AwsError:
        return
    assert all(isinstance(a, Authorization) for a in result)


tokens = st.sampled_from(["a", "b.c", "#n", ":v", "(", ")", ",", "=", "<>", "<", "AND", "OR", "NOT", "BETWEEN",
                          "IN", "SET", "REMOVE", "ADD", "DELETE", "+", "-", "[0]", "size", "begins_with",
                          "if_not_exists", "list_append", "attribute_exists", "."])


@FAST
@given(parts=st.lists(tokens, max_size=12),
       kind=st.sampled_from(["ProjectionExpression", "ConditionExpression", "KeyConditionExpression",
                             "UpdateExpression"]))
def test_token_soup_parses_or_raises_validation(parts: list[str], kind: str) -> None:
    try:
        parse(kind, " ".join(parts))  # type: ignore[arg-type]
    except ValidationException:
        pass


SCHEMAS = {"Notes": TableSchema("Notes", "owner", "noteId",
                                {"byPublic": IndexSchema("byPublic", "GSI", "visibility")})}
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6),
              st.sampled_from(["Notes", "owner", "noteId", "#n", ":v", "S", "N", "ALL_OLD", "COUNT", "EQ",
                               "owner = :v", "SELECT * FROM Notes"])),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["S", "N", "B", "owner", "noteId", "#n", ":v", "Item", "Key", "Get", "Put",
                                         "TableName", "Statement", "Keys", "PutRequest", "ComparisonOperator",
                                         "AttributeValueList"]), children, max_size=3),
    ),
    max_leaves=8,
)
PARAMETERS = ["TableName", "Key", "Item", "ProjectionExpression", "ExpressionAttributeNames",
              "ExpressionAttributeValues", "KeyConditionExpression", "KeyConditions", "IndexName", "Select",
              "UpdateExpression", "ConditionExpression", "ReturnValues", "RequestItems", "TransactItems",
              "Statement", "Parameters", "AttributesToGet", "ExclusiveStartKey", "ShardIterator", "ResourceArn"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=st.sampled_from(sorted(OPERATIONS)),
       params=st.dictionaries(st.sampled_from(PARAMETERS), json_values, max_size=5))
def test_any_request_body_derives_or_raises_an_aws_error(operation: str, params: dict[str, Any]) -> None:
    try:
        result = derive(operation, params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    except AwsError:
        return
    assert all(isinstance(a, Authorization) for a in result)


ALICE = {"owner": {"S": "alice"}, "noteId": {"S": "n1"}}
BOB = {"owner": {"S": "bob"}, "noteId": {"S": "b1"}}
SEEDS: list[tuple[str, dict[str, Any]]] = [
    ("GetItem", {"TableName": "Notes", "Key": ALICE, "ProjectionExpression": "#t", "ExpressionAttributeNames": {"#t": "t"}}),
    ("PutItem", {"TableName": "Notes", "Item": {**ALICE, "x": {"N": "1"}}, "ReturnValues": "ALL_OLD"}),
    ("UpdateItem", {"TableName": "Notes", "Key": ALICE, "UpdateExpression": "SET a = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}}, "Expected": None}),
    ("Query", {"TableName": "Notes", "KeyConditionExpression": "#o = :v", "ExpressionAttributeNames": {"#o": "owner"},
               "ExpressionAttributeValues": {":v": {"S": "alice"}}, "ExclusiveStartKey": ALICE}),
    ("Query", {"TableName": "Notes", "KeyConditions": {"owner": {"ComparisonOperator": "EQ",
                                                                 "AttributeValueList": [{"S": "a"}]}}}),
    ("Scan", {"TableName": "Notes", "IndexName": "byPublic", "ScanFilter": {"a": {"ComparisonOperator": "NULL"}}}),
    ("BatchGetItem", {"RequestItems": {"Notes": {"Keys": [ALICE], "AttributesToGet": ["a"]}}}),
    ("BatchWriteItem", {"RequestItems": {"Notes": [{"PutRequest": {"Item": ALICE}},
                                                    {"DeleteRequest": {"Key": {**ALICE, "noteId": {"S": "n2"}}}}]}}),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "Notes", "Item": ALICE}},
                                              {"ConditionCheck": {"TableName": "Notes", "Key": BOB,
                                                                  "ConditionExpression": "attribute_exists(a)"}}]}),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "Notes", "Key": ALICE}}]}),
    ("ExecuteStatement", {"Statement": "SELECT a FROM Notes WHERE \"owner\" IN [?, 'b']", "Parameters": [{"S": "a"}]}),
    ("ExecuteTransaction", {"TransactStatements": [{"Statement": "INSERT INTO Notes VALUE {'owner': 'a', 'noteId': 1}"}]}),
]


def mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """Replace the node reached by following ``path`` (indices modulo each container's size)."""
    if not path or not isinstance(value, (dict, list)) or not value:
        return replacement
    if isinstance(value, dict):
        key = sorted(value)[path[0] % len(value)]
        return {**value, key: mutate(value[key], path[1:], replacement)}
    index = path[0] % len(value)
    return [*value[:index], mutate(value[index], path[1:], replacement), *value[index + 1:]]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), path=st.lists(st.integers(min_value=0, max_value=7), max_size=5),
       replacement=json_values)
def test_a_mutated_valid_request_derives_or_raises_an_aws_error(
    seed: tuple[str, dict[str, Any]], path: list[int], replacement: Any
) -> None:
    operation, params = seed
    try:
        result = derive(operation, mutate(params, path, replacement), schemas=SCHEMAS, region="us-east-1",
                        account="000000000000")
    except AwsError:
        return
    assert all(isinstance(a, Authorization) for a in result)


def test_the_seeds_are_valid_requests() -> None:
    for operation, params in SEEDS:
        assert derive(operation, params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
