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

