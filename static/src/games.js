/**
 * Tic-tac-toe in the Games table (docs/data-model.md). The challenger creates the game (IAM lets
 * a user PutItem only a GameId starting with their own sub), the opponent accepts, and each move
 * is ONE conditional UpdateItem whose condition names the status, the player to move, the move
 * count and the old board: two windows, a double click or a replayed request all send the same
 * `:n`, so only the first can succeed (DynamoDB Developer Guide, "Condition expressions").
 */

import { EMPTY_BOARD, planMove } from "./board.js";
import { isoNow, names, newGameId } from "./keys.js";

export function createGames({ db, tables, me }) {
  const T = tables.games;

  function byIndex(indexName, attribute) {
    return db.queryAll({
      TableName: T, IndexName: indexName,
      KeyConditionExpression: `#${attribute} = :me`,
      ExpressionAttributeNames: names(attribute),
      ExpressionAttributeValues: { ":me": me().sub },
      ScanIndexForward: false,
    }, { maxItems: 200 });
  }

  /**
   * One conditional UpdateItem that ends a game: it names only GameStatus, Winner and UpdatedAt,
   * which both players may write (never Host, Opponent or their names), and holds only while the
   * game is still in `from` (a move or an accept in another window makes it fail cleanly).
   */
  async function endGame(game, status, from, winner, now) {
    const set = ["#GameStatus = :status", "#UpdatedAt = :now"];
    const values = { ":status": status, ":from": from, ":now": isoNow(now) };
    const attributeNames = names("GameStatus", "UpdatedAt");
    if (winner) {
      set.push("#Winner = :winner");
      values[":winner"] = winner;
      attributeNames["#Winner"] = "Winner";
    }
    const out = await db.update({
      TableName: T, Key: { GameId: game.GameId },
      UpdateExpression: `SET ${set.join(", ")}`,
      ConditionExpression: "#GameStatus = :from",
      ExpressionAttributeNames: attributeNames,
      ExpressionAttributeValues: values,
      ReturnValues: "ALL_NEW",
    });
    return out.Attributes;
  }

  return {
    async challenge(opponentSub, opponentName, now = new Date()) {
      const { sub, displayName } = me();
      if (!opponentSub || opponentSub === sub) throw new Error("Choose someone else to play with.");
      if (/~/.test(opponentSub)) throw new Error("That is not a user ID.");
      const at = isoNow(now);
      const game = {
        GameId: newGameId(sub, opponentSub), Host: sub, Opponent: opponentSub,
        HostName: displayName || sub, OpponentName: opponentName || opponentSub,
        Board: EMPTY_BOARD, Turn: sub, MoveCount: 0, GameStatus: "PENDING",
        CreatedAt: at, UpdatedAt: at,
      };
      await db.put({
        TableName: T, Item: game,
        ConditionExpression: "attribute_not_exists(#GameId)", ExpressionAttributeNames: names("GameId"),
      });
      return game;
    },

    /** The opponent accepts a PENDING challenge; the host (X) moves first. */
    async accept(game, now = new Date()) {
      const out = await db.update({
        TableName: T, Key: { GameId: game.GameId },
        UpdateExpression: "SET #GameStatus = :active, #UpdatedAt = :now",
        // No `Opponent = :me` here: the role refuses any UpdateItem naming Host or Opponent (IAM
        // cannot tell a condition from a SET), and only the two players can write the game at all.
        ConditionExpression: "#GameStatus = :pending",
        ExpressionAttributeNames: names("GameStatus", "UpdatedAt"),
        ExpressionAttributeValues: { ":active": "ACTIVE", ":pending": "PENDING", ":now": isoNow(now) },
        ReturnValues: "ALL_NEW",
      });
      return out.Attributes;
    },

    /**
     * My games (GSIs ByHost and ByOpponent), most recently changed first. Only games whose Host and
     * Opponent agree with the GameId: IAM makes the creator's sub the GameId's first part, but
     * cannot see the values a PutItem writes, so an item naming someone else as Host is a forgery.
     */
    async list() {
      const [hosted, invited] = await Promise.all([byIndex("ByHost", "Host"), byIndex("ByOpponent", "Opponent")]);
      const genuine = (g) => typeof g.GameId === "string" && g.GameId.startsWith(`${g.Host}~${g.Opponent}~`);
      const all = new Map([...hosted, ...invited].filter(genuine).map((g) => [g.GameId, g]));
      return [...all.values()].sort((a, b) => String(b.UpdatedAt).localeCompare(String(a.UpdatedAt)));
    },

    async get(gameId) {
      const out = await db.get({ TableName: T, Key: { GameId: gameId }, ConsistentRead: true });
      return out.Item ?? null;
    },

    /** The one conditional UpdateItem of a move; returns the game as stored after it. */
    async move(game, index, now = new Date()) {
      const plan = planMove(game, me().sub, index, isoNow(now));
      if (plan.error) throw Object.assign(new Error(plan.error), { name: "MoveRefused" });
      const set = ["#Board = :newBoard", "#Turn = :other", "#MoveCount = #MoveCount + :one", "#UpdatedAt = :now"];
      const values = {
        ":newBoard": plan.board, ":other": plan.other, ":one": 1, ":now": plan.now,
        ":active": "ACTIVE", ":me": me().sub, ":n": plan.expectedMoveCount, ":oldBoard": plan.oldBoard,
      };
      const attributeNames = names("Board", "Turn", "MoveCount", "UpdatedAt", "GameStatus");
      if (plan.winner) {
        set.push("#GameStatus = :done", "#Winner = :w");
        values[":done"] = "DONE";
        values[":w"] = plan.winner;
        attributeNames["#Winner"] = "Winner";
      }
      const out = await db.update({
        TableName: T, Key: { GameId: game.GameId },
        UpdateExpression: `SET ${set.join(", ")}`,
        ConditionExpression: "#GameStatus = :active AND #Turn = :me AND #MoveCount = :n AND #Board = :oldBoard",
        ExpressionAttributeNames: attributeNames,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      });
      return out.Attributes;
    },

    /** The host withdraws a challenge nobody accepted yet. */
    cancel(game, now = new Date()) {
      return endGame(game, "CANCELLED", "PENDING", null, now);
    },

    /** The opponent turns a challenge down. */
    decline(game, now = new Date()) {
      return endGame(game, "DECLINED", "PENDING", null, now);
    },

    /** Either player gives up a running game; the other one wins. */
    resign(game, now = new Date()) {
      const other = game.Host === me().sub ? game.Opponent : game.Host;
      return endGame(game, "DONE", "ACTIVE", other, now);
    },
  };
}
