"""The page, its static files, ``/config.json`` and ``/healthz``: views over ``assets``/``config``.

The page itself (``/``) is ``Cache-Control: no-store`` (ASVS 5.0 14.3.2; security-anchors §3.3,
attack case W-21): a signed-in page that a browser kept, in its HTTP cache or its back/forward
cache, must not come back with someone's photos after sign-out. Browsers keep no-store documents
out of the back/forward cache once the page's cookies change (sign-out deletes the session
cookie), and reload them on Back. Its assets hold no user data and stay ``no-cache``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from webapp.host.assets import AssetStore


def asset_response(assets: AssetStore, relative: str, cache: str = "no-cache") -> Response:
    """One static file, gzip when the browser takes it, with its ETag (304 when it matches)."""
    asset = assets.get(relative)
    if asset is None:
        abort(404, description=f"No such file: /{relative}")
    accepts_gzip = request.accept_encodings["gzip"] > 0 and asset.gzip is not None
    chosen = asset.representation(accepts_gzip)
    headers = {"Content-Type": asset.content_type, "ETag": chosen.etag,
               "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if chosen.encoding:
        headers["Content-Encoding"] = chosen.encoding
    if request.if_none_match.contains_weak(chosen.etag.strip('"')):
        return Response(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return Response(chosen.body, status=200, headers=headers)


def create_pages_blueprint(assets: AssetStore, config: dict[str, Any]) -> Blueprint:
    pages = Blueprint("pages", __name__)

    def serve(relative: str, cache: str = "no-cache") -> Response:
        return asset_response(assets, relative, cache)

    @pages.get("/")
    def index() -> Response:
        return serve("index.html", cache="no-store")

    @pages.get("/styles.css")
    def styles() -> Response:
        return serve("styles.css")

    @pages.get("/dist/<path:relative>")
    def dist(relative: str) -> Response:
        return serve(f"dist/{relative}")

    @pages.get("/assets/<path:relative>")
    def static_assets(relative: str) -> Response:
        return serve(f"assets/{relative}")

    @pages.get("/favicon.ico")
    def favicon() -> Response:
        """Browsers ask for /favicon.ico on pages that name no icon (the IdP's, a JSON error):
        the app's icon, not a 404 on every load."""
        return serve("assets/icon.svg", cache="public, max-age=86400")

    @pages.get("/config.json")
    def config_json() -> Response:
        response = jsonify(config)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @pages.get("/healthz")
    def healthz() -> Response:
        response = jsonify({"status": "ok"})
        response.headers["Cache-Control"] = "no-store"
        return response

    return pages
