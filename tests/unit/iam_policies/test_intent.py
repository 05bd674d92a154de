"""The intent loader (docs/intent.md): what a good intent becomes, and the one-line error for
each kind of bad input (the message names the JSON path and says what to write instead)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from iam_policies.deployment import DeploymentParams
from iam_policies.intent import IntentError, Partition, load_intent, parse_intent, shipped_intents

GOOD: dict[str, Any] = {
    "identity": "${www.amazon.com:user_id}",
    "principal_vars": {"aws:PrincipalType": "AssumedRole"},
    "tables": {"GameScores": {"partition_key": "UserId", "sort_key": "GameTitle",
                              "indexes": {"TopScoreIndex": {"type": "GSI", "partition_key": "GameTitle",
                                                            "sort_key": "TopScore", "projection": "ALL"}}}},
    "allow": [
        {"table": "GameScores", "partition": "own", "access": ["read", "write"],
         "read_attributes": "*", "write_attributes": ["TopScore", "Wins", "UpdatedAt"]},
        {"table": "GameScores", "index": "TopScoreIndex", "partition": "any", "access": ["read"],
         "read_attributes": ["GameTitle", "TopScore", "UserId"]},
        {"table": "GameScores", "partition": {"like": "${identity}~*"}, "access": ["create"]},
    ],
}


def test_the_issue_example_loads_into_typed_rules() -> None:
    intent = parse_intent(GOOD)
    assert intent.identity_key == "www.amazon.com:user_id"
    own, index, like = intent.allow
    assert (own.partition, own.access, own.read_attributes, own.write_attributes) == (
        Partition("own"), frozenset({"read", "write"}), None, frozenset({"TopScore", "Wins", "UpdatedAt"}))
    assert (index.index, index.read_attributes) == ("TopScoreIndex", frozenset({"GameTitle", "TopScore", "UserId"}))
    assert like.partition == Partition("like", "${identity}~*")
    assert intent.schemas["GameScores"].indexes["TopScoreIndex"].partition_key == "GameTitle"


@pytest.mark.parametrize(("pattern", "value", "identity", "expected"), [
    ("${identity}~*", "alice~bob~1", "alice", True),
    ("${identity}~*", "bob~alice~1", "alice", False),
    ("*~${identity}~*", "bob~alice~1", "alice", True),
    ("*~${identity}~*", "alice~x~bob~y", "bob", True),  # the issue's note: * crosses the separator
    ("${identity}?", "alice1", "alice", True),
    ("${identity}?", "alice", "alice", False),
    ("${identity}", "a.c", "a.c", True),  # the identity is literal, not a pattern
    ("${identity}", "abc", "a.c", False),
])
def test_like_patterns_are_iam_globs_with_a_literal_identity(pattern: str, value: str, identity: str,
                                                             expected: bool) -> None:
    assert Partition("like", pattern).matches(value, identity) is expected


def test_the_identity_variable_may_be_spelled_out_in_a_pattern() -> None:
    data = copy.deepcopy(GOOD)
    data["allow"][2]["partition"] = {"like": "${www.amazon.com:user_id}~*"}
    assert parse_intent(data).allow[2].partition == Partition("like", "${identity}~*")


def _bad(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(("path", "value", "message"), [
    ("identity", _DELETE, "intent.identity: must be one policy variable"),
    ("identity", "www.amazon.com:user_id", "intent.identity: must be one policy variable"),
    ("identity", "${a}${b}", "intent.identity: must be one policy variable"),
    ("principal_vars", {"aws:PrincipalType": 1}, "intent.principal_vars: must be an object of strings"),
    ("principal_vars", {"www.amazon.com:user_id": "alice"}, "must not set the identity"),
    ("tables", {}, "intent.tables: must be an object of tables"),
    ("tables.GameScores.partition_key", _DELETE, "intent.tables.GameScores: needs a partition_key"),
    ("tables.GameScores.indexes.TopScoreIndex.type", "global", 'type: must be "GSI" or "LSI"'),
    ("tables.GameScores.hash_key", "UserId", "intent.tables.GameScores: unknown field(s) hash_key"),
    ("allow", {}, "intent.allow: must be a list of rules"),
    ("allow.0.table", "Scores", "intent.allow[0].table: 'Scores' is not in intent.tables"),
    ("allow.1.index", "ByScore", "intent.allow[1].index: GameScores has no index 'ByScore'"),
    ("allow.1.access", ["read", "write"], "an index is read-only"),
    ("allow.0.access", ["read", "update"], "intent.allow[0].access: must be a non-empty list of read, write"),
    ("allow.0.access", [], "intent.allow[0].access: must be a non-empty list"),
    ("allow.0.partition", "mine", 'intent.allow[0].partition: must be "own", "any" or {"like"'),
    ("allow.0.partition", {"like": "${aws:username}*"}, "only the identity"),
    ("allow.0.read_attributes", "TopScore", 'intent.allow[0].read_attributes: must be "*" or a list'),
    ("allow.0.write_attributes", ["Address.City"], "is not a top-level attribute name"),
    ("allow.0.writes", ["x"], "intent.allow[0]: unknown field(s) writes"),
    ("control_plane", ["Scan"], "intent.control_plane: 'Scan' is not a control-plane operation"),
    ("allowed", [], "intent: unknown field(s) allowed"),
])
def test_bad_intents_get_one_line_naming_the_place(path: str, value: Any, message: str) -> None:
    with pytest.raises(IntentError) as caught:
        parse_intent(_bad(path, value))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("source", "message"), [
    ("/nonexistent/intent.json", "cannot read intent /nonexistent/intent.json"),
    ("no-such-intent", "no shipped intent 'no-such-intent'"),
    ("{not json", "is not valid JSON"),
    ("user-role", "intent uses the template parameter {{"),
])
def test_sources_that_cannot_be_loaded(source: str, message: str) -> None:
    with pytest.raises(IntentError) as caught:
        load_intent(source)
    assert message in str(caught.value)


def test_a_file_is_read(tmp_path: Any) -> None:
    import json

    path = tmp_path / "intent.json"
    path.write_text(json.dumps(GOOD))
    assert load_intent(path).allow[0].table == "GameScores"


@pytest.mark.parametrize("name", shipped_intents())
def test_shipped_intents_render_for_a_deployment(name: str) -> None:
    params = DeploymentParams(account="111122223333", table_prefix="prod-").template_params()
    intent = load_intent(name, params)
    assert intent.identity == "${idp.localhost/dev:sub}"
    assert all(table.startswith("prod-") for table in intent.tables)
