"""The host's session cookie: the browser's only credential towards the host.

Signed (Flask's ``SecureCookieSessionInterface``, itsdangerous HMAC), ``HttpOnly``,
``SameSite=Lax``, and ``Secure`` whenever the request came over https. It holds the session's
random value under ``SID`` (whose SHA-256 keys the Sessions item, ``sessions.py``) and, during a
sign-in, the page to return to under ``NEXT`` and authlib's ``state``/``nonce``/PKCE verifier.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

COOKIE_NAME = "webapp_session"
#: Keys inside the signed cookie: the session's random value, and where to go after sign-in.
SID = "sid"
NEXT = "next"


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
