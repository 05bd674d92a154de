"""``webapp.csp``: the two policies, and one owner for each response's policy.

Expected directives: security-anchors §3.3 and OWASP ASVS 5.0 3.4.3 (no ``'unsafe-inline'`` or
``'unsafe-eval'``; ``object-src 'none'``, ``base-uri 'none'``) and 3.4.6 (``frame-ancestors``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, Response

from webapp import csp
from webapp.clock import ManualClock
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.settings import Settings


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


@pytest.mark.parametrize(("url", "expected"), [
    ("http://localhost:8001/", "http://localhost:8001"),
    ("https://sts.eu-west-1.amazonaws.com/path?q=1", "https://sts.eu-west-1.amazonaws.com"),
])
def test_sources_are_origins(url: str, expected: str) -> None:
    assert csp.origin(url) == expected


def test_the_host_policy_allows_scripts_from_itself_and_talks_only_to_sts_and_dynamodb() -> None:
    policy = directives(csp.host_policy(
        connect=["http://localhost:8001/", "http://localhost:8002", "http://localhost:8001/x"],
        form_action=["http://localhost:8000/idp/authorize"]))
    assert policy == {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'", "http://localhost:8001", "http://localhost:8002"],
        "object-src": ["'none'"], "base-uri": ["'none'"], "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "http://localhost:8000"],
    }


def test_the_idp_page_policy_allows_no_script_at_all() -> None:
    policy = directives(csp.idp_page_policy(form_action=["http://localhost:8000/auth/callback"]))
    assert policy["default-src"] == ["'none'"] and "script-src" not in policy
    assert policy["form-action"] == ["'self'", "http://localhost:8000"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]


@pytest.mark.parametrize("claimed", [False, True])
def test_the_idp_sets_its_page_policy_only_in_an_app_nobody_claimed(tmp_path: Path, claimed: bool) -> None:
    provider = IdentityProvider.open(Settings(data_dir=tmp_path / "data"), ManualClock(1_800_000_000.0))
    app = Flask(__name__)
    app.register_blueprint(create_idp_blueprint(provider))
    owner_policy = "default-src 'self'"
    found_by_owner: list[str | None] = []
    if claimed:
        csp.claim(app, "the host")

        @app.after_request  # runs after the blueprint's hook, as the host's does
        def owner(response: Response) -> Response:
            found_by_owner.append(response.headers.get("Content-Security-Policy"))
            response.headers["Content-Security-Policy"] = owner_policy
            return response

    page = app.test_client().get("/idp/authorize")  # no parameters: the provider's error page
    assert page.mimetype == "text/html"
    assert page.headers.getlist("Content-Security-Policy") == (
        [owner_policy] if claimed else [csp.idp_page_policy(form_action=provider.clients.get("webapp").redirect_uris)])  # type: ignore[union-attr]
    assert found_by_owner == ([None] if claimed else []), "nobody wrote the owner's header before it"
