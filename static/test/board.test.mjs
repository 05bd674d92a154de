import assert from "node:assert/strict";
import { test } from "node:test";
import { outcome, planMove, shownWinner, winningLine } from "../src/board.js";

const game = (board, extra = {}) => ({
  Board: board, Host: "h", Opponent: "o", Turn: "h", MoveCount: 0, GameStatus: "ACTIVE", ...extra,
});

test("rows, columns and diagonals win; a full board without a line is a draw", () => {
  const cases = [
    ["XXX------", "X"], ["---OOO---", "O"], ["X--X--X--", "X"], ["--O-O-O--", "O"],
    ["XOXOXOOXO", "DRAW"], ["XO-------", null], ["---------", null],
  ];
  for (const [board, expected] of cases) assert.equal(outcome(board), expected, board);
  assert.deepEqual(winningLine("X---X---X"), [0, 4, 8]);
});

test("a move places the mover's mark, passes the turn and names the condition values", () => {
  const plan = planMove(game("---------"), "h", 4, "now");
  assert.deepEqual(plan, { board: "----X----", other: "o", winner: null, expectedMoveCount: 0, oldBoard: "---------", now: "now" });
  const second = planMove(game("----X----", { Turn: "o", MoveCount: 1 }), "o", 0, "t");
  assert.equal(second.board, "O---X----");
  assert.equal(second.expectedMoveCount, 1);
});

test("a winning or filling move records the winner", () => {
  assert.equal(planMove(game("XX-OO----", { MoveCount: 4 }), "h", 2, "t").winner, "h");
  assert.equal(planMove(game("XOXXOOOX-", { MoveCount: 8 }), "h", 8, "t").winner, "DRAW");
});

test("moves out of turn, on taken squares or in finished games are refused locally", () => {
  const refusals = [
    [game("---------"), "o", 0, "Not your turn."],
    [game("X--------"), "h", 0, "That square is taken."],
    [game("---------", { GameStatus: "DONE" }), "h", 0, "This game is not being played."],
    [game("---------", { GameStatus: "PENDING" }), "h", 0, "This game is not being played."],
    [game("---------"), "h", 9, "No such square."],
    [game("---------", { Turn: "x" }), "x", 0, "You are not playing in this game."],
  ];
  for (const [g, who, index, error] of refusals) assert.equal(planMove(g, who, index, "t").error, error);
});

test("the winner shown is recomputed from the board, not taken from the item", () => {
  assert.equal(shownWinner(game("OOO------", { Winner: "h" })), "o");
  assert.equal(shownWinner(game("X--------", { Winner: "h" })), null);
});
