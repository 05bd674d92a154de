"""Content-Security-Policy: every policy the app sends, and which code sets it on a response.

Two policies, both without ``'unsafe-inline'``/``'unsafe-eval'`` and with ``object-src``/
``base-uri``/``frame-ancestors`` restricted (security-anchors §3.3; OWASP ASVS 5.0 3.4.3, 3.4.6):

* ``host_policy``: the host's page and everything else the host serves. ``connect-src`` names
  the STS and DynamoDB endpoints, the only places the page talks to besides its own origin;
  ``form-action`` the identity provider's origin, where a sign-in form may go.
* ``idp_page_policy``: the dev identity provider's pages when it runs on its own: no script at
  all, styles and images from its origin, forms only back to it or to its clients' redirect
  origins.

One owner per response. An app that sets the security headers of every response it serves (the
host, ``webapp.host.security``) claims the policy with ``claim(app)``; a blueprint (the dev IdP)
sets its own pages' policy only in an app nobody claimed (``claimed()`` is false). So the IdP's
sign-in page carries the host's policy when the host mounts it (the local stack), its own when
served alone, and no code overwrites another's header.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, current_app

#: ``app.extensions`` key of the app-wide policy owner.
OWNER = "webapp.csp"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (RFC 6454 §4), as CSP source expressions name origins."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origins(urls: Iterable[str]) -> list[str]:
    """The distinct origins of ``urls``, in order."""
    seen: list[str] = []
    for url in urls:
        value = origin(url) if url else ""
        if value and value not in seen:
            seen.append(value)
    return seen


def render(directives: list[tuple[str, list[str]]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def host_policy(*, connect: Iterable[str], form_action: Iterable[str]) -> str:
    return render([
        ("default-src", ["'self'"]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'"]),
        ("img-src", ["'self'", "data:", "blob:"]),
        ("connect-src", ["'self'", *origins(connect)]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
        ("form-action", ["'self'", *origins(form_action)]),
    ])


def idp_page_policy(*, form_action: Iterable[str]) -> str:
    return render([
        ("default-src", ["'none'"]),
        ("style-src", ["'self'"]),
        ("img-src", ["'self'"]),
        ("form-action", ["'self'", *origins(form_action)]),
        ("frame-ancestors", ["'none'"]),
        ("base-uri", ["'none'"]),
    ])


def claim(app: Flask, owner: object) -> None:
    """``owner`` sets the policy of every response ``app`` serves; blueprints leave it alone."""
    app.extensions[OWNER] = owner


def claimed() -> bool:
    """Whether the current app's policy has an app-wide owner (inside a request)."""
    return OWNER in current_app.extensions
