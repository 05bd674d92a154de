"""A whole tic-tac-toe game between alice and bob in two browser contexts: challenge by player ID,
accept, moves that reach the other player within two seconds (GetItem ConsistentRead polling),
a double move from two of alice's windows and a double click by bob (each makes exactly one
move: the conditional UpdateItem refuses the other), and the winner recorded.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser

OPPONENT_SEES_MOVE_MS = 2_000


def stored(stack: RunningStack, game_id: str) -> dict:
    item = stack.admin("dynamodb").get_item(
        TableName=stack.table("games"), Key={"GameId": {"S": game_id}}, ConsistentRead=True,
    )["Item"]
    return {k: next(iter(v.values())) for k, v in item.items()}


def move(mover: Page, other: Page, cell: int, board: str) -> None:
    """``mover`` plays ``cell``; the other player's board must show it within two seconds."""
    mover.get_by_test_id(f"cell-{cell}").click()
    expect(mover.get_by_test_id("board")).to_have_attribute("data-board", board)
    expect(other.get_by_test_id("board")).to_have_attribute("data-board", board, timeout=OPPONENT_SEES_MOVE_MS)


def test_full_game_with_double_moves_refused(app: App, stack: RunningStack) -> None:
    bob = app.sign_in("bob")
    bob_sub = app.sub(bob)
    alice = app.sign_in("alice")
    alice_sub = app.sub(alice)

    alice.get_by_test_id("tab-games").click()
    alice.get_by_test_id("challenge-opponent").fill(bob_sub)
    alice.get_by_test_id("challenge-send").click()
    expect(alice.get_by_test_id("game-panel")).to_have_attribute("data-status", "PENDING")
    game_id = alice.get_by_test_id("game-panel").get_attribute("data-game-id")
    assert game_id and game_id.startswith(f"{alice_sub}~{bob_sub}~")

    bob.get_by_test_id("tab-games").click()
    row = bob.locator(f"[data-testid=game-row][data-game-id='{game_id}']")
    expect(row).to_contain_text("challenges you", timeout=10_000)
    row.get_by_test_id("game-open").click()
    bob.get_by_test_id("game-accept").click()
    expect(bob.get_by_test_id("game-panel")).to_have_attribute("data-status", "ACTIVE")
    expect(alice.get_by_test_id("game-status")).to_contain_text("Your turn", timeout=OPPONENT_SEES_MOVE_MS)

    move(alice, bob, 0, "X--------")
    move(bob, alice, 3, "X--O-----")

    # Alice's second window, in its own context whose clock we pause so that its poll cannot
    # learn about window one's move: it still believes it is alice's turn.
    second_context = app.context()
    second_context.clock.install()
    second = app.sign_in("alice", second_context)
    second.goto(f"{stack.host_url}/#games/{game_id}")
    expect(second.get_by_test_id("board")).to_have_attribute("data-board", "X--O-----")
    second.clock.pause_at(float(second.evaluate("Date.now()")) / 1000 + 0.1)  # seconds

    move(alice, bob, 1, "XX-O-----")
    expect(second.get_by_test_id("cell-2")).to_be_enabled()
    second.get_by_test_id("cell-2").click()
    expect(second.get_by_test_id("game-message")).to_have_text("Not your turn any more.")
    expect(second.get_by_test_id("board")).to_have_attribute("data-board", "XX-O-----")
    screenshot(second, "game-double-move")
    game = stored(stack, game_id)
    assert (game["Board"], game["MoveCount"], game["Turn"]) == ("XX-O-----", "3", bob_sub)

    # Bob double-clicks: one move only.
    expect(bob.get_by_test_id("board")).to_have_attribute("data-board", "XX-O-----")
    bob.get_by_test_id("cell-4").dblclick()
    expect(alice.get_by_test_id("board")).to_have_attribute("data-board", "XX-OO----", timeout=OPPONENT_SEES_MOVE_MS)
    time.sleep(0.5)
    game = stored(stack, game_id)
    assert (game["Board"], game["MoveCount"], game["Turn"]) == ("XX-OO----", "4", alice_sub)

    move(alice, bob, 2, "XXXOO----")
    expect(alice.get_by_test_id("game-status")).to_have_text("You won")
    expect(bob.get_by_test_id("game-status")).to_contain_text("won")
    expect(bob.get_by_test_id("game-status")).to_have_attribute("data-winner", "other")
    expect(bob.get_by_test_id("cell-8")).to_be_disabled()
    screenshot(alice, "game-won")
    game = stored(stack, game_id)
    assert (game["GameStatus"], game["Winner"], game["MoveCount"]) == ("DONE", alice_sub, "5")
