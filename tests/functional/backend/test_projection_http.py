"""Projections the IAM decision relied on are the projections the backend applies.

The user role may read *anyone's* profile only with ``dynamodb:Attributes`` ⊆ {UserId,
DisplayName} (docs/data-model.md). A request that names those attributes through the legacy
``AttributesToGet`` is allowed - and moto 5.2.1 alone would then return the whole item. The
backend rewrites the projection, so only the allowed attributes leave the stack."""

from __future__ import annotations

from tests.conftest import RunningStack


def test_legacy_attributes_to_get_returns_only_the_allowed_attributes(stack: RunningStack) -> None:
    bob = stack.login("bob")
    alice = stack.dynamodb(stack.login("alice"))
    table = stack.table("profiles")
    whole = stack.admin("dynamodb").get_item(TableName=table, Key={"UserId": {"S": bob.subject}})["Item"]
    assert set(whole) - {"UserId", "DisplayName"}, "the seeded profile has more than the public attributes"

    seen = alice.get_item(TableName=table, Key={"UserId": {"S": bob.subject}},
                          AttributesToGet=["UserId", "DisplayName"])["Item"]
    assert seen == {"UserId": whole["UserId"], "DisplayName": whole["DisplayName"]}
