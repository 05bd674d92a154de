/**
 * "Where you're signed in": the user's sessions from the host (the Sessions table's `BySub`
 * index; no token ever reaches the page), this browser first, and "Sign out everywhere", which
 * ends every one of them (each refresh grant revoked at the provider).
 */

import { fetchSessions } from "../auth.js";
import { clear, formatDateTime, h } from "./dom.js";
import { reportError } from "./shell.js";

export function createSessionsView({ root, onSignOutEverywhere }) {
  const list = h("ul", { class: "sessions", testid: "session-list" });
  const everywhere = h("button", { type: "button", class: "button", testid: "sign-out-everywhere" }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    try {
      await onSignOutEverywhere();
    } finally {
      everywhere.disabled = false;
    }
  });
  root.append(h("div", { class: "card" }, h("h2", {}, "Where you're signed in"), list, everywhere));

  async function refresh() {
    try {
      const sessions = await fetchSessions();
      clear(list).append(...sessions.map((s) => h("li", { testid: "session-row", dataset: { current: String(Boolean(s.current)) } },
        h("strong", {}, s.current ? "This browser" : s.browser),
        s.current ? ` (${s.browser})` : "",
        ` · signed in since ${formatDateTime(s.createdAt)}`)));
    } catch (error) {
      reportError(error);
    }
  }

  return { show: refresh };
}
