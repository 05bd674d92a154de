/**
 * The host's session endpoints (a token-mediating backend, IETF "OAuth 2.0 for Browser-Based
 * Apps" §6.2): the page never sees a refresh token or runs an OAuth client; it asks the host for
 * the current short-lived ID token and trades that with STS (src/aws.js).
 */

export class LoginRequired extends Error {
  constructor(message = "Please sign in.") {
    super(message);
    this.name = "LoginRequired";
  }
}

/**
 * `{idToken, expiresAt, sub, name, issuer, csrfToken}` or throws LoginRequired. `probe=1` makes
 * the host answer a signed-out browser with `{"signedIn": false}` instead of a 401, which the
 * console would show as an error on every signed-out visit.
 */
export async function fetchToken(fetchImpl = fetch) {
  const response = await fetchImpl("/auth/token?probe=1", {
    credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
  });
  if (response.status === 401) throw new LoginRequired();
  if (!response.ok) throw new Error(`The host could not give a sign-in token (HTTP ${response.status}).`);
  const token = await response.json();
  if (token.signedIn === false) throw new LoginRequired();
  if (!token.idToken || !token.sub) throw new Error("The host's sign-in token is incomplete.");
  return token;
}

/** Where this user is signed in: `[{current, createdAt, browser}]`, this browser first. */
export async function fetchSessions(fetchImpl = fetch) {
  const response = await fetchImpl("/auth/sessions", {
    credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
  });
  if (response.status === 401) throw new LoginRequired();
  if (!response.ok) throw new Error(`The host could not list your sessions (HTTP ${response.status}).`);
  return (await response.json()).sessions ?? [];
}

/** End every session of this user (every browser), revoking each at the provider. */
export async function logoutEverywhere(csrfToken, fetchImpl = fetch) {
  const response = await fetchImpl("/auth/logout-everywhere", {
    method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken ?? "" },
  });
  if (response.status !== 204 && response.status !== 401) {
    throw new Error(`Signing out everywhere failed (HTTP ${response.status}).`);
  }
}

export function login() {
  window.location.assign("/auth/login");
}

export async function logout(csrfToken, fetchImpl = fetch) {
  const response = await fetchImpl("/auth/logout", {
    method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken ?? "" },
  });
  if (response.status !== 204 && response.status !== 200) {
    throw new Error(`Signing out failed (HTTP ${response.status}).`);
  }
}
