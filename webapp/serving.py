"""A request logger that never writes query strings.

The Query protocol allows ``GET /?Action=AssumeRoleWithWebIdentity&WebIdentityToken=...``, and
Werkzeug's development server logs each request line, query included, at INFO: the ID token (a
bearer credential) would land in the stack's log (attack T-01: "nothing logged at INFO that
contains the token"; OWASP ASVS 5.0 16.2.5, no credentials in logs). Serving with this handler
logs the method, the path and the status only. The same holds for OAuth ``code`` and ``state`` in
the host's redirects, so the composition root can use it for every server.
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler


class RedactingRequestHandler(WSGIRequestHandler):
    """``make_server(..., request_handler=RedactingRequestHandler)``: access log without queries."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", None)
        if isinstance(path, str) and "?" in path:
            self.path = path.split("?", 1)[0] + "?[redacted]"
            try:
                super().log_request(code, size)
            finally:
                self.path = path
            return
        super().log_request(code, size)
