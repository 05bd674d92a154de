"""Issue 9 on the running stack, as a user would try it with boto3: bob's UpdateItem that planted a
finished game "won by bob" in alice's ByHost list is refused with AccessDeniedException, and
afterwards nothing is stored under that key nor in alice's list; the moves the page makes still
work. Expected results: docs/data-model.md, "What IAM can and cannot enforce in the game"."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningStack


def _players(stack: RunningStack) -> tuple[Any, str, Any, str]:
    alice, bob = stack.login("alice"), stack.login("bob")
    assert alice.subject and bob.subject
    return stack.dynamodb(alice), alice.subject, stack.dynamodb(bob), bob.subject


def test_bob_cannot_plant_a_game_in_alices_list(stack: RunningStack) -> None:
    alice_db, alice, bob_db, bob = _players(stack)
    games = stack.table("games")
    game_id = f"{alice}~{bob}~{secrets.token_hex(6)}"
    values = {":h": alice, ":o": bob, ":hn": "Alice", ":on": "Bob", ":b": "XXX-OO---", ":t": bob, ":s": "DONE",
              ":w": bob, ":u": "2099-01-01T00:00:00Z"}
    with pytest.raises(ClientError) as caught:
        bob_db.update_item(
            TableName=games, Key={"GameId": {"S": game_id}},
            UpdateExpression="SET Host=:h, Opponent=:o, HostName=:hn, OpponentName=:on, Board=:b, Turn=:t, "
                             "MoveCount=:n, GameStatus=:s, Winner=:w, UpdatedAt=:u",
            ConditionExpression="attribute_not_exists(GameId)",
            ExpressionAttributeValues={**{k: {"S": v} for k, v in values.items()}, ":n": {"N": "5"}},
        )
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "with an explicit deny" in caught.value.response["Error"]["Message"]
    admin = stack.admin("dynamodb")
    assert "Item" not in admin.get_item(TableName=games, Key={"GameId": {"S": game_id}}, ConsistentRead=True)
    listed = alice_db.query(TableName=games, IndexName="ByHost", KeyConditionExpression="Host = :me",
                            ExpressionAttributeValues={":me": {"S": alice}})["Items"]
    assert all(item["GameId"]["S"] != game_id for item in listed)


def test_the_pages_challenge_accept_and_move_still_work(stack: RunningStack) -> None:
    alice_db, alice, bob_db, bob = _players(stack)
    games = stack.table("games")
    game_id = f"{alice}~{bob}~{secrets.token_hex(6)}"
    now = {"S": "2026-01-01T00:00:00Z"}
    alice_db.put_item(TableName=games, ConditionExpression="attribute_not_exists(GameId)", Item={
        "GameId": {"S": game_id}, "Host": {"S": alice}, "Opponent": {"S": bob}, "HostName": {"S": "Alice"},
        "OpponentName": {"S": "Bob"}, "Board": {"S": "---------"}, "Turn": {"S": alice}, "MoveCount": {"N": "0"},
        "GameStatus": {"S": "PENDING"}, "CreatedAt": now, "UpdatedAt": now})
    bob_db.update_item(  # accept, as static/src/games.js sends it
        TableName=games, Key={"GameId": {"S": game_id}}, UpdateExpression="SET #s = :active, #u = :now",
        ConditionExpression="#s = :pending", ExpressionAttributeNames={"#s": "GameStatus", "#u": "UpdatedAt"},
        ExpressionAttributeValues={":active": {"S": "ACTIVE"}, ":pending": {"S": "PENDING"}, ":now": now},
        ReturnValues="ALL_NEW")
    moved = alice_db.update_item(  # the host's first move
        TableName=games, Key={"GameId": {"S": game_id}},
        UpdateExpression="SET Board = :new, Turn = :other, MoveCount = MoveCount + :one, UpdatedAt = :now",
        ConditionExpression="GameStatus = :active AND Turn = :me AND MoveCount = :n AND Board = :old",
        ExpressionAttributeValues={":new": {"S": "X--------"}, ":other": {"S": bob}, ":one": {"N": "1"}, ":now": now,
                                   ":active": {"S": "ACTIVE"}, ":me": {"S": alice}, ":n": {"N": "0"},
                                   ":old": {"S": "---------"}},
        ReturnValues="ALL_NEW")["Attributes"]
    assert (moved["Board"]["S"], moved["Turn"]["S"], moved["GameStatus"]["S"]) == ("X--------", bob, "ACTIVE")
    listed = bob_db.query(TableName=games, IndexName="ByOpponent", KeyConditionExpression="Opponent = :me",
                          ExpressionAttributeValues={":me": {"S": bob}})["Items"]
    assert game_id in {item["GameId"]["S"] for item in listed}
