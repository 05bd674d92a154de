"""The player directory through the real stack (docs/data-model.md, "Player directory"): any user
may Query the Profiles GSI ByName for UserId and DisplayName, and nothing else of anyone's profile.

Expected results: the WebUser policy's FindPlayersByName statement (dynamodb:Attributes within
UserId, DisplayName and the index keys; dynamodb:Select = SPECIFIC_ATTRIBUTES); a denied Query
returns AccessDeniedException and no items (IAM refuses before anything is read).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import RunningStack

KEY = "#b = :b AND begins_with(#k, :p)"
NAMES = {"#b": "NameBucket", "#k": "NameKey"}

# (case, extra Query parameters, allowed)
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("id-and-name", {"ProjectionExpression": "#u, #n", "Select": "SPECIFIC_ATTRIBUTES",
                     "ExpressionAttributeNames": {**NAMES, "#u": "UserId", "#n": "DisplayName"}}, True),
    ("bio-too", {"ProjectionExpression": "#u, #n, #x", "Select": "SPECIFIC_ATTRIBUTES",
                 "ExpressionAttributeNames": {**NAMES, "#u": "UserId", "#n": "DisplayName", "#x": "Bio"}}, False),
    ("plan-too", {"ProjectionExpression": "#u, #x", "Select": "SPECIFIC_ATTRIBUTES",
                  "ExpressionAttributeNames": {**NAMES, "#u": "UserId", "#x": "Plan"}}, False),
    ("all-projected", {"Select": "ALL_PROJECTED_ATTRIBUTES", "ExpressionAttributeNames": NAMES}, False),
    ("no-select", {"ExpressionAttributeNames": NAMES}, False),
]


@pytest.mark.parametrize(("extra", "allowed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_directory_shows_only_ids_and_names(stack: RunningStack, extra: dict[str, Any], allowed: bool) -> None:
    bob = stack.login("bob").subject
    profile = stack.admin("dynamodb").get_item(TableName=stack.table("profiles"), Key={"UserId": {"S": bob}})["Item"]
    prefix = profile["NameKey"]["S"][:2]  # the demo seed wrote bob's directory keys
    db = stack.dynamodb(stack.login("alice"))
    params = {"TableName": stack.table("profiles"), "IndexName": "ByName", "KeyConditionExpression": KEY,
              "ExpressionAttributeValues": {":b": {"S": prefix[0]}, ":p": {"S": prefix}}, **extra}
    if allowed:
        items = db.query(**params)["Items"]
        assert bob in {i["UserId"]["S"] for i in items}
        assert all(set(i) == {"UserId", "DisplayName"} for i in items)
    else:
        with pytest.raises(ClientError) as denied:
            db.query(**params)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "Items" not in denied.value.response



def test_directory_keys_that_lie_are_allowed_and_only_move_their_writer(stack: RunningStack) -> None:
    """docs/data-model.md, "Player directory": IAM cannot check that NameBucket/NameKey are the
    writer's own name (it sees attribute names, never values), so the role lets a user write any
    keys on their own profile, and ``prove`` holds because the intent grants exactly that. What a
    lying user gets is shown here: their one entry (LeadingKeys pins their own partition) under
    another name's prefix, still with only UserId and their own DisplayName, which the page drops
    (static/test/writes.test.mjs, "results whose keys lie are dropped"). They cannot touch anyone
    else's keys: an UpdateItem on another user's profile is refused and writes nothing."""
    import uuid

    liar_sub = f"liar-{uuid.uuid4()}"
    liar = stack.dynamodb(stack.assume(stack.dev_token("carol", sub=liar_sub), session_name="liar"))
    table = stack.table("profiles")
    bob = stack.login("bob").subject
    admin = stack.admin("dynamodb")
    bobs = admin.get_item(TableName=table, Key={"UserId": {"S": bob}})["Item"]
    prefix = bobs["NameKey"]["S"]

    liar.update_item(  # allowed: own partition, attributes within EditOwnProfileFields
        TableName=table, Key={"UserId": {"S": liar_sub}},
        UpdateExpression="SET DisplayName = :n, NameBucket = :b, NameKey = :k",
        ExpressionAttributeValues={":n": {"S": "Mallory"}, ":b": {"S": prefix[0]}, ":k": {"S": prefix}})
    found = stack.dynamodb(stack.login("alice")).query(
        TableName=table, IndexName="ByName", KeyConditionExpression=KEY, Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="#u, #n", ExpressionAttributeNames={**NAMES, "#u": "UserId", "#n": "DisplayName"},
        ExpressionAttributeValues={":b": {"S": prefix[0]}, ":p": {"S": prefix}})["Items"]
    assert {"UserId": {"S": liar_sub}, "DisplayName": {"S": "Mallory"}} in found  # the name it really has
    assert all(set(i) == {"UserId", "DisplayName"} for i in found)

    with pytest.raises(ClientError) as denied:  # another user's keys: not the liar's partition
        liar.update_item(TableName=table, Key={"UserId": {"S": bob}}, UpdateExpression="SET NameKey = :k",
                         ExpressionAttributeValues={":k": {"S": "zzz"}})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert admin.get_item(TableName=table, Key={"UserId": {"S": bob}})["Item"] == bobs  # nothing written
    admin.delete_item(TableName=table, Key={"UserId": {"S": liar_sub}})
