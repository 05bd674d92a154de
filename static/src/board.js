/**
 * Tic-tac-toe rules as pure functions of the 9-character board of docs/data-model.md
 * (`-` empty, `X` host, `O` opponent, index `row*3+col`). The page recomputes the winner from
 * the board whenever it shows a game, because IAM cannot check values (docs/data-model.md,
 * "What IAM can and cannot enforce in the game").
 */

export const EMPTY_BOARD = "---------";

const LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
];

export function isBoard(board) {
  return typeof board === "string" && /^[-XO]{9}$/.test(board);
}

/** `"X"`, `"O"`, `"DRAW"` or `null` (still playing). */
export function outcome(board) {
  for (const [a, b, c] of LINES) {
    if (board[a] !== "-" && board[a] === board[b] && board[b] === board[c]) return board[a];
  }
  return board.includes("-") ? null : "DRAW";
}

/** The line that won, for highlighting, or `null`. */
export function winningLine(board) {
  return LINES.find(([a, b, c]) => board[a] !== "-" && board[a] === board[b] && board[b] === board[c]) ?? null;
}

export function markFor(game, sub) {
  if (sub === game.Host) return "X";
  if (sub === game.Opponent) return "O";
  return null;
}

/**
 * The update a move makes, or an `{error}` in words. The caller sends it as the one conditional
 * UpdateItem of docs/data-model.md; the condition (not this check) is what stops a double move.
 */
export function planMove(game, sub, index, now) {
  if (game.GameStatus !== "ACTIVE") return { error: "This game is not being played." };
  if (game.Turn !== sub) return { error: "Not your turn." };
  if (!Number.isInteger(index) || index < 0 || index > 8) return { error: "No such square." };
  if (game.Board[index] !== "-") return { error: "That square is taken." };
  const mark = markFor(game, sub);
  if (!mark) return { error: "You are not playing in this game." };
  const board = game.Board.slice(0, index) + mark + game.Board.slice(index + 1);
  const result = outcome(board);
  const other = sub === game.Host ? game.Opponent : game.Host;
  const winner = result === null ? null : result === "DRAW" ? "DRAW" : sub;
  return {
    board, other, winner, expectedMoveCount: Number(game.MoveCount), oldBoard: game.Board, now,
  };
}

/** Winner as shown: recomputed from the board, never trusted from the item alone. */
export function shownWinner(game) {
  const result = outcome(game.Board);
  if (result === "X") return game.Host;
  if (result === "O") return game.Opponent;
  if (result === "DRAW") return "DRAW";
  return null;
}
