"""Response headers that every page of the host carries (the dev IdP's pages too: same app).

security-anchors §3.3 and OWASP ASVS 5.0 §3.4: a Content-Security-Policy with no
``'unsafe-inline'``/``'unsafe-eval'`` (3.4.3: at least ``object-src 'none'`` and
``base-uri 'none'``; 3.4.6: ``frame-ancestors``), ``nosniff`` (3.4.4), ``Referrer-Policy:
no-referrer`` (3.4.5; the callback URL carries ``code`` and ``state``), COOP ``same-origin``
(3.4.8), HSTS over https (3.4.1), and ``Cache-Control: no-store`` on anything that carries a token
or a session (14.3.2). ``X-Frame-Options`` is obsolete but harmless, so it is sent as well.

``connect-src`` names the STS and DynamoDB endpoints, the only places the page talks to besides
its own origin; ``form-action`` the identity provider's origin, where a sign-in form may go.
The dev IdP's pages are on the same origin and get the same policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (RFC 6454 §4), as CSP source expressions name origins."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


class SecurityHeaders:
    """The CSP and the other headers, built once; ``allow_form_action`` learns the IdP's origin
    from its discovery document (its ``authorization_endpoint`` may live on another host)."""

    def __init__(self, *, connect: Iterable[str], form_action: Iterable[str]) -> None:
        self._connect = _unique(origin(u) for u in connect)
        self._form_action = _unique(origin(u) for u in form_action)
        self._csp = self._build()

    def allow_form_action(self, url: str) -> None:
        extra = origin(url)
        if extra not in self._form_action:
            self._form_action = [*self._form_action, extra]
            self._csp = self._build()

    @property
    def content_security_policy(self) -> str:
        return self._csp

    def _build(self) -> str:
        directives = [
            ("default-src", ["'self'"]),
            ("script-src", ["'self'"]),
            ("style-src", ["'self'"]),
            ("img-src", ["'self'", "data:", "blob:"]),
            ("connect-src", ["'self'", *self._connect]),
            ("object-src", ["'none'"]),
            ("base-uri", ["'none'"]),
            ("frame-ancestors", ["'none'"]),
            ("form-action", ["'self'", *self._form_action]),
        ]
        return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)

    def apply(self, headers: Headers, *, https: bool, no_store: bool) -> None:
        # Also over a policy a blueprint set (the dev IdP's): one policy for the whole origin,
        # with the directives ASVS 3.4.3 names explicitly.
        headers["Content-Security-Policy"] = self._csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        if https:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if no_store:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
