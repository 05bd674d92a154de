"""W-13: CORS on the local STS and DynamoDB endpoints (security-anchors §3.4; ASVS 5.0 3.4.2):
an exact allowlist holding the app's origin; never a reflected foreign origin, never ``null``,
never ``*``, no credentials; the preflight offers ``POST`` and the SigV4/SDK headers only. The
host's own ``/auth/*`` and the IdP's token endpoint answer no cross-origin reader at all (the
host is the only client of the token endpoint; the page calls the host same-origin).
"""

from __future__ import annotations

import pytest
import requests

from tests.conftest import RunningStack

SDK_HEADERS = {"authorization", "content-type", "x-amz-date", "x-amz-target", "x-amz-security-token",
               "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-content-sha256"}
EXPOSED = {"x-amzn-requestid", "x-amz-crc32", "x-amzn-errortype", "date"}

FOREIGN = [
    "http://evil.localhost:8081", "null", "*", "http://localhost:8000.evil.localhost",
    "http://evil.localhost", "https://localhost", "http://LOCALHOST", "file://",
]


def endpoint(stack: RunningStack, which: str) -> str:
    return {"sts": stack.sts_url, "dynamodb": stack.dynamodb_url}[which]


def preflight(url: str, origin: str, method: str = "POST",
              headers: str = "authorization,content-type,x-amz-date,x-amz-target,x-amz-security-token") -> requests.Response:
    return requests.options(url, timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})


def actual(stack: RunningStack, which: str, origin: str) -> requests.Response:
    if which == "sts":
        return requests.post(stack.sts_url, timeout=10, headers={"Origin": origin},
                             data={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    return requests.post(stack.dynamodb_url, timeout=10, data="{}", headers={
        "Origin": origin, "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables"})


@pytest.mark.parametrize("which", ["sts", "dynamodb"])
@pytest.mark.parametrize("origin", FOREIGN)
def test_w13_a_foreign_or_null_origin_gets_no_cors_grant(stack: RunningStack, which: str, origin: str) -> None:
    pre = preflight(endpoint(stack, which), origin)
    assert pre.status_code == 403
    assert not any(h.lower().startswith("access-control-") for h in pre.headers)
    real = actual(stack, which, origin)
    assert real.status_code in (400, 403)  # unsigned: refused by the service either way
    assert not any(h.lower().startswith("access-control-") for h in real.headers)
    assert "Origin" in real.headers.get("Vary", "")


@pytest.mark.parametrize("which", ["sts", "dynamodb"])
def test_w13_the_app_origin_gets_exactly_itself_and_the_sdk_headers(stack: RunningStack, which: str) -> None:
    app = stack.host_url
    pre = preflight(endpoint(stack, which), app)
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == app
    assert "Access-Control-Allow-Credentials" not in pre.headers
    methods = {m.strip() for m in pre.headers["Access-Control-Allow-Methods"].split(",")}
    # Browsers POST to both (security-anchors §3.4 "Methods: POST"); STS's Query-API GET is for
    # non-browser clients and is offered to no origin.
    assert methods == {"POST"}
    allowed = {h.strip() for h in pre.headers["Access-Control-Allow-Headers"].split(",")}
    assert SDK_HEADERS <= allowed
    assert not ({"cookie", "origin", "host", "*"} & allowed)
    assert EXPOSED <= {h.strip() for h in pre.headers["Access-Control-Expose-Headers"].split(",")}
    real = actual(stack, which, app)
    assert real.headers["Access-Control-Allow-Origin"] == app
    assert "Access-Control-Allow-Credentials" not in real.headers


@pytest.mark.parametrize("which", ["sts", "dynamodb"])
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_w13_other_methods_are_not_offered(stack: RunningStack, which: str, method: str) -> None:
    pre = preflight(endpoint(stack, which), stack.host_url, method=method)
    assert pre.status_code == 403 or method not in pre.headers.get("Access-Control-Allow-Methods", "")


@pytest.mark.parametrize("which", ["sts", "dynamodb"])
def test_w13_unlisted_request_headers_are_not_offered(stack: RunningStack, which: str) -> None:
    pre = preflight(endpoint(stack, which), stack.host_url, headers="x-amz-target,x-evil,cookie")
    assert pre.status_code == 403 or "x-evil" not in pre.headers.get("Access-Control-Allow-Headers", "")


@pytest.mark.parametrize("path", ["/auth/token", "/auth/logout", "/idp/token", "/config.json"])
@pytest.mark.parametrize("origin", ["http://evil.localhost:8081", "null"])
def test_the_host_and_idp_grant_no_cross_origin_reads(stack: RunningStack, path: str, origin: str) -> None:
    pre = preflight(stack.host_url + path, origin, headers="x-csrf-token")
    real = requests.get(stack.host_url + path, headers={"Origin": origin}, timeout=10)
    for response in (pre, real):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers
