"""One canonical origin for the page: the public one (``Settings.host_url``).

A browser that opens the host under another loopback name than the configured public one (for
example ``http://127.0.0.1:8000/`` when the public host is ``localhost``) would start the sign-in
with a redirect URI the provider does not expect, and its session cookie and the provider's
``form-action`` CSP would name another origin: sign-in breaks with no message (issue 10, Broken
#2). So such a request is redirected to the same path on the public origin before anything else
happens (RFC 9110 §15.4.8, 307 keeps the method).

Only loopback aliases on the host's own port are redirected: a deployment behind a proxy or load
balancer (other names, other ports) is left alone, and the redirect target is built from the
configuration, never from the request's Host header (no open redirect).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from iam_policies.issuers import LOOPBACK_HOSTS
from webapp.settings import Settings


def canonical_redirect(settings: Settings, host_header: str, path: str, query: str) -> str | None:
    """The public URL to send the browser to, or ``None`` when the request is already there."""
    public = f"{settings.public_host}:{settings.port}".lower()
    host = host_header.lower()
    if host == public or not host.endswith(f":{settings.port}"):
        return None
    name = host[: -len(f":{settings.port}")]
    if name not in LOOPBACK_HOSTS or settings.public_host.lower() == name:
        return None
    return settings.host_url + quote(path, safe="/-._~!$&'()*+,;=:@") + (f"?{query}" if query else "")


def install(app: Flask, settings: Settings) -> None:
    @app.before_request
    def to_public_origin() -> BaseResponse | None:
        target = canonical_redirect(settings, request.host, request.path,
                                    request.query_string.decode("latin-1"))
        return redirect(target, code=307) if target else None
