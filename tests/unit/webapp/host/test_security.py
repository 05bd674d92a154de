"""Security headers on every response (security-anchors §3.3), JSON errors, the cookie key."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.host.secret import cookie_secret
from webapp.settings import Settings

from .conftest import Host

# Every kind of response the host gives: page, asset, JSON, 404, 405, 401, 204, redirect-free.
RESPONSES = [
    ("GET", "/", 200),
    ("GET", "/dist/app.js", 200),
    ("GET", "/config.json", 200),
    ("GET", "/healthz", 200),
    ("GET", "/src/main.js", 404),
    ("POST", "/config.json", 405),
    ("GET", "/auth/token", 401),
    ("POST", "/auth/logout", 204),
    ("GET", "/auth/logout", 405),
]


@pytest.mark.parametrize(("method", "url", "status"), RESPONSES, ids=[f"{m} {u}" for m, u, _ in RESPONSES])
def test_every_response_carries_the_security_headers(host: Host, method: str, url: str, status: int) -> None:
    response = host.client.open(url, method=method)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http
    csp = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert csp == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: blob:",
        "connect-src": "'self' http://localhost:18001 http://localhost:18002",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self' http://localhost:18000",
    }
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    if url.startswith("/auth/"):
        assert response.headers["Cache-Control"] == "no-store"
    else:
        assert response.headers.get("Cache-Control") != "no-store" or url in ("/", "/healthz")


def test_hsts_over_https(host: Host) -> None:
    response = host.client.get("/healthz", base_url="https://app.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(("method", "url"), [("GET", "/nope"), ("DELETE", "/"), ("GET", "/dist/")])
def test_errors_are_json_with_a_message(host: Host, method: str, url: str) -> None:
    response = host.client.open(url, method=method)
    assert response.status_code in (404, 405)
    assert response.is_json and set(response.json) == {"error", "message"}
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_unexpected_failure_is_a_500_without_a_traceback(host: Host) -> None:
    host.sign_in()

    def broken(**_: object) -> None:
        raise RuntimeError("connection pool exploded at /secret/path")

    host.store.client.get_item = broken  # the session store fails under the view
    response = host.client.get("/auth/token")
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    body = response.get_data(as_text=True)
    assert "exploded" not in body and "Traceback" not in body and "/secret/path" not in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_cookie_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = cookie_secret(settings)
    path = tmp_path / "host" / "secret.key"
    assert len(first) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert cookie_secret(settings) == first
    assert cookie_secret(settings.with_(secret_key="shared-by-all-hosts")) == b"shared-by-all-hosts"


def test_a_session_store_outage_is_a_503_that_says_so(host: Host) -> None:
    from botocore.exceptions import ClientError

    host.sign_in()

    def throttled(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                     "Message": "Rate exceeded for table Sessions"}}, "GetItem")

    host.store.client.get_item = throttled
    response = host.client.get("/auth/token")
    assert response.status_code == 503
    assert response.json == {"error": "session_store_unavailable",
                             "message": "The session store (DynamoDB) could not be used; try again shortly."}
