"""Hostile ``sub`` claims against the shipped user role: a subject is a literal, never a pattern.

STS accepts any 1-255 character string as ``sub`` (OIDC Core §2: "locally unique and never
reassigned"; AWS does not restrict it further), and the role's policy puts it into
``${idp.localhost/dev:sub}`` inside ``StringEquals`` and ``StringLike`` patterns (``${sub}~*`` for
the games). A value substituted into a policy is literal: a ``*`` or ``?`` in it is no wildcard
(IAM UG, "Policy variables": ``${*}``, ``${?}`` exist precisely to write those characters
literally; fgac-semantics §C.7), and a ``${...}`` in it is not substituted again. So a user whose
IdP subject is ``*``, ``?``, another user's id with a ``*`` appended, or a variable reference reads
and writes only the partition named by that literal: each row below is refused with
AccessDeniedException, and nothing is written. Tokens are signed with the stack's own IdP key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Credentials, RunningStack
from tests.unit.webapp.sts.forge import SigningKey, mint

ISSUER = "https://idp.localhost/dev"


@pytest.fixture(scope="module")
def world(stack: RunningStack) -> dict[str, str]:
    """alice's and bob's subjects, and a game alice hosts against bob (written by the admin)."""
    alice, bob = stack.login("alice").subject, stack.login("bob").subject
    assert alice and bob
    game = f"{alice}~{bob}~subjects0001"
    stack.admin("dynamodb").put_item(TableName=stack.table("games"), Item={
        "GameId": {"S": game}, "Host": {"S": alice}, "Opponent": {"S": bob}, "GameStatus": {"S": "PLAYING"},
        "Board": {"S": "........."}, "Turn": {"S": bob}, "MoveCount": {"N": "0"}})
    return {"alice": alice, "bob": bob, "game": game}


def hostile_subjects(alice: str) -> list[str]:
    return ["*", "?", "*~*", "*~" + alice, alice[:8] + "*", alice[:-1] + "?", "${idp.localhost/dev:sub}", "${*}",
            "~", alice.upper(), " " + alice, alice + " "]


def credentials_for(stack: RunningStack, sub: str) -> Credentials:
    keys = json.loads((stack.data_dir / "keys" / "idp-signing.json").read_text())["keys"]
    now = int(time.time())
    token = mint({"iss": ISSUER, "aud": "webapp", "sub": sub, "iat": now, "exp": now + 600}, SigningKey.from_jwk(keys[-1]))
    credentials = stack.assume(token, session_name="hostile")
    assert credentials.subject == sub  # STS takes the subject as it is
    return credentials


Request = Callable[[Any, dict[str, str]], Any]

#: What a hostile subject tries on alice's data (each must be AccessDeniedException).
REQUESTS: list[tuple[str, Request]] = [
    ("read alice's game", lambda db, w: db.get_item(TableName="Games", Key={"GameId": {"S": w["game"]}})),
    ("move in alice's game", lambda db, w: db.update_item(
        TableName="Games", Key={"GameId": {"S": w["game"]}}, UpdateExpression="SET Board = :b",
        ExpressionAttributeValues={":b": {"S": "XXXXXXXXX"}})),
    ("host a game as alice", lambda db, w: db.put_item(TableName="Games", Item={
        "GameId": {"S": f"{w['alice']}~{w['bob']}~planted0001"}, "Host": {"S": w["alice"]}})),
    ("read alice's profile", lambda db, w: db.get_item(TableName="Profiles", Key={"UserId": {"S": w["alice"]}})),
    ("edit alice's profile", lambda db, w: db.update_item(
        TableName="Profiles", Key={"UserId": {"S": w["alice"]}}, UpdateExpression="SET Bio = :b",
        ExpressionAttributeValues={":b": {"S": "pwned"}})),
    ("list alice's photos", lambda db, w: db.query(
        TableName="Photos", KeyConditionExpression="UserId = :u", ExpressionAttributeValues={":u": {"S": w["alice"]}})),
]


@pytest.mark.parametrize("index", range(12), ids=lambda i: f"sub{i}")
def test_a_hostile_subject_reaches_no_one_elses_items(stack: RunningStack, world: dict[str, str], index: int) -> None:
    sub = hostile_subjects(world["alice"])[index]
    db = stack.dynamodb(credentials_for(stack, sub))
    admin = stack.admin("dynamodb")
    before = admin.get_item(TableName="Games", Key={"GameId": {"S": world["game"]}}, ConsistentRead=True)["Item"]
    profile = admin.get_item(TableName="Profiles", Key={"UserId": {"S": world["alice"]}}, ConsistentRead=True).get("Item")
    for name, request in REQUESTS:
        with pytest.raises(ClientError) as caught:
            request(db, world)
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException", (repr(sub), name)
        assert "Item" not in caught.value.response and "Items" not in caught.value.response
    assert admin.get_item(TableName="Games", Key={"GameId": {"S": world["game"]}}, ConsistentRead=True)["Item"] == before
    planted = f"{world['alice']}~{world['bob']}~planted0001"
    assert "Item" not in admin.get_item(TableName="Games", Key={"GameId": {"S": planted}}, ConsistentRead=True)
    assert admin.get_item(TableName="Profiles", Key={"UserId": {"S": world["alice"]}},
                          ConsistentRead=True).get("Item") == profile
