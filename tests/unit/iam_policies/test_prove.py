"""``prove``: the holes it must find (issue 9 and each documented pitfall of
``shared/spec/fgac-semantics.md`` §A.5), the policies it must accept, and the promise that every
counterexample is a case ``simulate`` decides Allow, replayed unchanged through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_policies.__main__ import main
from iam_policies.deployment import DeploymentParams
from iam_policies.intent import load_intent, parse_intent, shipped_intents
from iam_policies.prove import OTHER, OWN, Proof, prove
from iam_policies.render import render, render_value
from iam_policies.simulation import decide_case

HERE = Path(__file__).parent / "prove"
#: The user-role template as it was when issue 9 was filed (before the games fix).
BEFORE_ISSUE_9 = HERE / "user-role-before-issue-9.json"
ID = "${www.amazon.com:user_id}"
TABLES: dict[str, Any] = {
    "GameScores": {"partition_key": "UserId", "sort_key": "GameTitle",
                   "indexes": {"TopScoreIndex": {"type": "GSI", "partition_key": "GameTitle", "sort_key": "TopScore",
                                                 "projection": "ALL"}}},
    "Notes": {"partition_key": "owner", "sort_key": "noteId"},
}
TABLE = "arn:aws:dynamodb:us-west-2:123456789012:table/GameScores"
NOTES = "arn:aws:dynamodb:us-west-2:123456789012:table/Notes"
OWN_KEYS = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [ID]}, "Null": {"dynamodb:LeadingKeys": "false"}}


def _intent(*rules: dict[str, Any]) -> Any:
    return parse_intent({"identity": ID, "principal_vars": {"aws:PrincipalType": "AssumedRole"},
                         "tables": TABLES, "allow": list(rules)})


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]}


def _deployment() -> dict[str, str]:
    return DeploymentParams(account="000000000000").template_params()


# Each row: a policy with a known hole, the intent it fails, the operation and violation prove must
# report. Sources: fgac-semantics.md §A.5 items 1, 2, 4 and C.6/C.7, and issue 9 for PartiQL.
PITFALLS = [
    pytest.param(
        _policy({"Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], "Resource": TABLE,
                 "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [ID]}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"]}),
        "Scan", "reads every partition of GameScores",
        id="scan-beside-leading-keys (A.5 item 2, FGAC-A05)"),
    pytest.param(
        _policy({"Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem"], "Resource": TABLE,
                 "Condition": {"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": [ID]}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"]}),
        "BatchGetItem", f"reads partition {OTHER} of GameScores",
        id="for-any-value-leading-keys (A.5 item 1, FGAC-A25)"),
    pytest.param(
        _policy({"Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": TABLE,
                 "Condition": {**OWN_KEYS, "ForAllValues:StringEquals": {
                     "dynamodb:LeadingKeys": [ID], "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"]}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"], "read_attributes": ["TopScore"]}),
        "GetItem", f"reads every attribute in partition {OWN} of GameScores",
        id="attributes-without-select (A.5 item 4, FGAC-B18)"),
    pytest.param(
        _policy({"Action": "dynamodb:UpdateItem", "Resource": TABLE,
                 "Condition": {**OWN_KEYS, "ForAllValues:StringEquals": {
                     "dynamodb:LeadingKeys": [ID], "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"]},
                     "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read", "write", "create"],
                 "read_attributes": ["TopScore"], "write_attributes": ["TopScore"]}),
        "UpdateItem", f"reads every attribute in partition {OWN} of GameScores",
        id="attributes-without-return-values (A.5 item 4)"),
    pytest.param(
        _policy({"Action": "dynamodb:GetItem", "Resource": TABLE,
                 "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [ID + "*"]},
                               "Null": {"dynamodb:LeadingKeys": "false"}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"]}),
        "GetItem", f"reads partition {OWN}~{OTHER}~f7adbdade45c of GameScores",
        id="prefix-pattern (C.7: ${id}* also matches longer ids)"),
    pytest.param(
        _policy({"Action": "dynamodb:PartiQLSelect", "Resource": NOTES,
                 "Condition": {**OWN_KEYS, "ForAllValues:StringEquals": {
                     "dynamodb:LeadingKeys": [ID], "dynamodb:Attributes": ["owner", "noteId", "title"]}}}),
        _intent({"table": "Notes", "partition": "own", "access": ["read"], "read_attributes": ["title"]}),
        "ExecuteStatement", f"reads every attribute in partition {OWN} of Notes",
        id="partiql-select-star (issue 9)"),
]


def _find(proof: Proof, operation: str, violation: str) -> dict[str, Any]:
    for example in proof.counterexamples:
        if example.case["request"]["operation"] == operation and any(v.startswith(violation) for v in example.violates):
            return example.to_dict()
    found = [(c.case["request"]["operation"], c.violates) for c in proof.counterexamples]
    raise AssertionError(f"no {operation} counterexample that {violation}; found {found}")


@pytest.mark.parametrize(("policy", "intent", "operation", "violation"), PITFALLS)
def test_prove_finds_each_documented_pitfall_and_simulate_allows_it(
        policy: dict[str, Any], intent: Any, operation: str, violation: str) -> None:
    proof = prove(intent, policy)
    assert not proof.holds
    case = _find(proof, operation, violation)
    assert decide_case(case).decision == "Allow"


def test_prove_finds_the_game_planting_in_the_template_as_it_was() -> None:
    params = _deployment()
    old = render_value(json.loads(BEFORE_ISSUE_9.read_text()), params, name="before")
    proof = prove(load_intent("user-role", params), old)
    assert not proof.holds
    case = _find(proof, "UpdateItem", f"writes attribute Host in partition {OTHER}~{OWN}~f7adbdade45c of Games")
    assert case["request"]["api_params"]["Key"] == {"GameId": {"S": f"{OTHER}~{OWN}~f7adbdade45c"}}
    assert decide_case(case).decision == "Allow"


def _planting_case(policy: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """The exact request of issue 9: bob plants a game 'won by bob' in alice's list."""
    intent = load_intent("user-role", params)
    alice, bob = "alice-sub", "bob-sub"
    values = {":h": alice, ":o": bob, ":hn": "Alice", ":on": "Bob", ":b": "XXX-OO---", ":t": bob, ":s": "DONE",
              ":w": bob, ":u": "2099-01-01T00:00:00Z"}
    return {
        "id": "ISSUE-9-PLANTING", "tables": dict(intent.tables), "policy": policy,
        "principal_vars": {**intent.principal_vars, intent.identity_key: bob},
        "request": {"operation": "UpdateItem", "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Games",
                    "api_params": {
            "TableName": "Games", "Key": {"GameId": {"S": f"{alice}~{bob}~f7adbdade45c"}},
            "UpdateExpression": "SET Host=:h, Opponent=:o, HostName=:hn, OpponentName=:on, Board=:b, Turn=:t, "
                                "MoveCount=:n, GameStatus=:s, Winner=:w, UpdatedAt=:u",
            "ConditionExpression": "attribute_not_exists(GameId)",
            "ExpressionAttributeValues": {**{k: {"S": v} for k, v in values.items()}, ":n": {"N": "5"}}}},
    }


def test_the_issues_planting_request_is_allowed_before_the_fix_and_refused_after() -> None:
    params = _deployment()
    old = render_value(json.loads(BEFORE_ISSUE_9.read_text()), params, name="before")
    assert decide_case(_planting_case(old, params)).decision == "Allow"
    after = decide_case(_planting_case(render("user-role", params), params))
    assert (after.decision, after.deny_type) == ("Deny", "explicit")


@pytest.mark.parametrize("name", shipped_intents())
def test_every_shipped_template_holds_to_its_intent(name: str) -> None:
    """docs/intent.md: each intent in iam_policies/intents/ is proved against the template of the
    same name; the web-user role's is user-role.json."""
    params = _deployment()
    proof = prove(load_intent(name, params), render(name, params))
    assert proof.holds, [c.violates for c in proof.counterexamples] + [u["violates"] for u in proof.unreplayable]
    assert proof.unreachable == ()
    assert proof.requests > 100  # the classes were actually enumerated


def test_the_web_user_role_has_its_intent() -> None:
    assert "user-role" in shipped_intents()


@pytest.mark.parametrize(("policy", "intent"), [
    pytest.param(
        _policy({"Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"], "Resource": TABLE,
                 "Condition": OWN_KEYS}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"]}),
        id="FullAccessToUserItems read-only, with the Null guard"),
    pytest.param(
        _policy({"Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": TABLE,
                 "Condition": {**OWN_KEYS, "ForAllValues:StringEquals": {
                     "dynamodb:LeadingKeys": [ID], "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"]},
                     "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}}),
        _intent({"table": "GameScores", "partition": "own", "access": ["read"], "read_attributes": ["TopScore"]}),
        id="attribute allowlist with the Select guard"),
])
def test_sound_policies_hold(policy: dict[str, Any], intent: Any) -> None:
    proof = prove(intent, policy)
    assert proof.holds, [c.violates for c in proof.counterexamples]


def test_a_session_policy_narrows_what_must_hold() -> None:
    broad = _policy({"Action": "dynamodb:*", "Resource": "*"})
    narrow = _policy({"Action": "dynamodb:GetItem", "Resource": TABLE, "Condition": OWN_KEYS})
    intent = _intent({"table": "GameScores", "partition": "own", "access": ["read"]})
    assert not prove(intent, broad).holds
    assert prove(intent, broad, narrow).holds


def test_intended_access_no_request_can_use_is_reported_unreachable() -> None:
    policy = _policy({"Action": "dynamodb:GetItem", "Resource": TABLE, "Condition": OWN_KEYS})
    intent = _intent({"table": "GameScores", "partition": "own", "access": ["read", "delete"]},
                     {"table": "GameScores", "index": "TopScoreIndex", "partition": "any", "access": ["read"]})
    proof = prove(intent, policy)
    assert proof.holds
    assert proof.unreachable == (
        "allow[0] (GameScores, partition own, delete/read): no request can delete here",
        "allow[1] (GameScores/index/TopScoreIndex, partition any, read): no request can read here",
    )


def test_every_counterexample_comes_out_allow_from_the_simulate_cli(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    cases = []
    for param in PITFALLS:
        policy, intent, _, _ = param.values
        cases += [c.to_dict() for c in prove(intent, policy).counterexamples]  # type: ignore[union-attr]
    params = _deployment()
    old = render_value(json.loads(BEFORE_ISSUE_9.read_text()), params, name="before")
    cases += [c.to_dict() for c in prove(load_intent("user-role", params), old).counterexamples]
    path = tmp_path / "counterexamples.json"
    path.write_text(json.dumps(cases))
    assert main(["simulate", str(path), "--format", "json"]) == 0
    outcomes = json.loads(capsys.readouterr().out)
    assert len(outcomes) == len(cases) >= len(PITFALLS) + 1
    assert {o["decision"] for o in outcomes} == {"Allow"}
    assert all(o["matches"] for o in outcomes)


@pytest.mark.parametrize(("argv", "code", "stream", "text"), [
    (["--intent", "user-role", "user-role"], 0, "out", "the policy holds"),
    (["--intent", "user-role", str(BEFORE_ISSUE_9)], 1, "out", "writes attribute Host"),
    (["--intent", "nope", "user-role"], 2, "err", "error: no shipped intent 'nope'"),
    (["--intent", "user-role", "/nonexistent.json"], 2, "err", "error: POLICY: cannot read /nonexistent.json"),
])
def test_cli_exit_codes(argv: list[str], code: int, stream: str, text: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", *argv]) == code
    captured = capsys.readouterr()
    output = captured.out if stream == "out" else captured.err
    assert text in output
    if code == 2:
        assert output.count("\n") == 1 and "Traceback" not in output


def test_cli_json_output_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--intent", "user-role", str(BEFORE_ISSUE_9), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["holds"] is False
    # The old template predates the player directory (issue 10): only that part is unreachable.
    assert out["unreachable"] and all("NameBucket" in u or "NameKey" in u or "ByName" in u
                                      for u in out["unreachable"])
    example = out["counterexamples"][0]
    assert {"tables", "policy", "principal_vars", "request", "expected", "violates"} <= set(example)
    assert example["expected"] == "Allow"
    assert example["principal_vars"]["idp.localhost/dev:sub"] == OWN


def test_all_attributes_through_an_lsi_reads_the_whole_item_even_when_no_condition_names_select() -> None:
    tables = {"Scores": {"partition_key": "UserId", "sort_key": "GameTitle",
                         "indexes": {"ByDate": {"type": "LSI", "partition_key": "UserId", "sort_key": "Day",
                                                "projection": "KEYS_ONLY"}}}}
    intent = parse_intent({"identity": ID, "tables": tables, "allow": [
        {"table": "Scores", "index": "ByDate", "partition": "own", "access": ["read"], "read_attributes": []}]})
    policy = _policy({"Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/Scores/index/ByDate",
                      "Condition": OWN_KEYS})
    proof = prove(intent, policy)
    case = _find(proof, "Query", f"reads every attribute in partition {OWN} of Scores/index/ByDate")
    assert case["request"]["api_params"]["Select"] == "ALL_ATTRIBUTES"
    assert decide_case(case).decision == "Allow"


def test_actions_no_api_request_derives_are_still_decided() -> None:
    """RestoreTableFromBackup and friends: simulate cannot replay them, prove still reports them."""
    policy = _policy({"Action": "dynamodb:GetItem", "Resource": TABLE, "Condition": OWN_KEYS},
                     {"Action": "dynamodb:Restore*", "Resource": "*"})
    proof = prove(_intent({"table": "GameScores", "partition": "own", "access": ["read"]}), policy)
    assert not proof.holds
    actions = {entry["action"] for entry in proof.unreplayable}
    assert actions == {"dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime",
                       "dynamodb:RestoreTableFromAwsBackup"}
    assert proof.unreplayable[0]["violates"] == [
        "calls RestoreTableFromBackup on * (not in the intent's control_plane)"]


SPEC_CASES = [c for c in json.loads((Path(__file__).resolve().parents[3].parent / "shared" / "spec" /
                                     "fgac-cases.json").read_text())
              if c["request"]["operation"] != "AssumeRoleWithWebIdentity"]


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c["id"] for c in SPEC_CASES])
def test_every_counterexample_for_the_specs_policies_is_an_allow(case: dict[str, Any]) -> None:
    """Every policy of the shared spec (fgac-cases.json), against "own partition, anything": prove
    never fails on them, and each counterexample it returns is one simulate allows."""
    variables = case.get("principal_vars") or {}
    key = next((k for k in variables if k.endswith((":user_id", ":sub", ":id"))), "aws:userid")
    tables = case.get("tables") or {"GameScores": {"partition_key": "UserId"}}
    intent = parse_intent({
        "identity": "${" + key + "}", "principal_vars": {k: v for k, v in variables.items() if k != key},
        "tables": tables,
        "allow": [{"table": t, "partition": "own", "access": ["read", "write", "create", "delete"]} for t in tables],
    })
    proof = prove(intent, case["policy"], case.get("session_policy"))
    assert proof.requests > 0
    for example in proof.counterexamples:
        assert decide_case(example.to_dict()).decision == "Allow", example.violates


def test_cli_session_policy_narrows_the_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        "intent.json": {"identity": ID, "tables": TABLES,
                        "allow": [{"table": "GameScores", "partition": "own", "access": ["read"]}]},
        "role.json": _policy({"Action": "dynamodb:*", "Resource": "*"}),
        "session.json": _policy({"Action": "dynamodb:GetItem", "Resource": TABLE, "Condition": OWN_KEYS}),
    }
    for name, document in files.items():
        (tmp_path / name).write_text(json.dumps(document))
    intent, role, session = (str(tmp_path / name) for name in files)
    assert main(["prove", "--intent", intent, role]) == 1
    assert main(["prove", "--intent", intent, role, "--session-policy", session]) == 0
    assert "the policy holds" in capsys.readouterr().out
