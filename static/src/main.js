/**
 * Wiring: configuration, the signed-in user, the AWS clients and the views. Nothing else knows
 * how the pieces are built; each module gets what it needs as arguments.
 */

import { LoginRequired, fetchToken, logout, logoutEverywhere } from "./auth.js";
import { createAws } from "./aws.js";
import { loadConfig } from "./config.js";
import { isSessionError } from "./errors.js";
import { createGames } from "./games.js";
import { createPhotos } from "./photos.js";
import { createProfiles, forgetPeople } from "./profile.js";
import { Store } from "./store.js";
import { createAccessView } from "./views/access.js";
import { byTestId } from "./views/dom.js";
import { createGamesView } from "./views/games.js";
import { createPhotosView } from "./views/photos.js";
import { createProfileView } from "./views/profile.js";
import { createPublicView } from "./views/public.js";
import { createSessionsView } from "./views/sessions.js";
import { bindStatus, reportError, showScreen, showSignedOut, startRouting, toast } from "./views/shell.js";

performance.mark("app-start");

// A page restored from the back/forward cache would show what it showed before, perhaps a
// signed-out user's photos (attack case W-21; ASVS 5.0 14.3.1): start it again from the host,
// which knows whether the session still exists. (The host also sends the page with no-store.)
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});

/**
 * Signing out in one tab signs out every tab of the app in this browser (BroadcastChannel, HTML
 * Living Standard §9.5): each one reloads into the signed-out screen, which says "You signed
 * out." and keeps nothing of the session in memory (timers, views, the people met).
 */
const SIGNED_OUT = "signed-out";
const SIGNIN_FAILED = "signin-failed";
const SIGNIN_FAILED_TEXT = "Sign-in did not complete: the sign-in page was open too long, or was finished in "
  + "another window or with the Back button. Please sign in again.";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("snapshots-session") : null;

function showSignedOutEverywhere() {
  forgetPeople();
  window.location.replace(`/?${SIGNED_OUT}`);
}

channel?.addEventListener("message", (event) => {
  if (event.data === SIGNED_OUT) showSignedOutEverywhere();
});

function signedOutHere() {
  channel?.postMessage(SIGNED_OUT);
  showSignedOutEverywhere();
}

async function start() {
  const query = new URLSearchParams(window.location.search);
  const justSignedOut = query.has(SIGNED_OUT);
  // The host sends a browser here after a sign-in that could not complete (webapp/host/auth.py).
  const signInFailed = query.has(SIGNIN_FAILED);
  if (justSignedOut || signInFailed) history.replaceState(null, "", "/");
  const store = new Store({ requests: 0, attempts: 0, throttled: 0, assumeCount: 0 });
  let config;
  let token;
  try {
    [config, token] = await Promise.all([loadConfig(), fetchToken()]);
  } catch (error) {
    if (error instanceof LoginRequired) {
      forgetPeople(); // the session ended (sign-out elsewhere, expiry): keep nothing of it
      return showSignedOut(justSignedOut ? "You signed out." : signInFailed ? SIGNIN_FAILED_TEXT : "");
    }
    return showSignedOut(error.message);
  }
  store.set({ token, config });

  // The first token is used for the first credentials; later refreshes ask the host again.
  let pending = token;
  async function getToken() {
    if (pending) {
      const first = pending;
      pending = null;
      return first;
    }
    try {
      const fresh = await fetchToken();
      store.set({ token: fresh });
      return fresh;
    } catch (error) {
      if (error instanceof LoginRequired) {
        reportError(error);
      }
      throw error;
    }
  }

  const { db } = createAws({ config, getToken, store });
  const me = () => ({ sub: store.get("token").sub, displayName: store.get("profile")?.DisplayName || store.get("token").name });
  const photos = createPhotos({ db, tables: config.tables, me });
  const profiles = createProfiles({ db, tables: config.tables, me });
  const games = createGames({ db, tables: config.tables, me });

  showScreen("signed-in");
  bindStatus(store);
  const views = {
    photos: createPhotosView({ root: byTestId("signed-in").querySelector("#view-photos"), photos, store }),
    public: createPublicView({ root: document.getElementById("view-public"), photos, profiles }),
    games: createGamesView({ root: document.getElementById("view-games"), games, profiles, store }),
    profile: createProfileView({ root: document.getElementById("view-profile"), profiles, store }),
    sessions: createSessionsView({
      root: document.getElementById("view-profile"),
      onSignOutEverywhere: async () => {
        try {
          await logoutEverywhere(store.get("token").csrfToken);
          signedOutHere();
        } catch (error) {
          toast(error.message, "error");
        }
      },
    }),
    access: createAccessView({ root: document.getElementById("view-access"), config, photos, profiles, store }),
  };

  byTestId("sign-out").addEventListener("click", async () => {
    try {
      await logout(store.get("token").csrfToken);
      signedOutHere();
    } catch (error) {
      toast(error.message, "error");
    }
  });

  let current = null;
  startRouting((tab, rest) => {
    if (current && current !== tab) views[current].hide?.();
    current = tab;
    views[tab].show?.(rest);
    if (tab === "profile") views.sessions.show();
  });

  window.addEventListener("unhandledrejection", (event) => {
    if (isSessionError(event.reason)) reportError(event.reason);
  });

  await Promise.all([views.photos.start(), views.profile.start()]);
  document.body.dataset.ready = "true";
}

start().catch((error) => {
  console.error(error);
  showSignedOut(`The page could not start: ${error.message}`);
});
