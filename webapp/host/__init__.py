"""The host: a token-mediating backend (draft-ietf-oauth-browser-based-apps §6.2).

It serves the page and ``/config.json``, runs the OpenID Connect code flow as a confidential
client, keeps refresh tokens server-side in DynamoDB, and hands the page only short-lived ID
tokens, which the page trades with STS for credentials scoped by IAM to the user's own items.
The host itself can touch nothing but the ``Sessions`` table (the ``WebHost`` role).

It is stateless apart from DynamoDB and the cookie-signing key, so it runs behind gunicorn on as
many machines as needed (``webapp/host/wsgi.py``, docs/deploy.md).

Composition: ``create_app(settings)`` builds the collaborators (security headers, assets,
sessions, the OIDC client) and hands each blueprint what it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, request

from webapp import csp
from webapp.clock import Clock, system_clock
from webapp.host import errors, origin
from webapp.host.admin import WatchSource, create_admin_blueprint
from webapp.host.assets import AssetStore
from webapp.host.auth import create_auth_blueprint
from webapp.host.config import config_document, endpoints
from webapp.host.cookie import configure_cookie
from webapp.host.oidc import OidcClient
from webapp.host.pages import asset_response, create_pages_blueprint
from webapp.host.secret import cookie_secret
from webapp.host.security import SecurityHeaders
from webapp.host.sessions import SessionStore
from webapp.settings import Settings

#: The page's files: ``<repo>/static`` unless ``settings.static_dir`` says otherwise.
DEFAULT_STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def create_app(settings: Settings, *, idp_blueprint: Blueprint | None = None,
               credentials: tuple[str, str] | None = None, clock: Clock = system_clock,
               sessions_client: Any = None, watch: WatchSource | None = None) -> Flask:
    """The host's Flask app.

    ``idp_blueprint``: the dev identity provider, mounted at ``/idp`` (local stack only).
    ``credentials``: the host's own static key ``(access_key_id, secret)`` for the ``WebHost``
    role on the local stack; ``None`` on AWS (boto3's default chain: instance role, env, ...).
    ``sessions_client``: a boto3 DynamoDB client to use instead of building one (tests).
    ``watch``: where ``/admin/capacity`` reads the capacity watch (local stack only).
    """
    local = credentials is not None or idp_blueprint is not None
    where = endpoints(settings, local=local)
    metadata_url = settings.oidc_metadata_url or f"{settings.idp_url}/.well-known/openid-configuration"

    app = Flask("webapp.host", static_folder=None)
    # No 308 "merge slashes" redirects: ``/dist//x`` is a 404 like any other path outside the
    # whitelist, and no redirect is ever built from a request's path and Host header.
    app.url_map.merge_slashes = False
    secret = cookie_secret(settings)
    app.secret_key = secret
    lifetime = settings.session_lifetime_seconds
    configure_cookie(app, lifetime)
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    errors.install(app)
    origin.install(app, settings)

    headers = SecurityHeaders(
        connect=[where.sts, where.dynamodb],
        form_action=[settings.idp_url if settings.oidc_metadata_url is None else metadata_url],
    )

    csp.claim(app, headers)

    def learned(metadata: dict[str, Any]) -> None:
        if metadata.get("authorization_endpoint"):
            headers.allow_form_action(metadata["authorization_endpoint"])

    oidc = OidcClient(app, settings, client_secret=settings.oidc_client_secret,
                      metadata_url=metadata_url, on_metadata=learned)
    store = SessionStore(
        sessions_client if sessions_client is not None else _sessions_client(settings, where.sessions, credentials),
        settings.table_name("sessions"), clock, lifetime,
    )
    static_dir = settings.static_dir or DEFAULT_STATIC_DIR

    assets = AssetStore(static_dir)
    app.register_blueprint(create_pages_blueprint(assets, config_document(settings, where)))
    app.register_blueprint(create_admin_blueprint(
        store, settings.admins, watch, lambda: asset_response(assets, "assets/admin/capacity.html", "no-store")))
    app.register_blueprint(create_auth_blueprint(oidc, store, secret, clock))
    if idp_blueprint is not None:
        app.register_blueprint(idp_blueprint, url_prefix="/idp")

    @app.after_request
    def secure(response: Response) -> Response:
        headers.apply(response.headers, https=request.is_secure,
                      no_store=request.path.startswith("/auth/"))
        return response

    app.extensions["webapp.host"] = {"oidc": oidc, "sessions": store, "headers": headers,
                                     "endpoints": where}
    return app


def _sessions_client(settings: Settings, endpoint: str | None, credentials: tuple[str, str] | None) -> Any:
    """boto3 against the Sessions table's DynamoDB, signed with the host's own credentials."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    kwargs: dict[str, Any] = {}
    if credentials is not None:
        kwargs = {"aws_access_key_id": credentials[0], "aws_secret_access_key": credentials[1]}
    return boto3.session.Session().client(
        "dynamodb", region_name=settings.region, endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5,
                      read_timeout=10),
        **kwargs,
    )
