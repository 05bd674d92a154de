"""The provisioned role policies, run through the engine on requests derived from the app's real
DynamoDB calls: each row is a rule of docs/data-model.md ("Who may do what").

The policies are the ones the registry provisions from the templates, the schemas the ones
``webapp.tables`` creates, the requests the ones the page sends (data-model "Transactions").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iam_policies.decision import Effect
from iam_policies.dynamodb import derive
from iam_policies.evaluate import evaluate
from webapp.clock import ManualClock
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.tables import TABLES

ME, OTHER, THIRD = "alice-sub", "bob-sub", "carol-sub"
SETTINGS = Settings(data_dir=Path("/nonexistent"))
SCHEMAS = {t.physical_name(SETTINGS): t.schema(t.physical_name(SETTINGS)) for t in TABLES}
VARIABLES = {"idp.localhost/dev:sub": ME, "aws:userid": "AROAEXAMPLE:alice", "aws:PrincipalType": "AssumedRole"}


def s(value: str) -> dict[str, str]:
    return {"S": value}


def tag_item(owner: str, tag: str = "sunset") -> dict[str, Any]:
    return {"UserId": s(owner), "TagKey": s(f"TAG#{tag}#2026-01-01#p1"), "Tag": s(tag), "PhotoId": s("p1"),
            "TakenOn": s("2026-01-01"), "Title": s("t")}


def add_photo(owner: str, tag_owner: str | None = None) -> dict[str, Any]:
    """The page's "add" transaction: photo, tag item, tag counter."""
    tag_owner = tag_owner or owner
    return {"TransactItems": [
        {"Put": {"TableName": "Photos", "Item": {"UserId": s(owner), "PhotoId": s("2026#ab"), "Title": s("t"),
                                                 "Version": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(PhotoId)"}},
        {"Put": {"TableName": "PhotoTags", "Item": tag_item(tag_owner)}},
        {"Update": {"TableName": "PhotoTags", "Key": {"UserId": s(tag_owner), "TagKey": s("COUNT#sunset")},
                    "UpdateExpression": "ADD PhotoCount :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ]}


def public_query(projection: str | None, select: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "TableName": "PhotoTags", "IndexName": "PublicByTag", "KeyConditionExpression": "PublicTag = :t",
        "ExpressionAttributeValues": {":t": s("sunset")},
    }
    if projection is not None:
        params["ProjectionExpression"] = projection
    if select is not None:
        params["Select"] = select
    return params


def move(game_id: str) -> dict[str, Any]:
    return {"TableName": "Games", "Key": {"GameId": s(game_id)},
            "UpdateExpression": "SET Board = :b, Turn = :o, MoveCount = MoveCount + :one, UpdatedAt = :now",
            "ConditionExpression": "GameStatus = :active AND Turn = :me AND MoveCount = :n AND Board = :old",
            "ExpressionAttributeValues": {k: s("x") for k in (":b", ":o", ":now", ":active", ":me", ":old")}
            | {":one": {"N": "1"}, ":n": {"N": "0"}}}


PUBLIC = "PublicTag, TakenOn, UserId, TagKey, Title, Thumb, PhotoId, OwnerName"

# (rule, operation, params, expected effect)
CASES: list[tuple[str, str, dict[str, Any], Effect]] = [
    # 1. own photos and tags, nobody else's, no Scan
    ("get own photo", "GetItem", {"TableName": "Photos", "Key": {"UserId": s(ME), "PhotoId": s("p")}}, Effect.ALLOW),
    ("get another's photo", "GetItem", {"TableName": "Photos", "Key": {"UserId": s(OTHER), "PhotoId": s("p")}},
     Effect.IMPLICIT_DENY),
    ("newest first, own", "Query", {"TableName": "Photos", "KeyConditionExpression": "UserId = :me",
                                    "ExpressionAttributeValues": {":me": s(ME)}, "ScanIndexForward": False},
     Effect.ALLOW),
    ("query another's photos", "Query", {"TableName": "Photos", "KeyConditionExpression": "UserId = :u",
                                         "ExpressionAttributeValues": {":u": s(OTHER)}}, Effect.IMPLICIT_DENY),
    ("own photos by date (LSI)", "Query", {
        "TableName": "Photos", "IndexName": "ByDate",
        "KeyConditionExpression": "UserId = :me AND TakenOn BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":me": s(ME), ":a": s("2026-01-01"), ":b": s("2026-12-31")}}, Effect.ALLOW),
    ("own tags by prefix", "Query", {
        "TableName": "PhotoTags", "KeyConditionExpression": "UserId = :me AND begins_with(TagKey, :p)",
        "ExpressionAttributeValues": {":me": s(ME), ":p": s("TAG#sunset#")}}, Effect.ALLOW),
    ("scan photos", "Scan", {"TableName": "Photos"}, Effect.IMPLICIT_DENY),
    ("scan tags", "Scan", {"TableName": "PhotoTags"}, Effect.IMPLICIT_DENY),
    ("add photo transaction", "TransactWriteItems", add_photo(ME), Effect.ALLOW),
    ("add photo with another's tag", "TransactWriteItems", add_photo(ME, OTHER), Effect.IMPLICIT_DENY),
    ("delete own photo", "DeleteItem", {"TableName": "Photos", "Key": {"UserId": s(ME), "PhotoId": s("p")},
                                        "ConditionExpression": "Version = :v",
                                        "ExpressionAttributeValues": {":v": {"N": "1"}}}, Effect.ALLOW),
    ("delete another's photo", "DeleteItem", {"TableName": "Photos", "Key": {"UserId": s(OTHER), "PhotoId": s("p")}},
     Effect.IMPLICIT_DENY),
    # 2. public tags: only public attributes, only SPECIFIC_ATTRIBUTES
    ("public tag query, public attributes", "Query", public_query(PUBLIC), Effect.ALLOW),
    ("public tag query, all attributes", "Query", public_query(None), Effect.IMPLICIT_DENY),
    ("public tag query, private attribute", "Query", public_query("PhotoId, Tag"), Effect.IMPLICIT_DENY),
    ("public tag query, Select ALL_PROJECTED", "Query", public_query(None, "ALL_PROJECTED_ATTRIBUTES"),
     Effect.IMPLICIT_DENY),
    # 3. profiles
    ("read own profile", "GetItem", {"TableName": "Profiles", "Key": {"UserId": s(ME)}}, Effect.ALLOW),
    ("read another's display name", "GetItem", {"TableName": "Profiles", "Key": {"UserId": s(OTHER)},
                                                "ProjectionExpression": "UserId, DisplayName"}, Effect.ALLOW),
    ("read another's whole profile", "GetItem", {"TableName": "Profiles", "Key": {"UserId": s(OTHER)}},
     Effect.IMPLICIT_DENY),
    ("read another's plan", "GetItem", {"TableName": "Profiles", "Key": {"UserId": s(OTHER)},
                                        "ProjectionExpression": "UserId, #p",
                                        "ExpressionAttributeNames": {"#p": "Plan"}}, Effect.IMPLICIT_DENY),
    ("batch read display names", "BatchGetItem", {"RequestItems": {"Profiles": {
        "Keys": [{"UserId": s(OTHER)}, {"UserId": s(THIRD)}], "ProjectionExpression": "UserId, DisplayName"}}},
     Effect.ALLOW),
    ("edit own name and bio", "UpdateItem", {
        "TableName": "Profiles", "Key": {"UserId": s(ME)},
        "UpdateExpression": "SET DisplayName = :n, Bio = :b, UpdatedAt = :t",
        "ExpressionAttributeValues": {":n": s("A"), ":b": s("B"), ":t": s("T")}}, Effect.ALLOW),
    ("edit another's name", "UpdateItem", {
        "TableName": "Profiles", "Key": {"UserId": s(OTHER)}, "UpdateExpression": "SET DisplayName = :n",
        "ExpressionAttributeValues": {":n": s("A")}}, Effect.IMPLICIT_DENY),
    ("upgrade own plan", "UpdateItem", {
        "TableName": "Profiles", "Key": {"UserId": s(ME)}, "UpdateExpression": "SET #p = :pro",
        "ExpressionAttributeNames": {"#p": "Plan"}, "ExpressionAttributeValues": {":pro": s("pro")}},
     Effect.EXPLICIT_DENY),
    ("promote own role", "UpdateItem", {
        "TableName": "Profiles", "Key": {"UserId": s(ME)}, "UpdateExpression": "SET DisplayName = :n, #r = :m",
        "ExpressionAttributeNames": {"#r": "Role"}, "ExpressionAttributeValues": {":n": s("A"), ":m": s("moderator")}},
     Effect.EXPLICIT_DENY),
    ("put own profile with a plan", "PutItem", {
        "TableName": "Profiles", "Item": {"UserId": s(ME), "DisplayName": s("A"), "Plan": s("pro")}},
     Effect.EXPLICIT_DENY),
    ("edit own profile asking for all old values", "UpdateItem", {
        "TableName": "Profiles", "Key": {"UserId": s(ME)}, "UpdateExpression": "SET Bio = :b",
        "ExpressionAttributeValues": {":b": s("B")}, "ReturnValues": "ALL_OLD"}, Effect.IMPLICIT_DENY),
    # 4. games
    ("create a game you host", "PutItem", {"TableName": "Games", "Item": {
        "GameId": s(f"{ME}~{OTHER}~0123456789ab"), "Host": s(ME), "Opponent": s(OTHER)}}, Effect.ALLOW),
    ("create a game someone else hosts", "PutItem", {"TableName": "Games", "Item": {
        "GameId": s(f"{OTHER}~{ME}~0123456789ab"), "Host": s(OTHER), "Opponent": s(ME)}}, Effect.IMPLICIT_DENY),
    ("move in your own game as host", "UpdateItem", move(f"{ME}~{OTHER}~0123456789ab"), Effect.ALLOW),
    ("move in your own game as opponent", "UpdateItem", move(f"{OTHER}~{ME}~0123456789ab"), Effect.ALLOW),
    ("move in others' game", "UpdateItem", move(f"{OTHER}~{THIRD}~0123456789ab"), Effect.IMPLICIT_DENY),
    ("poll your game", "GetItem", {"TableName": "Games", "Key": {"GameId": s(f"{OTHER}~{ME}~0123456789ab")},
                                   "ConsistentRead": True}, Effect.ALLOW),
    ("peek at others' game", "GetItem", {"TableName": "Games", "Key": {"GameId": s(f"{OTHER}~{THIRD}~0123456789ab")}},
     Effect.IMPLICIT_DENY),
    ("my games as host", "Query", {"TableName": "Games", "IndexName": "ByHost", "KeyConditionExpression": "Host = :me",
                                   "ExpressionAttributeValues": {":me": s(ME)}}, Effect.ALLOW),
    ("my games as opponent", "Query", {"TableName": "Games", "IndexName": "ByOpponent",
                                       "KeyConditionExpression": "Opponent = :me",
                                       "ExpressionAttributeValues": {":me": s(ME)}}, Effect.ALLOW),
    ("another's games", "Query", {"TableName": "Games", "IndexName": "ByOpponent",
                                  "KeyConditionExpression": "Opponent = :u",
                                  "ExpressionAttributeValues": {":u": s(OTHER)}}, Effect.IMPLICIT_DENY),
    ("scan games", "Scan", {"TableName": "Games"}, Effect.IMPLICIT_DENY),
    # the host's table is not the user's
    ("read a session", "GetItem", {"TableName": "Sessions", "Key": {"SessionId": s("x")}}, Effect.IMPLICIT_DENY),
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> IamRegistry:
    return IamRegistry.open(Settings(data_dir=tmp_path_factory.mktemp("iam")), ManualClock())


@pytest.mark.parametrize(("operation", "params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_role_policy(registry: IamRegistry, operation: str, params: dict[str, Any], expected: Effect) -> None:
    authorizations = derive(operation, params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    decision = evaluate(authorizations, identity=registry.identity_policies(SETTINGS.user_role_arn),
                        variables=VARIABLES)
    assert decision.effect == expected, decision


HOST_CASES = [
    ("GetItem", {"TableName": "Sessions", "Key": {"SessionId": s("x")}}, Effect.ALLOW),
    ("PutItem", {"TableName": "Sessions", "Item": {"SessionId": s("x"), "Sub": s(ME)}}, Effect.ALLOW),
    ("DeleteItem", {"TableName": "Sessions", "Key": {"SessionId": s("x")}}, Effect.ALLOW),
    ("UpdateItem", {"TableName": "Sessions", "Key": {"SessionId": s("x")}, "UpdateExpression": "SET #t = :t",
                    "ExpressionAttributeNames": {"#t": "IdToken"}, "ExpressionAttributeValues": {":t": s("t")}},
     Effect.ALLOW),
    # data-model.md: "The host role may Query this index only" (the session list, GSI BySub)
    ("Query", {"TableName": "Sessions", "IndexName": "BySub", "KeyConditionExpression": "#s = :s",
               "ExpressionAttributeNames": {"#s": "Sub"}, "ExpressionAttributeValues": {":s": s(ME)}}, Effect.ALLOW),
    ("Query", {"TableName": "Sessions", "KeyConditionExpression": "#k = :k",
               "ExpressionAttributeNames": {"#k": "SessionId"}, "ExpressionAttributeValues": {":k": s("x")}},
     Effect.IMPLICIT_DENY),
    ("Scan", {"TableName": "Sessions"}, Effect.IMPLICIT_DENY),
    ("GetItem", {"TableName": "Photos", "Key": {"UserId": s(ME), "PhotoId": s("p")}}, Effect.IMPLICIT_DENY),
    ("GetItem", {"TableName": "Profiles", "Key": {"UserId": s(ME)}}, Effect.IMPLICIT_DENY),
]


@pytest.mark.parametrize(("operation", "params", "expected"), HOST_CASES,
                         ids=[f"{c[0]}-{c[1]['TableName']}{'-' + c[1]['IndexName'] if 'IndexName' in c[1] else ''}"
                              for c in HOST_CASES])
def test_host_role_reaches_the_sessions_table_only(registry: IamRegistry, operation: str, params: dict[str, Any],
                                                   expected: Effect) -> None:
    authorizations = derive(operation, params, schemas=SCHEMAS, region="us-east-1", account="000000000000")
    decision = evaluate(authorizations, identity=registry.identity_policies(SETTINGS.host_role_arn))
    assert decision.effect == expected
