/**
 * The frame around the views: tabs (hash routing), the signed-in user, toasts, the error banner
 * and the status bar that makes requests, retries, throttling and credential refreshes visible.
 */

import { describeError } from "../errors.js";
import { append, byTestId, clear, formatDateTime, h } from "./dom.js";

export const TABS = ["photos", "public", "games", "profile", "access"];

export function showScreen(name) {
  for (const screen of ["loading", "signed-out", "signed-in"]) {
    byTestId(screen).hidden = screen !== name;
  }
  byTestId("who").hidden = name !== "signed-in";
  byTestId("status").hidden = name !== "signed-in";
}

export function showSignedOut(message = "") {
  showScreen("signed-out");
  byTestId("signed-out-message").textContent = message;
}

/** Calls `onShow(tab, rest)` when the hash changes; returns the current tab. */
export function startRouting(onShow) {
  const route = () => {
    const [tab, ...rest] = (window.location.hash.replace(/^#/, "") || "photos").split("/");
    const current = TABS.includes(tab) ? tab : "photos";
    for (const link of document.querySelectorAll("[data-tab]")) {
      link.setAttribute("aria-current", link.dataset.tab === current ? "page" : "false");
    }
    for (const view of document.querySelectorAll("[data-view]")) view.hidden = view.dataset.view !== current;
    onShow(current, rest.map(decodeURIComponent));
  };
  window.addEventListener("hashchange", route);
  route();
}

export function toast(text, kind = "info") {
  const box = byTestId("toasts");
  const item = h("div", { class: `toast ${kind}`, role: "status", testid: "toast" }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * Show an error in words; returns the description. A session error also offers to sign in again
 * (the only fix a person can make).
 */
export function reportError(error, options = {}) {
  const described = describeError(error, options);
  const banner = byTestId("banner");
  // append() skips absent parts; the DOM's own replaceChildren would print them as "null".
  append(clear(banner), [
    h("strong", {}, described.text),
    described.detail ? h("span", { class: "detail", testid: "banner-detail" }, described.detail) : null,
    described.kind === "session" ? h("a", { class: "button small", href: "/auth/login" }, "Sign in again") : null,
    options.retry ? h("button", { type: "button", class: "button small", testid: "banner-retry", onclick: () => { banner.hidden = true; options.retry(); } }, "Try again") : null,
    h("button", { type: "button", class: "close", "aria-label": "Dismiss", onclick: () => { banner.hidden = true; } }, "×"),
  ]);
  banner.dataset.kind = described.kind;
  banner.dataset.shownAt = String(performance.now());
  banner.hidden = false;
  return described;
}

/** Banners that a later success makes stale (not the ones only the user or an admin can fix). */
const PASSING = new Set(["access", "conflict", "throttled", "network", "invalid", "other"]);

/** Hide a passing error banner once a request that started after it succeeded. */
function clearStaleBanner(startedAt) {
  const banner = byTestId("banner");
  if (banner.hidden || !PASSING.has(banner.dataset.kind)) return;
  if (startedAt > Number(banner.dataset.shownAt ?? Infinity)) banner.hidden = true;
}

export function clearBanner() {
  byTestId("banner").hidden = true;
}

export function bindStatus(store) {
  store.watch(["lastSuccessStartedAt"], (s) => clearStaleBanner(s.lastSuccessStartedAt ?? 0));
  store.watch(["requests", "attempts", "throttled"], (s) => {
    const requests = s.requests ?? 0;
    const retries = Math.max(0, (s.attempts ?? 0) - requests);
    byTestId("stat-requests").textContent = `${requests} requests`;
    byTestId("stat-retries").textContent = `${retries} retries`;
    byTestId("stat-retries").dataset.count = String(retries);
    byTestId("stat-throttled").textContent = `${s.throttled ?? 0} throttled`;
    byTestId("stat-throttled").dataset.count = String(s.throttled ?? 0);
  });
  store.watch(["identity", "assumeCount"], (s) => {
    const el = byTestId("stat-credentials");
    el.dataset.count = String(s.assumeCount ?? 0);
    el.textContent = s.identity
      ? `credentials obtained ${s.assumeCount ?? 0}× · expire ${formatDateTime(s.identity.expiration)}`
      : "no credentials yet";
  });
  store.watch(["profile", "token"], (s) => {
    byTestId("who-name").textContent = s.profile?.DisplayName || s.token?.name || "";
  });
}
