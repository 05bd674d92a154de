"""CORS on the local AWS endpoints (security-anchors §3.4): an exact allowlist, never a
reflected or ``null`` origin, the SDK's headers in the preflight."""

from __future__ import annotations

import pytest

from tests.unit.webapp.dynamodb.conftest import Endpoint
from webapp.cors import ALLOW_HEADERS

APP = "http://localhost:18000"
SDK_HEADERS = ("authorization,content-type,x-amz-date,x-amz-target,x-amz-security-token,"
               "x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request,x-amz-content-sha256")


def preflight(endpoint: Endpoint, origin: str, method: str = "POST",
              headers: str = SDK_HEADERS) -> tuple[int, dict[str, str]]:
    status, got, _ = endpoint.raw("OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    })
    return status, got


def test_preflight_from_the_app_origin(endpoint: Endpoint) -> None:
    status, headers = preflight(endpoint, APP)
    assert status == 200
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-allow-methods"] == "POST"
    allowed = set(headers["access-control-allow-headers"].split(", "))
    assert set(SDK_HEADERS.split(",")) <= allowed
    exposed = set(headers["access-control-expose-headers"].split(", "))
    assert {"x-amzn-requestid", "x-amz-crc32", "x-amzn-errortype", "date"} <= exposed
    assert "access-control-allow-credentials" not in headers


#: (rule, origin, method, requested headers)
REFUSED_PREFLIGHTS = [
    ("an unlisted origin is not reflected", "http://evil.example", "POST", SDK_HEADERS),
    ("the null origin (sandboxed iframe, file://)", "null", "POST", SDK_HEADERS),
    ("an origin that only starts like the app's", APP + ".evil.example", "POST", SDK_HEADERS),
    ("another scheme", APP.replace("http", "https"), "POST", SDK_HEADERS),
    ("a method the endpoint does not take", APP, "DELETE", SDK_HEADERS),
    ("a header the SDK does not send", APP, "POST", "x-forwarded-for"),
]


@pytest.mark.parametrize("rule, origin, method, requested", REFUSED_PREFLIGHTS,
                         ids=[r[0] for r in REFUSED_PREFLIGHTS])
def test_refused_preflight(rule: str, origin: str, method: str, requested: str,
                           endpoint: Endpoint) -> None:
    status, headers = preflight(endpoint, origin, method, requested)
    assert status == 403
    assert not any(name.startswith("access-control-allow") for name in headers)


@pytest.mark.parametrize("origin, allowed", [(APP, True), ("http://127.0.0.1:18000", True),
                                             ("http://evil.example", False), ("null", False)])
def test_actual_response_headers(origin: str, allowed: bool, endpoint: Endpoint) -> None:
    status, headers, _ = endpoint.raw("POST", b"{", headers={"Origin": origin,
                                                            "Content-Type": "application/x-amz-json-1.0"})
    assert status == 400
    assert "origin" in headers["vary"].lower()
    assert headers.get("access-control-allow-origin") == (origin if allowed else None)
    assert headers.get("access-control-allow-origin") != "*"


def test_allow_headers_cover_what_the_sdks_send() -> None:
    assert set(SDK_HEADERS.split(",")) <= set(ALLOW_HEADERS)
