"""``/auth/*``: sign-in, the page's ID token, sign-out. Views only; the logic is in
``oidc`` (the OpenID Connect client) and ``sessions`` (the server-side sessions).

The browser's only credential towards the host is the session cookie: signed (Flask's
``SecureCookieSessionInterface``, itsdangerous HMAC), ``HttpOnly``, ``SameSite=Lax``, and
``Secure`` whenever the request came over https. It holds the session's random value (whose
SHA-256 keys the Sessions item) and, during a sign-in, authlib's ``state``/``nonce``/PKCE
verifier. ``POST /auth/logout`` also needs ``X-CSRF-Token``, which only the page can read from
``/auth/token`` (a cross-site form cannot set a header, and CORS keeps the token from other
origins). Sign-out deletes the server-side session and revokes its refresh token at the provider.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from flask import Blueprint, Flask, Response, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from webapp.clock import Clock
from webapp.host.errors import json_error
from webapp.host.oidc import OidcClient, OidcError
from webapp.host.sessions import Session, SessionStore, csrf_token, csrf_valid

log = logging.getLogger("webapp.host.auth")

COOKIE_NAME = "webapp_session"
#: How long a refused refresh waits for a concurrent one (another machine) to store its tokens.
RACE_POLLS, RACE_POLL_SECONDS = 20, 0.1
_SID = "sid"
_NEXT = "next"


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, ``Secure`` exactly when the request is https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def configure_cookie(app: Flask, lifetime_seconds: int) -> None:
    app.session_interface = SessionCookie()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=lifetime_seconds,
    )


def safe_next(value: str | None) -> str:
    """A same-origin path to return to after sign-in, or ``/`` (no open redirect: RFC 9700
    §4.11). Only an absolute path is accepted: no scheme, no host, no ``//`` or ``/\\``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ch in value for ch in "\\\r\n\t\x00") or any(ord(ch) < 0x20 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def create_auth_blueprint(oidc: OidcClient, store: SessionStore, secret: bytes, clock: Clock) -> Blueprint:
    auth = Blueprint("auth", __name__, url_prefix="/auth")

    def login_required(message: str = "Sign in first: GET /auth/login") -> Response:
        return json_error("login_required", message, 401)

    def _forget() -> None:
        """Drop the session from the cookie (an empty session deletes the cookie)."""
        session.pop(_SID, None)
        if all(key == "_permanent" for key in session):
            session.clear()

    @auth.errorhandler(OidcError)
    def oidc_failed(error: OidcError) -> Response:
        log.warning("OIDC: %s", error.message)
        return json_error(error.error, error.message, error.status)

    @auth.get("/login")
    def login() -> Any:
        session[_NEXT] = safe_next(request.args.get("next"))
        return oidc.login_redirect(url_for("auth.callback", _external=True))

    @auth.errorhandler(ClientError)
    @auth.errorhandler(BotoCoreError)
    def store_failed(error: Exception) -> Response:
        log.error("Sessions table: %s", error)
        return json_error("session_store_unavailable", "The session store (DynamoDB) could not be "
                          "used; try again shortly.", 503)

    @auth.get("/callback")
    def callback() -> Any:
        if request.args.get("error") == "access_denied":  # the user cancelled at the provider
            return redirect(safe_next(session.pop(_NEXT, None)), code=303)
        tokens = oidc.complete()
        previous = session.pop(_SID, None)
        if previous:  # a new sign-in replaces the old session (no fixation)
            store.delete(previous)
        cookie_value, _ = store.create(
            sub=tokens.claims["sub"], issuer=tokens.claims["iss"], id_token=tokens.id_token,
            id_token_exp=tokens.expires_at, refresh_token=tokens.refresh_token,
        )
        target = safe_next(session.pop(_NEXT, None))
        session[_SID] = cookie_value
        session.permanent = True
        return redirect(target, code=303)

    @auth.get("/token")
    def token() -> Response:
        cookie_value: str = session.get(_SID) or ""
        current = store.get(cookie_value) if cookie_value else None
        if current is None:
            if cookie_value:
                _forget()
            return login_required()
        if current.needs_refresh(clock()):
            refreshed = _refresh(current, cookie_value)
            if refreshed is None:
                _forget()
                return login_required("The session ended; sign in again.")
            current = refreshed
        claims = current.claims
        return jsonify({
            "idToken": current.id_token,
            "expiresAt": current.id_token_exp,
            "sub": current.sub,
            "name": claims.get("name") or claims.get("preferred_username") or current.sub,
            "issuer": current.issuer,
            "csrfToken": csrf_token(secret, cookie_value),
        })

    def _refresh(current: Session, cookie_value: str) -> Session | None:
        """The session with a fresh ID token, or ``None`` when it cannot be refreshed (then it is
        deleted). One refresh at a time per session here; across machines the conditional update
        decides, and a loser whose refresh token was already rotated takes the winner's token."""
        with store.lock(current.session_id):
            latest = store.get(cookie_value)  # another request may have refreshed meanwhile
            if latest is None:
                return None
            if not latest.needs_refresh(clock()):
                return latest
            if not latest.refresh_token:
                store.delete(cookie_value)
                return None
            try:
                tokens = oidc.refresh(latest.refresh_token, sub=latest.sub, issuer=latest.issuer)
            except OidcError as error:
                if error.status != 401:
                    raise  # the provider is down: keep the session, say so
                winner = _refreshed_elsewhere(cookie_value, latest) if error.grant_refused else None
                if winner is not None:
                    return winner
                log.info("refresh refused, session ended: %s", error.message)
                store.delete(cookie_value)
                return None
            store.replace_tokens(latest, id_token=tokens.id_token, id_token_exp=tokens.expires_at,
                                 refresh_token=tokens.refresh_token)
            return store.get(cookie_value)  # ours, or the one another machine stored first

    def _refreshed_elsewhere(cookie_value: str, spent: Session) -> Session | None:
        """When the provider refuses a refresh token, another machine may have just spent it
        (rotation) and be about to store the new tokens: wait briefly for them."""
        for _ in range(RACE_POLLS):
            now = store.get(cookie_value)
            if now is None:
                return None
            if now.id_token != spent.id_token:
                return now
            time.sleep(RACE_POLL_SECONDS)
        return None

    def _revoke(refresh_token: str) -> None:
        """End the grant at the provider too (RFC 7009). Best effort: the session is already gone
        here, so a provider that is down only leaves a refresh token nobody holds any more."""
        try:
            if not oidc.revoke(refresh_token):
                log.warning("sign-out: the provider did not revoke the refresh token")
        except OidcError as error:
            log.warning("sign-out: %s", error.message)

    @auth.post("/logout")
    def logout() -> Response:
        cookie_value = session.get(_SID)
        if cookie_value:
            if not csrf_valid(secret, cookie_value, request.headers.get("X-CSRF-Token")):
                return json_error("csrf_failed", "Sign-out needs the X-CSRF-Token header with the "
                                  "csrfToken from GET /auth/token.", 403)
            ended = store.get(cookie_value)
            store.delete(cookie_value)
            if ended is not None and ended.refresh_token:
                _revoke(ended.refresh_token)
        session.clear()
        done = Response(status=204)
        del done.headers["Content-Type"]
        return done

    return auth
