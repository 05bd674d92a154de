"""The player directory and the life of a challenge (issue 10, Broken #3 and What to build 3).

Alice finds bob by the start of his display name (a Query on the GSI ByName that the role allows
for UserId and DisplayName only), challenges him, and bob declines; a name nobody has cannot be
challenged (no game is written); a pending challenge can be withdrawn by its host; a running game
can be resigned by either player, and every game shows its dates.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def display_name(stack: RunningStack, sub: str) -> str:
    item = stack.admin("dynamodb").get_item(TableName=stack.table("profiles"), Key={"UserId": {"S": sub}})["Item"]
    return str(item["DisplayName"]["S"])


def games_hosted_by(stack: RunningStack, sub: str) -> list[dict]:
    out = stack.admin("dynamodb").query(
        TableName=stack.table("games"), IndexName="ByHost", KeyConditionExpression="Host = :h",
        ExpressionAttributeValues={":h": {"S": sub}})
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in out["Items"]]


def challenge(page: Page, prefix: str, sub: str) -> str:
    """Search the directory, pick the player whose sub is ``sub``, send; returns the GameId."""
    page.get_by_test_id("tab-games").click()
    page.get_by_test_id("challenge-opponent").fill(prefix)
    page.locator(f"[data-testid=player-pick][data-sub='{sub}']").click()
    page.get_by_test_id("challenge-send").click()
    expect(page.get_by_test_id("game-panel")).to_have_attribute("data-status", "PENDING")
    return str(page.get_by_test_id("game-panel").get_attribute("data-game-id"))


def test_find_challenge_decline_withdraw_and_resign(app: App, stack: RunningStack) -> None:
    bob = app.sign_in("bob")
    bob_sub = app.sub(bob)
    carol_sub = app.sub(app.sign_in("carol"))
    alice = app.sign_in("alice")
    alice_sub = app.sub(alice)
    bob_name = display_name(stack, bob_sub)

    # Search: bob is found by the start of his name, in any case; only UserId and name are shown.
    alice.get_by_test_id("tab-games").click()
    alice.get_by_test_id("challenge-opponent").fill(bob_name[:2].lower())
    pick = alice.locator(f"[data-testid=player-pick][data-sub='{bob_sub}']")
    expect(pick).to_have_text(bob_name)
    screenshot(alice, "directory")

    # A name nobody has: nothing is written.
    before = len(games_hosted_by(stack, alice_sub))
    alice.get_by_test_id("challenge-opponent").fill("zz-nobody-has-this-name")
    expect(alice.get_by_test_id("player-none")).to_be_visible()
    alice.get_by_test_id("challenge-send").click()
    expect(alice.get_by_test_id("challenge-status")).to_contain_text("No player is called")
    assert len(games_hosted_by(stack, alice_sub)) == before

    # Challenge bob; he declines.
    declined = challenge(alice, bob_name[:3], bob_sub)
    assert declined.startswith(f"{alice_sub}~{bob_sub}~")
    expect(alice.get_by_test_id("game-dates")).to_contain_text("challenged ")
    bob.get_by_test_id("tab-games").click()
    bob.goto(f"{stack.host_url}/#games/{declined}")
    expect(bob.get_by_test_id("game-decline")).to_be_visible()
    bob.get_by_test_id("game-decline").click()
    expect(bob.get_by_test_id("game-panel")).to_have_attribute("data-status", "DECLINED")
    expect(alice.get_by_test_id("game-status")).to_contain_text("declined", timeout=5_000)

    # Challenge carol, then withdraw it.
    withdrawn = challenge(alice, display_name(stack, carol_sub)[:3], carol_sub)
    alice.get_by_test_id("game-cancel").click()
    expect(alice.get_by_test_id("game-panel")).to_have_attribute("data-status", "CANCELLED")
    expect(alice.get_by_test_id("game-status")).to_have_text("You withdrew the challenge")

    # Challenge bob again; he accepts, alice moves, bob resigns: alice wins.
    played = challenge(alice, bob_name[:3], bob_sub)
    bob.goto(f"{stack.host_url}/#games/{played}")
    bob.get_by_test_id("game-accept").click()
    expect(alice.get_by_test_id("game-status")).to_contain_text("Your turn", timeout=5_000)
    alice.get_by_test_id("cell-4").click()
    expect(bob.get_by_test_id("game-status")).to_contain_text("Your turn", timeout=5_000)
    bob.once("dialog", lambda dialog: dialog.accept())
    bob.get_by_test_id("game-resign").click()
    expect(bob.get_by_test_id("game-status")).to_have_text("You resigned")
    expect(alice.get_by_test_id("game-status")).to_contain_text("resigned: you won", timeout=5_000)
    expect(alice.get_by_test_id("game-dates")).to_contain_text("ended ")
    row = alice.locator(f"[data-testid=game-row][data-game-id='{played}']")
    expect(row.get_by_test_id("game-row-dates")).to_contain_text("challenged ")
    screenshot(alice, "game-with-dates")

    stored = {g["GameId"]: g for g in games_hosted_by(stack, alice_sub)}
    assert (stored[declined]["GameStatus"], stored[withdrawn]["GameStatus"]) == ("DECLINED", "CANCELLED")
    assert (stored[played]["GameStatus"], stored[played]["Winner"], stored[played]["Host"]) == ("DONE", alice_sub, alice_sub)
