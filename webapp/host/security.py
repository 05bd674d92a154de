"""Response headers that every page of the host carries (the dev IdP's pages too: same app).

security-anchors §3.3 and OWASP ASVS 5.0 §3.4: a Content-Security-Policy with no
``'unsafe-inline'``/``'unsafe-eval'`` (3.4.3: at least ``object-src 'none'`` and
``base-uri 'none'``; 3.4.6: ``frame-ancestors``), ``nosniff`` (3.4.4), ``Referrer-Policy:
no-referrer`` (3.4.5; the callback URL carries ``code`` and ``state``), COOP ``same-origin``
(3.4.8), HSTS over https (3.4.1), and ``Cache-Control: no-store`` on anything that carries a token
or a session (14.3.2). ``X-Frame-Options`` is obsolete but harmless, so it is sent as well.

The policy itself is ``webapp.csp.host_policy``. The host claims it for every response it serves
(``csp.claim``), the dev IdP's pages too when it is mounted here: one owner per response.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.datastructures import Headers

from webapp import csp


class SecurityHeaders:
    """The CSP and the other headers, built once; ``allow_form_action`` learns the IdP's origin
    from its discovery document (its ``authorization_endpoint`` may live on another host)."""

    def __init__(self, *, connect: Iterable[str], form_action: Iterable[str]) -> None:
        self._connect = csp.origins(connect)
        self._form_action = csp.origins(form_action)
        self._csp = self._build()

    def allow_form_action(self, url: str) -> None:
        extra = csp.origin(url)
        if extra not in self._form_action:
            self._form_action = [*self._form_action, extra]
            self._csp = self._build()

    @property
    def content_security_policy(self) -> str:
        return self._csp

    def _build(self) -> str:
        return csp.host_policy(connect=self._connect, form_action=self._form_action)

    def apply(self, headers: Headers, *, https: bool, no_store: bool) -> None:
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
