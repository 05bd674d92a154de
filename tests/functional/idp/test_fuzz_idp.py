"""Hostile input to the provider's endpoints that was a 500 (found by fuzzing the running stack,
issue 11), each with the answer the RFCs give it. The flow's own refusals are ``test_refusals.py``.
"""

from __future__ import annotations

import base64

import pytest
import requests

from tests.functional.idp.conftest import IdpHttp


def _basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


#: Client credentials that are not UTF-8 (authlib decoded them unguarded: UnicodeDecodeError).
#: RFC 6749 §5.2: a failed client authentication by the Authorization header is 401
#: invalid_client with WWW-Authenticate. (endpoint, form, credentials)
NOT_UTF8 = [
    ("/idp/token", {"grant_type": "authorization_code", "code": "x"}, b"\xff\xfe:\xff"),
    ("/idp/token", {"grant_type": "refresh_token", "refresh_token": "x"}, b"webapp:\xc3\x28"),
    ("/idp/revoke", {"token": "x"}, b"\x80:secret"),
]


@pytest.mark.parametrize("path, form, credentials", NOT_UTF8, ids=[f"{p} {f.get('grant_type', 'revoke')}" for p, f, _ in NOT_UTF8])
def test_client_credentials_that_are_not_utf8_are_invalid_client(path: str, form: dict[str, str], credentials: bytes,
                                                                  idp: IdpHttp) -> None:
    response = requests.post(idp.base + path, data=form, headers=_basic(credentials), timeout=10)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


#: Authorization requests whose values authlib cannot quote in an error description (RFC 6749
#: §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E): its ValueError was a 500. They are invalid requests,
#: shown on the provider's page (never redirected with the unquotable value).
UNQUOTABLE = [
    pytest.param({"response_type": "code\x00"}, id="NUL in response_type"),
    pytest.param({"response_type": "code\x7f"}, id="DEL in response_type"),
    pytest.param({"response_type": 'co"de'}, id="a quote in response_type"),
]


@pytest.mark.parametrize("overrides", UNQUOTABLE)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unquotable_authorization_values_are_invalid_requests(overrides: dict[str, str], method: str,
                                                              idp: IdpHttp) -> None:
    params = idp.authorize_params(idp.new_flow(), **overrides)
    response = requests.request(method, f"{idp.base}/idp/authorize", params=params, allow_redirects=False, timeout=10)
    assert response.status_code == 400, response.text[:300]
    assert "Location" not in response.headers and "invalid_request" in response.text
