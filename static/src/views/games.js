/**
 * "Games": challenge someone, see my games (GSIs ByHost and ByOpponent), play. While a game is
 * open it is read with GetItem ConsistentRead=true every second, so the other player's move shows
 * within two seconds. A move is one conditional UpdateItem (src/games.js); when its condition
 * fails (another window or a double click moved first) the page says "Not your turn any more"
 * and shows the game as stored.
 */

import { markFor, shownWinner, winningLine } from "../board.js";
import { isConditionFailure } from "../errors.js";
import { reportError, toast } from "./shell.js";
import { clear, formatDateTime, h } from "./dom.js";

const POLL_MS = 1000;
const LIST_POLL_MS = 5000;

export function createGamesView({ root, games, profiles, store }) {
  const me = () => store.get("token").sub;
  let open = null;
  let moving = false;
  let pollTimer = null;
  let listTimer = null;
  let active = false;

  const datesOf = (game) => {
    const started = `challenged ${formatDateTime(game.CreatedAt)}`;
    if (game.GameStatus === "PENDING" || !game.UpdatedAt || game.UpdatedAt === game.CreatedAt) return started;
    const last = game.GameStatus === "ACTIVE" ? "last move" : "ended";
    return `${started} · ${last} ${formatDateTime(game.UpdatedAt)}`;
  };
  const nameOf = (game, sub) => (sub === game.Host ? game.HostName : game.OpponentName) || sub;
  const otherOf = (game) => (game.Host === me() ? game.Opponent : game.Host);

  // Who I am and the challenge form --------------------------------------------------------
  const mySub = h("code", { testid: "my-sub" });
  const copy = h("button", { type: "button", class: "button small ghost", onclick: async () => {
    try {
      await navigator.clipboard.writeText(mySub.textContent);
      toast("Your player ID is copied.", "success");
    } catch {
      toast("Select the ID and copy it by hand.");
    }
  } }, "Copy");
  // The player directory (GSI ByName, UserId and DisplayName only): a challenge always names a
  // real player, picked from the search results (or a pasted player ID whose profile exists).
  const opponent = h("input", { type: "search", placeholder: "Find a player by name", testid: "challenge-opponent", autocomplete: "off", "aria-controls": "player-results" });
  const results = h("ul", { class: "player-results", id: "player-results", testid: "player-results" });
  const send = h("button", { type: "submit", class: "button primary", testid: "challenge-send" }, "Challenge");
  const challengeStatus = h("p", { class: "form-status", testid: "challenge-status" });
  const challengeForm = h("form", { class: "filters", testid: "challenge-form" },
    h("label", { class: "grow" }, "Opponent", opponent), send);
  let chosen = null;
  let searchTimer = null;
  let searchSeq = 0;

  function choose(player) {
    chosen = player;
    send.textContent = player ? `Challenge ${player.name}` : "Challenge";
    if (player) {
      opponent.value = player.name;
      clear(results);
    }
  }

  async function search() {
    const typed = opponent.value.trim();
    const seq = ++searchSeq;
    if (!typed) {
      clear(results);
      return;
    }
    try {
      const found = await profiles.findPlayers(typed);
      if (seq !== searchSeq) return; // a newer search is on its way
      profiles.rememberPeople(Object.fromEntries(found.map((p) => [p.sub, p.name])));
      clear(results).append(...(found.length
        ? found.map((p) => h("li", {}, h("button", { type: "button", class: "button small ghost", testid: "player-pick", dataset: { sub: p.sub }, onclick: () => choose(p) }, p.name)))
        : [h("li", { class: "muted", testid: "player-none" }, `No player's name starts with “${typed}”.`)]));
    } catch (error) {
      reportError(error);
    }
  }

  opponent.addEventListener("input", () => {
    choose(null);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 200);
  });

  /** The player the form names: the one picked, one whose name is exactly what was typed, or a
   * pasted player ID with a profile. `null` when there is no such player. */
  async function resolveOpponent(typed) {
    if (chosen) return chosen;
    const found = await profiles.findPlayers(typed, 50);
    const exact = found.filter((p) => p.name.toLowerCase() === typed.toLowerCase());
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) throw new Error(`Several players are called “${typed}”: pick one from the list.`);
    const name = /^[^\s~]{8,}$/.test(typed) ? await profiles.displayName(typed).catch(() => null) : null;
    return name ? { sub: typed, name } : null;
  }

  challengeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = opponent.value.trim();
    if (!typed && !chosen) return;
    challengeStatus.className = "form-status";
    challengeStatus.textContent = "Sending the challenge…";
    try {
      const player = await resolveOpponent(typed);
      if (!player) {
        challengeStatus.className = "form-status error";
        challengeStatus.textContent = `No player is called “${typed}”. Pick one from the list.`;
        await search();
        return;
      }
      const game = await games.challenge(player.sub, player.name);
      profiles.rememberPeople({ [player.sub]: player.name ?? "" });
      opponent.value = "";
      choose(null);
      clear(results);
      challengeStatus.textContent = `Challenge sent to ${player.name}.`;
      await refreshList();
      openGame(game.GameId);
    } catch (error) {
      challengeStatus.className = "form-status error";
      challengeStatus.textContent = error.name === "Error" ? error.message : "";
      if (error.name !== "Error") reportError(error);
    }
  });

  // The list -------------------------------------------------------------------------------
  const list = h("ul", { class: "games", testid: "game-list" });

  function summary(game) {
    const other = nameOf(game, otherOf(game));
    if (game.GameStatus === "PENDING") {
      return game.Host === me() ? `Waiting for ${other} to accept` : `${other} challenges you`;
    }
    if (game.GameStatus === "CANCELLED") return game.Host === me() ? "You withdrew the challenge" : `${other} withdrew the challenge`;
    if (game.GameStatus === "DECLINED") return game.Host === me() ? `${other} declined` : "You declined";
    if (game.GameStatus === "DONE") {
      const winner = shownWinner(game);
      if (winner === "DRAW") return "Draw";
      if (!winner) return game.Winner === me() ? `${other} resigned: you won` : "You resigned";
      return winner === me() ? "You won" : `${other} won`;
    }
    return game.Turn === me() ? "Your turn" : `${other}'s turn`;
  }

  // Current display names of the people I play with (BatchGetItem, UserId + DisplayName only),
  // read once per visit: the names stored in a game are those at challenge time.
  const currentNames = new Map();
  async function resolveNames(all) {
    const unknown = [...new Set(all.map(otherOf))].filter((sub) => !currentNames.has(sub));
    if (!unknown.length) return;
    const found = await profiles.displayNames(unknown);
    for (const sub of unknown) currentNames.set(sub, found[sub] ?? null);
  }

  async function refreshList() {
    try {
      const all = await games.list();
      await resolveNames(all).catch(() => {});
      for (const game of all) {
        const other = otherOf(game);
        const current = currentNames.get(other);
        if (current) game[other === game.Host ? "HostName" : "OpponentName"] = current;
      }
      profiles.rememberPeople(Object.fromEntries(all.map((g) => [otherOf(g), nameOf(g, otherOf(g))])));
      clear(list).append(...(all.length ? all.map((game) => h("li", {
        class: `game-row ${game.GameId === open?.GameId ? "current" : ""}`, testid: "game-row",
        dataset: { gameId: game.GameId, status: game.GameStatus },
      },
      h("span", { class: "vs" }, `vs ${nameOf(game, otherOf(game))}`),
      h("span", { class: "when muted small", testid: "game-row-dates" }, datesOf(game)),
      h("span", { class: `state ${summary(game) === "Your turn" || summary(game).endsWith("challenges you") ? "hot" : ""}`, testid: "game-row-summary" }, summary(game)),
      h("button", { type: "button", class: "button small", testid: "game-open", onclick: () => openGame(game.GameId) }, "Open")))
        : [h("li", { class: "muted" }, "No games yet. Challenge someone!")]));
    } catch (error) {
      reportError(error);
    }
  }

  // The board ------------------------------------------------------------------------------
  const boardEl = h("div", { class: "board", testid: "board", role: "grid" });
  const cells = Array.from({ length: 9 }, (_, i) => h("button", {
    type: "button", class: "cell", testid: `cell-${i}`, "aria-label": `Row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`,
    onclick: () => play(i),
  }));
  boardEl.append(...cells);
  const title = h("h2", { testid: "game-title" });
  const status = h("p", { class: "game-status", testid: "game-status" });
  const message = h("p", { class: "form-status", testid: "game-message", role: "alert" });
  const accept = h("button", { type: "button", class: "button primary", testid: "game-accept", hidden: true, onclick: () => acceptOpen() }, "Accept challenge");
  const decline = h("button", { type: "button", class: "button", testid: "game-decline", hidden: true, onclick: () => endOpen("decline") }, "Decline");
  const cancel = h("button", { type: "button", class: "button", testid: "game-cancel", hidden: true, onclick: () => endOpen("cancel") }, "Withdraw challenge");
  const resign = h("button", { type: "button", class: "button ghost", testid: "game-resign", hidden: true, onclick: () => endOpen("resign") }, "Resign");
  const dates = h("p", { class: "muted small", testid: "game-dates" });
  const panel = h("div", { class: "card game-panel", testid: "game-panel", hidden: true },
    h("header", { class: "row" }, title,
      h("button", { type: "button", class: "button ghost small", testid: "game-close", onclick: () => closeGame() }, "Close")),
    status, dates, boardEl, h("div", { class: "row actions" }, accept, decline, cancel, resign), message);

  function showGame(game) {
    open = game;
    const mine = markFor(game, me());
    const line = winningLine(game.Board) ?? [];
    const playable = game.GameStatus === "ACTIVE" && game.Turn === me() && !moving;
    title.textContent = `${game.HostName || "Host"} (X) vs ${game.OpponentName || "Opponent"} (O)`;
    cells.forEach((cell, i) => {
      const mark = game.Board[i];
      cell.textContent = mark === "-" ? "" : mark;
      cell.dataset.mark = mark;
      cell.classList.toggle("win", line.includes(i));
      cell.disabled = !playable || mark !== "-";
    });
    boardEl.dataset.board = game.Board;
    boardEl.dataset.moveCount = String(game.MoveCount);
    panel.dataset.status = game.GameStatus;
    panel.dataset.gameId = game.GameId;
    accept.hidden = !(game.GameStatus === "PENDING" && game.Opponent === me());
    decline.hidden = accept.hidden;
    cancel.hidden = !(game.GameStatus === "PENDING" && game.Host === me());
    resign.hidden = game.GameStatus !== "ACTIVE";
    dates.textContent = datesOf(game);
    const text = summary(game);
    status.textContent = game.GameStatus === "ACTIVE" ? `${text} · you play ${mine}` : text;
    status.dataset.winner = game.GameStatus === "DONE" ? (shownWinner(game) === me() ? "me" : shownWinner(game) === "DRAW" ? "draw" : "other") : "";
  }

  let polling = false;
  async function poll() {
    if (!open || moving || polling) return;
    polling = true;
    try {
      const fresh = await games.get(open.GameId);
      if (fresh && open && fresh.GameId === open.GameId && !moving) {
        const changed = fresh.MoveCount !== open.MoveCount || fresh.GameStatus !== open.GameStatus;
        showGame(fresh);
        if (changed) refreshList();
      }
    } catch (error) {
      reportError(error);
    } finally {
      polling = false;
    }
  }

  function startPolling() {
    stopPolling();
    pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  async function openGame(gameId) {
    message.textContent = "";
    try {
      const game = await games.get(gameId);
      if (!game) {
        toast("This game does not exist.", "error");
        return;
      }
      panel.hidden = false;
      showGame(game);
      if (window.location.hash !== `#games/${encodeURIComponent(gameId)}`) {
        history.replaceState(null, "", `#games/${encodeURIComponent(gameId)}`);
      }
      startPolling();
    } catch (error) {
      reportError(error);
    }
  }

  function closeGame() {
    open = null;
    panel.hidden = true;
    stopPolling();
    history.replaceState(null, "", "#games");
  }

  async function acceptOpen() {
    try {
      showGame(await games.accept(open));
      refreshList();
    } catch (error) {
      if (isConditionFailure(error)) {
        message.textContent = "This challenge is no longer open.";
        await poll();
      } else reportError(error);
    }
  }

  /** Decline, withdraw or resign: one conditional UpdateItem (src/games.js `endGame`). */
  async function endOpen(action) {
    if (!open) return;
    if (action === "resign" && !window.confirm("Resign this game? The other player wins.")) return;
    message.textContent = "";
    try {
      showGame(await games[action](open));
      refreshList();
    } catch (error) {
      if (isConditionFailure(error)) {
        message.textContent = "The game changed meanwhile; here it is as it is now.";
        await poll();
      } else reportError(error);
    }
  }

  async function play(index) {
    if (!open || moving) return;
    moving = true;
    cells.forEach((c) => { c.disabled = true; });
    message.textContent = "";
    const game = open;
    try {
      const after = await games.move(game, index);
      moving = false;
      showGame(after);
      if (after.GameStatus === "DONE") toast(summary(after), "success");
      refreshList();
    } catch (error) {
      moving = false;
      if (isConditionFailure(error)) {
        message.textContent = "Not your turn any more.";
        message.dataset.kind = "conflict";
        await poll();
      } else if (error.name === "MoveRefused") {
        message.textContent = error.message;
        showGame(game);
      } else {
        showGame(game);
        reportError(error);
      }
    }
  }

  root.append(
    h("div", { class: "card" },
      h("h2", {}, "Tic-tac-toe"),
      h("p", { class: "muted" }, "Your player ID: ", mySub, " ", copy),
      challengeForm, results, challengeStatus),
    panel,
    h("div", { class: "card" }, h("h2", {}, "Your games"), list),
  );

  return {
    async show(rest) {
      active = true;
      mySub.textContent = me();
      await refreshList();
      if (!listTimer) listTimer = setInterval(() => { if (active) refreshList(); }, LIST_POLL_MS);
      if (rest?.[0] && rest[0] !== open?.GameId) await openGame(rest[0]);
      else if (open) startPolling();
    },
    hide() {
      active = false;
      stopPolling();
      if (listTimer) clearInterval(listTimer);
      listTimer = null;
    },
  };
}
