"""The rules for the holes prove found (FGAC008, FGAC009, IAM005) and for names that do not exist
(IAM006, IAM007): each with a policy it must flag and one it must pass. For FGAC008 and FGAC009 the
bad example is also decided by ``simulate``'s engine, to show the hole is real (the request the
rule warns about comes out Allow) and the good example closes it."""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.intent import load_intent
from iam_policies.lint import lint
from iam_policies.simulation import decide_case

SUB = "${idp.localhost/dev:sub}"
NOTES = "arn:aws:dynamodb:us-east-1:123456789012:table/Notes"  # simulate's default account
GAMES = "arn:aws:dynamodb:us-east-1:123456789012:table/Games"
OWN = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [SUB]}, "Null": {"dynamodb:LeadingKeys": "false"}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str] | str, condition: dict[str, Any] | None = None, resource: Any = NOTES) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


ALLOWLIST = ["owner", "noteId", "title"]


def attributes(*extra: tuple[str, Any]) -> dict[str, Any]:
    condition: dict[str, Any] = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [SUB], "dynamodb:Attributes": ALLOWLIST}}
    for operator, entries in extra:
        condition.setdefault(operator, {}).update(entries)
    return condition


STRICT_SELECT = ("StringEquals", {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"})
LENIENT_SELECT = ("StringEqualsIfExists", {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"})
NULL_ATTRIBUTES = ("Null", {"dynamodb:Attributes": "false"})

CASES = [
    # FGAC008 -----------------------------------------------------------------------------------
    ("PartiQLSelect under an allowlist leaks SELECT *",
     policy(allow("dynamodb:PartiQLSelect", attributes())), "FGAC008", True),
    ("an IfExists Select guard does not close PartiQL (it carries no Select)",
     policy(allow("dynamodb:PartiQLSelect", attributes(LENIENT_SELECT))), "FGAC008", True),
    ("a Null guard on Attributes closes PartiQL",
     policy(allow("dynamodb:PartiQLSelect", attributes(NULL_ATTRIBUTES))), "FGAC008", False),
    ("a strict Select guard closes PartiQLSelect",
     policy(allow("dynamodb:PartiQLSelect", attributes(STRICT_SELECT))), "FGAC008", False),
    ("Scan under an allowlist without a guard",
     policy(allow("dynamodb:Scan", {"ForAllValues:StringEquals": {"dynamodb:Attributes": ALLOWLIST}})), "FGAC008", True),
    ("a Null guard on Attributes closes Scan",
     policy(allow("dynamodb:Scan", {"ForAllValues:StringEquals": {"dynamodb:Attributes": ALLOWLIST},
                                    "Null": {"dynamodb:Attributes": "false"}})), "FGAC008", False),
    ("PartiQLUpdate under an allowlist without a ReturnValues limit",
     policy(allow("dynamodb:PartiQLUpdate", attributes())), "FGAC008", True),
    ("PartiQLUpdate with a ReturnValues limit",
     policy(allow("dynamodb:PartiQLUpdate", attributes(("StringEqualsIfExists", {"dynamodb:ReturnValues": ["NONE"]})))),
     "FGAC008", False),
    # FGAC009 (no intent) -------------------------------------------------------------------------
    ("UpdateItem on pattern partitions can plant items",
     policy(allow("dynamodb:UpdateItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [SUB + "~*"]}}, GAMES)),
     "FGAC009", True),
    ("UpdateItem on exact own partitions",
     policy(allow("dynamodb:UpdateItem", OWN)), "FGAC009", True),
    ("no UpdateItem, no creation finding",
     policy(allow(["dynamodb:GetItem", "dynamodb:PutItem"], OWN)), "FGAC009", False),
    # IAM005 ------------------------------------------------------------------------------------
    ("an OIDC sub before a separator and a wildcard",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [SUB + "~*"]}})), "IAM005", True),
    ("the games pattern on both sides",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*~" + SUB + "~*"]}})),
     "IAM005", True),
    ("a prefix pattern without a separator",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["${www.amazon.com:user_id}*"]}})),
     "IAM005", True),
    ("a separator the variable's values cannot contain",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["${www.amazon.com:user_id}#*"]}})),
     "IAM005", False),
    ("StringEquals with the variable",
     policy(allow("dynamodb:GetItem", OWN)), "IAM005", False),
    ("a StringLike value with the variable alone",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [SUB]}})), "IAM005", False),
    # IAM006 ------------------------------------------------------------------------------------
    ("a misspelt action", policy(allow(["dynamodb:GetItem", "dynamodb:GetItems"], OWN)), "IAM006", True),
    ("a wildcard that matches no action", policy(allow("dynamodb:Gte*", OWN)), "IAM006", True),
    ("an API that is not an IAM action", policy(allow("dynamodb:TransactWriteItems", OWN)), "IAM006", True),
    ("a permission-only action and a streams action",
     policy(allow(["dynamodb:ConditionCheckItem", "dynamodb:PartiQLInsert", "dynamodb:GetRecords"], OWN)), "IAM006", False),
    ("an STS action checked against sts's model",
     policy({"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"}), "IAM006", False),
    ("another service is not checked", policy(allow("s3:GetObjekt")), "IAM006", False),
    # IAM007 ------------------------------------------------------------------------------------
    ("a misspelt DynamoDB key",
     policy(allow("dynamodb:GetItem", {"ForAllValues:StringEquals": {"dynamodb:LeadingKey": [SUB]}})), "IAM007", True),
    ("a misspelt global key", policy(allow("dynamodb:GetItem", {"IpAddress": {"aws:SourceIpp": "10.0.0.0/8"}})), "IAM007", True),
    ("known keys, tag keys and provider claims",
     policy(allow("dynamodb:GetItem", {"StringEquals": {"aws:PrincipalTag/team": "a", "aws:SourceIp": "1.2.3.4",
                                                        "idp.localhost/dev:aud": "webapp", "dynamodb:Select": "COUNT"}})),
     "IAM007", False),
]


@pytest.mark.parametrize(("document", "code", "flagged"), [(d, c, f) for _, d, c, f in CASES],
                         ids=[name for name, _, _, _ in CASES])
def test_rule(document: dict[str, Any], code: str, flagged: bool) -> None:
    assert (code in {f.code for f in lint(document)}) is flagged


def test_update_item_creation_is_a_warning_on_patterns_and_info_on_own_partitions() -> None:
    by_text = {name: doc for name, doc, _, _ in CASES}
    planted = [f for f in lint(by_text["UpdateItem on pattern partitions can plant items"]) if f.code == "FGAC009"]
    own = [f for f in lint(by_text["UpdateItem on exact own partitions"]) if f.code == "FGAC009"]
    assert [f.severity.value for f in planted] == ["warning"] and [f.severity.value for f in own] == ["info"]


def test_unknown_names_point_at_the_entry() -> None:
    [finding] = [f for f in lint(policy(allow(["dynamodb:GetItem", "dynamodb:GetItems"], OWN))) if f.code == "IAM006"]
    assert finding.path == "$.Statement[0].Action[1]" and finding.severity.value == "error"
    [api] = [f for f in lint(policy(allow("dynamodb:TransactWriteItems", OWN))) if f.code == "IAM006"]
    assert "PutItem, UpdateItem, DeleteItem or ConditionCheckItem" in api.message


# The holes are real: what the rules flag comes out Allow in the engine, and the guard closes it.

TABLES = {"Notes": {"partition_key": "owner", "sort_key": "noteId"},
          "Games": {"partition_key": "GameId"}}
ALICE = {"idp.localhost/dev:sub": "alice", "aws:PrincipalType": "AssumedRole"}


def decide(document: dict[str, Any], operation: str, params: dict[str, Any]) -> str:
    case = {"id": "x", "tables": TABLES, "policy": document, "principal_vars": ALICE,
            "request": {"operation": operation, "api_params": params}}
    return decide_case(case).decision


SELECT_STAR = {"Statement": "SELECT * FROM \"Notes\" WHERE \"owner\" = 'alice'"}


@pytest.mark.parametrize(("extra", "decision"), [
    ((), "Allow"), ((LENIENT_SELECT,), "Allow"), ((NULL_ATTRIBUTES,), "Deny"), ((STRICT_SELECT,), "Deny"),
], ids=["no guard", "Null guard", "IfExists Select", "strict Select"])
def test_select_star_reads_hidden_attributes_unless_select_is_required(extra: tuple[Any, ...], decision: str) -> None:
    assert decide(policy(allow("dynamodb:PartiQLSelect", attributes(*extra))), "ExecuteStatement", SELECT_STAR) == decision


def test_update_item_on_a_pattern_plants_an_item_in_another_users_list() -> None:
    games = policy(allow("dynamodb:UpdateItem", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["*~" + SUB + "~*"]},
                                                 "Null": {"dynamodb:LeadingKeys": "false"}}, GAMES))
    planting = {"TableName": "Games", "Key": {"GameId": {"S": "bob~alice~f7adbdade45c"}},
                "UpdateExpression": "SET Host = :h", "ExpressionAttributeValues": {":h": {"S": "bob"}},
                "ConditionExpression": "attribute_not_exists(GameId)"}
    assert decide(games, "UpdateItem", planting) == "Allow"
    assert any(f.code == "FGAC009" for f in lint(games))


# FGAC009 with an intent ------------------------------------------------------------------------

INTENT = {"identity": SUB, "tables": {"Notes": {"partition_key": "owner", "sort_key": "noteId"}},
          "allow": [{"table": "Notes", "partition": "own", "access": ["read", "write"], "read_attributes": "*",
                     "write_attributes": "*"}]}


@pytest.mark.parametrize(("access", "resource", "flagged"), [
    (["read", "write"], NOTES, True),
    (["read", "write", "create"], NOTES, False),
    (["read", "write"], "arn:aws:dynamodb:us-east-1:123456789012:table/*", True),
    (["read", "write"], "arn:aws:dynamodb:us-east-1:123456789012:table/Other", False),
], ids=["no create", "create allowed", "wildcard resource", "another table"])
def test_update_item_where_the_intent_allows_no_create(access: list[str], resource: str, flagged: bool) -> None:
    intent = load_intent({**INTENT, "allow": [{**INTENT["allow"][0], "access": access}]})
    errors = [f for f in lint(policy(allow("dynamodb:UpdateItem", OWN, resource)), intent=intent)
              if f.code == "FGAC009" and f.severity.value == "error"]
    assert bool(errors) is flagged


def test_docs_lint_md_lists_every_code_lint_can_report() -> None:
    import re
    from pathlib import Path

    import iam_policies.lint.pitfalls as pitfalls_module
    import iam_policies.lint.rules as rules_module

    root = Path(__file__).resolve().parents[4]
    documented = set(re.findall(r"^\| ([A-Z]+\d{3}) \|", (root / "docs" / "lint.md").read_text(), re.M))
    emitted = set(re.findall(r"\"([A-Z]+\d{3})\"", Path(rules_module.__file__).read_text()
                             + Path(pitfalls_module.__file__).read_text())) | {"IAM000"}
    assert documented == emitted
