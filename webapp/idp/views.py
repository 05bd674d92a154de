"""The provider's HTTP endpoints, a Flask blueprint the host mounts at ``/idp``.

- ``GET /.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §4) and
  ``GET /jwks.json`` (RFC 7517 §5): public metadata and keys.
- ``GET /authorize`` validates the request (client, exact redirect URI, PKCE S256, scope) and
  shows the sign-in page: pick a user or add one; there are no passwords. ``POST /authorize``
  signs in and redirects back with ``code`` and ``state`` (RFC 6749 §4.1.2). The form is
  protected against CSRF with a signed double-submit cookie (OWASP CSRF Prevention Cheat Sheet)
  plus an ``Origin`` check. The page has no inline script or style, so a strict CSP holds
  (``webapp.csp``: its own policy when served alone, the host's when the host mounts it).
  Errors before the redirect URI is known are shown here and never redirected (RFC 6749 §4.1.2.1).
- ``POST /token`` (RFC 6749 §3.2), ``POST /revoke`` (RFC 7009) and ``GET|POST /userinfo``
  (OpenID Connect Core §5.3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, Response, jsonify, make_response, render_template, request, url_for

from webapp import csp
from webapp.idp.directory import InvalidUser, UnknownUser, UserExists
from webapp.idp.provider import IdentityProvider
from webapp.idp.server import Authentication, create_authorization_server

log = logging.getLogger(__name__)

CSRF_COOKIE = "idp_csrf"
CSRF_FIELD = "csrf_token"


def create_idp_blueprint(provider: IdentityProvider) -> Blueprint:
    server = create_authorization_server(provider)
    bp = Blueprint("idp", __name__, url_prefix="/idp", template_folder="templates",
                   static_folder="static", static_url_path="/static")

    protector = ResourceProtector()
    protector.register_token_validator(_AccessTokens(provider))

    @bp.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.mimetype == "text/html":
            if not csp.claimed():  # mounted in the host, whose policy is the page's (webapp.csp)
                response.headers["Content-Security-Policy"] = _page_csp(provider)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(provider.metadata())

    @bp.get("/jwks.json")
    def jwks() -> Response:
        return jsonify(provider.jwks())

    @bp.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Response | tuple[str, int]:
        try:
            _consent_grant(server, None)
        except OAuth2Error as error:
            return _refused(server, error)
        if request.method == "GET":
            return _sign_in_page(provider)

        if not _csrf_ok(provider):
            log.warning("sign-in form refused: missing or wrong CSRF token, or foreign Origin")
            return _sign_in_page(provider, status=400, error=(
                "This sign-in form has expired or did not come from this page. "
                "Go back to the app and sign in again."))
        who: Authentication | None = None
        if request.form.get("action") != "deny":
            try:
                who = _chosen_user(provider)
            except (InvalidUser, UserExists) as problem:
                return _sign_in_page(provider, status=400, error=str(problem))
            except UnknownUser as problem:
                return _sign_in_page(provider, status=400, error=str(problem.args[0]))
        try:
            grant = _consent_grant(server, who)
        except OAuth2Error as error:
            return _refused(server, error)
        # With no user (cancel), authlib answers access_denied to the client (RFC 6749 §4.1.2.1).
        log.info("sign-in as %s for client %s", who.user.name if who else "(cancelled)",
                 request.args.get("client_id"))
        return server.create_authorization_response(grant_user=who, grant=grant)  # type: ignore[no-any-return]

    @bp.post("/token")
    def token() -> Response:
        if _unreadable_basic_credentials():
            return _invalid_client()
        return server.create_token_response()  # type: ignore[no-any-return]

    @bp.post("/revoke")
    def revoke() -> Response:
        if _unreadable_basic_credentials():
            return _invalid_client()
        return server.create_endpoint_response("revocation")  # type: ignore[no-any-return]

    @bp.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Response:
        with protector.acquire("openid") as access:
            user = provider.users.by_sub(access.sub)
            if user is None:
                return _json_error(401, "invalid_token", "The user no longer exists.")
            return jsonify(provider.user_claims(user))

    return bp


class _AccessTokens(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, provider: IdentityProvider) -> None:
        super().__init__()
        self._provider = provider

    def authenticate_token(self, token_string: str) -> Any:
        return self._provider.grants.access_token(token_string)


# Sign-in page ---------------------------------------------------------------------------------


def _sign_in_page(provider: IdentityProvider, *, status: int = 200, error: str | None = None) -> Response:
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    fresh = len(cookie) < 32
    if fresh:
        cookie = secrets.token_urlsafe(32)
    action = url_for(".authorize") + "?" + urlencode(list(request.args.items(multi=True)))
    html = render_template(
        "idp/signin.html", users=provider.users.all(), action=action, error=error,
        csrf_field=CSRF_FIELD, csrf_token=_csrf_token(provider, cookie),
        client_id=request.values.get("client_id", ""),
    )
    response = make_response(html, status)
    if fresh:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="Strict",
                            secure=request.is_secure, path="/idp")
    return response


def _csrf_token(provider: IdentityProvider, cookie: str) -> str:
    return hmac.new(provider.csrf_key, b"idp-sign-in\0" + cookie.encode(), hashlib.sha256).hexdigest()


def _csrf_ok(provider: IdentityProvider) -> bool:
    """The form's token must be the MAC of this browser's cookie, and a browser-sent ``Origin``
    must be ours."""
    origin = request.headers.get("Origin")
    # Under ``Referrer-Policy: no-referrer`` (which the host sends) browsers serialize the origin
    # of a form POST as "null" (Fetch standard, "serializing a request origin"): no information,
    # so the MAC of the cookie below is the check.
    if origin not in (None, "null") and origin != request.host_url.rstrip("/"):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    return bool(cookie) and hmac.compare_digest(sent.encode(), _csrf_token(provider, cookie).encode())


def _chosen_user(provider: IdentityProvider) -> Authentication:
    now = int(provider.clock())
    new_name = request.form.get("new_name", "").strip()
    if new_name:
        user = provider.users.add(new_name, display_name=request.form.get("display_name") or None)
        return Authentication(user, now)
    name = request.form.get("user", "")
    return Authentication(provider.users.get(name), now)


def _consent_grant(server: Any, who: Authentication | None) -> Any:
    """``server.get_consent_grant``, with authlib's ``ValueError`` for a request value it cannot
    quote in an error (a NUL in ``response_type``: RFC 6749 §4.1.2.1 allows ``error_description``
    only %x20-21 / %x23-5B / %x5D-7E, and authlib checks that when it builds the error) turned
    into the ``invalid_request`` it stands for, instead of a 500 (issue 11, found by fuzzing)."""
    try:
        return server.get_consent_grant(end_user=who)
    except ValueError as error:
        if "forbidden characters" not in str(error):
            raise
        raise InvalidRequestError("The request holds characters that are not allowed in OAuth parameters.") from None


def _unreadable_basic_credentials() -> bool:
    """``Authorization: Basic`` whose credentials decode to bytes that are not UTF-8: authlib's
    ``extract_basic_authorization`` decodes them without a guard (a ``UnicodeDecodeError``, a
    500). RFC 6749 §2.3.1 client credentials are ``application/x-www-form-urlencoded`` UTF-8 text,
    so such a header authenticates no client."""
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "basic":
        return False
    try:
        base64.b64decode(token.strip()).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return True
    return False


def _invalid_client() -> Response:
    """RFC 6749 §5.2: a client that tried to authenticate with the Authorization header and
    failed gets 401 ``invalid_client`` and a ``WWW-Authenticate`` naming the scheme it used."""
    response = _json_error(401, "invalid_client", "Client authentication failed: the Basic credentials are not "
                                                  "base64 of UTF-8 text (RFC 6749 section 2.3.1).")
    response.headers["WWW-Authenticate"] = 'Basic realm="token"'
    return response


def _refused(server: Any, error: OAuth2Error) -> Response | tuple[str, int]:
    """Redirect the error to the client only when its redirect URI was verified; otherwise say it
    here (RFC 6749 §4.1.2.1)."""
    if error.redirect_uri:
        return server.handle_error_response(None, error)  # type: ignore[no-any-return]
    html = render_template("idp/error.html", error=error.error, description=error.description or "")
    return html, error.status_code or 400


def _json_error(status: int, code: str, description: str) -> Response:
    response = jsonify({"error": code, "error_description": description})
    response.status_code = status
    return response


def _page_csp(provider: IdentityProvider) -> str:
    """The provider's own pages, served alone: forms only back here or to the clients' redirect
    origins (``webapp.csp.idp_page_policy``)."""
    client = provider.clients.get(provider.settings.client_id)
    return csp.idp_page_policy(form_action=client.redirect_uris if client else ())
