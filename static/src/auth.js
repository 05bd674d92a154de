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

/** `{idToken, expiresAt, sub, name, issuer, csrfToken}` or throws LoginRequired. */
export async function fetchToken(fetchImpl = fetch) {
  const response = await fetchImpl("/auth/token", {
    credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
  });
  if (response.status === 401) throw new LoginRequired();
  if (!response.ok) throw new Error(`The host could not give a sign-in token (HTTP ${response.status}).`);
  const token = await response.json();
  if (!token.idToken || !token.sub) throw new Error("The host's sign-in token is incomplete.");
  return token;
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
