"""``/auth/*``: sign-in, the page's ID token, sign-out. Views only; the logic is in
``oidc`` (the OpenID Connect client), ``sessions`` (the server-side sessions and their refresh)
and ``cookie`` (the signed session cookie, the browser's only credential towards the host).

``POST /auth/logout`` also needs ``X-CSRF-Token``, which only the page can read from
``/auth/token`` (a cross-site form cannot set a header, and CORS keeps the token from other
origins). Sign-out deletes the server-side session and revokes its refresh token at the provider.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from flask import Blueprint, Response, abort, jsonify, redirect, request, session, url_for

from webapp.clock import Clock
from webapp.host.cookie import NEXT, SID
from webapp.host.errors import json_error
from webapp.host.oidc import PENDING_FLOW_PREFIX, OidcClient, OidcError, safe_next
from webapp.host.sessions import SessionRefresher, SessionStore, SessionSummary, csrf_token, csrf_valid
from webapp.host.useragent import describe

log = logging.getLogger("webapp.host.auth")


#: The query flag of ``/`` after a failed sign-in; the page says what happened (static/src/main.js).
SIGNIN_FAILED = "signin-failed"


def _navigation(accept: Any) -> bool:
    """Whether the client asked for a page (a browser's navigation) rather than data."""
    return bool(accept.best_match(["application/json", "text/html"]) == "text/html"
                and accept["text/html"] > accept["application/json"])


def create_auth_blueprint(oidc: OidcClient, store: SessionStore, secret: bytes, clock: Clock) -> Blueprint:
    auth = Blueprint("auth", __name__, url_prefix="/auth")
    refresher = SessionRefresher(store, oidc, clock)

    def login_required(message: str = "Sign in first: GET /auth/login") -> Response:
        return json_error("login_required", message, 401)

    def _forget() -> None:
        """Drop the session from the cookie (an empty session deletes the cookie)."""
        session.pop(SID, None)
        if all(key == "_permanent" for key in session):
            session.clear()

    @auth.errorhandler(OidcError)
    def oidc_failed(error: OidcError) -> Any:
        log.warning("OIDC: %s", error.message)
        if request.endpoint == "auth.callback" and _navigation(request.accept_mimetypes):
            # A person's browser landing here (Back after signing in, a sign-in page left open too
            # long or finished in another window) gets the page and a sentence, not a JSON body
            # about "CSRF". Only a fixed code travels in the URL: no text of ours can be forged.
            return redirect(f"/?{SIGNIN_FAILED}", code=303)
        return json_error(error.error, error.message, error.status)

    @auth.get("/login")
    def login() -> Any:
        session[NEXT] = safe_next(request.args.get("next"))
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
            return redirect(safe_next(session.pop(NEXT, None)), code=303)
        try:
            tokens = oidc.complete()
        except OidcError:
            # A failed callback ends every pending sign-in of this browser: its state is
            # single-use, so the same code cannot be replayed later with the right state.
            for key in [k for k in session if k.startswith(PENDING_FLOW_PREFIX)]:
                session.pop(key, None)
            raise
        previous = session.pop(SID, None)
        if previous:  # a new sign-in replaces the old session (no fixation)
            store.delete(previous)
        cookie_value, _ = store.create(
            sub=tokens.claims["sub"], issuer=tokens.claims["iss"], id_token=tokens.id_token,
            id_token_exp=tokens.expires_at, refresh_token=tokens.refresh_token,
            browser=describe(request.headers.get("User-Agent")),
        )
        target = safe_next(session.pop(NEXT, None))
        session[SID] = cookie_value
        session.permanent = True
        return redirect(target, code=303)

    @auth.get("/token")
    def token() -> Response:
        cookie_value: str = session.get(SID) or ""
        current = store.get(cookie_value) if cookie_value else None
        if current is None:
            if cookie_value:
                _forget()
            if request.args.get("probe") == "1":
                # The page's first question on load: a plain answer, not a 401 that every
                # signed-out visit would log as a console error.
                return jsonify({"signedIn": False})
            return login_required()
        if current.needs_refresh(clock()):
            refreshed = refresher.refresh(current, cookie_value)
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
            "signedIn": True,
        })

    def _current() -> tuple[str, Any]:
        """This browser's cookie value and session; without one the view ends in ``login_required``."""
        cookie_value: str = session.get(SID) or ""
        current = store.get(cookie_value) if cookie_value else None
        if current is None:
            abort(login_required())
        return cookie_value, current

    def _signed_out() -> Response:
        """The cookie's session is forgotten: ``204``, no body."""
        session.clear()
        done = Response(status=204)
        del done.headers["Content-Type"]
        return done

    @auth.get("/sessions")
    def sessions() -> Response:
        """Where this user is signed in (the Sessions table's ``BySub`` index), this browser first."""
        _, current = _current()
        listed = store.sessions_of(current.sub, current.issuer)
        if all(s.session_id != current.session_id for s in listed):  # the index lags a moment
            listed.append(SessionSummary(current.session_id, current.created_at, current.browser))
        rows = [{"current": s.session_id == current.session_id, "createdAt": s.created_at,
                 "browser": s.browser or "A browser"} for s in listed]
        rows.sort(key=lambda r: (not r["current"], r["createdAt"]))
        return jsonify({"sessions": rows})

    @auth.post("/logout-everywhere")
    def logout_everywhere() -> Response:
        """End every session of this user, each one's refresh grant revoked at the provider."""
        cookie_value, current = _current()
        if not csrf_valid(secret, cookie_value, request.headers.get("X-CSRF-Token")):
            return json_error("csrf_failed", "Signing out everywhere needs the X-CSRF-Token header "
                              "with the csrfToken from GET /auth/token.", 403)
        ids = {s.session_id for s in store.sessions_of(current.sub, current.issuer)} | {current.session_id}
        for session_id in ids:
            ended = store.delete_by_id(session_id)
            if ended is not None and ended.refresh_token:
                oidc.revoke_quietly(ended.refresh_token)
        return _signed_out()

    @auth.post("/logout")
    def logout() -> Response:
        cookie_value = session.get(SID)
        if cookie_value:
            if not csrf_valid(secret, cookie_value, request.headers.get("X-CSRF-Token")):
                return json_error("csrf_failed", "Sign-out needs the X-CSRF-Token header with the "
                                  "csrfToken from GET /auth/token.", 403)
            ended = store.get(cookie_value)
            store.delete(cookie_value)
            if ended is not None and ended.refresh_token:
                oidc.revoke_quietly(ended.refresh_token)
        return _signed_out()

    return auth
