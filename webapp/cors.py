"""CORS for the local AWS endpoints (STS, DynamoDB), as a small WSGI wrapper.

security-anchors §3.4 (ASVS 5.0 3.4.2, 4.0.3 14.5.3): an exact allowlist of origins (the app's
own); never reflect an unlisted ``Origin``, never allow ``null``, never ``*``; the preflight offers
``POST`` and the headers the AWS SDKs send; the response exposes the headers the SDKs read
(request id, CRC32, error type, ``Date`` for clock-skew correction). These endpoints take no
cookies, so no ``Access-Control-Allow-Credentials``. ``Origin`` is never used to authenticate.

Fetch standard (WHATWG), "CORS protocol": a preflight is an ``OPTIONS`` request carrying
``Origin`` and ``Access-Control-Request-Method``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALLOW_HEADERS = (
    "authorization", "content-type", "x-amz-date", "x-amz-target", "x-amz-security-token",
    "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-content-sha256",
    "x-amz-api-version", "x-amzn-trace-id",
)
EXPOSE_HEADERS = ("x-amzn-requestid", "x-amz-crc32", "x-amzn-errortype", "x-amz-id-2", "date")


class Cors:
    """Wrap ``app``; preflights are answered here, other responses get the CORS headers."""

    def __init__(self, app: WSGIApp, allowed_origins: Iterable[str], *,
                 methods: Iterable[str] = ("POST",), allow_headers: Iterable[str] = ALLOW_HEADERS,
                 expose_headers: Iterable[str] = EXPOSE_HEADERS, max_age: int = 600) -> None:
        self.app = app
        self.origins = frozenset(o for o in allowed_origins if o and o != "null" and o != "*")
        self.methods = tuple(m.upper() for m in methods)
        self.allow_headers = tuple(h.lower() for h in allow_headers)
        self.expose_headers = ", ".join(expose_headers)
        self.max_age = str(max_age)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if (environ.get("REQUEST_METHOD") == "OPTIONS" and origin is not None
                and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ):
            return self._preflight(environ, origin, start_response)
        allowed = origin in self.origins

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [h for h in headers if not h[0].lower().startswith("access-control-")]
            headers.append(("Vary", "Origin"))
            if allowed and origin is not None:
                headers += [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Expose-Headers", self.expose_headers),
                ]
            return start_response(status, headers, exc_info)

        return self.app(environ, start)

    def _preflight(self, environ: dict[str, Any], origin: str,
                   start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").strip().upper()
        requested = [
            h.strip().lower()
            for h in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",")
            if h.strip()
        ]
        ok = (origin in self.origins and method in self.methods
              and all(h in self.allow_headers for h in requested))
        headers = [("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
                   ("Content-Length", "0")]
        if not ok:
            start_response("403 Forbidden", headers)
            return [b""]
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", ", ".join(self.methods)),
            ("Access-Control-Allow-Headers", ", ".join(self.allow_headers)),
            ("Access-Control-Expose-Headers", self.expose_headers),
            ("Access-Control-Max-Age", self.max_age),
        ]
        start_response("200 OK", headers)
        return [b""]
