"""Whatever arrives, token validation and parameter parsing end in an AWS error, never a crash,
and junk is *refused*: each test asserts the error code STS answers with (API Reference,
AssumeRoleWithWebIdentity, "Errors": ``InvalidIdentityToken``, ``ExpiredTokenException``, HTTP 400)
and that no credentials come back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_policies.errors import AwsError
from tests.unit.webapp.sts.conftest import LocalSts
from tests.unit.webapp.sts.forge import SigningKey, b64, mint
from webapp.sts.assume import parse_request
from webapp.sts.errors import ExpiredTokenException, InvalidIdentityToken, ValidationError
from webapp.sts.tokens import validate_token

KEY = SigningKey.rsa("k1")
NOW = 1_800_000_000
#: What STS answers a token it cannot accept with (botocore ``sts`` model, both HTTP 400).
REFUSALS = {"InvalidIdentityToken", "ExpiredTokenException"}
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


class _Provider:
    url = "idp.localhost/dev"
    client_ids = ("webapp",)


def refusal(token: str) -> AwsError:
    """The error ``validate_token`` refuses ``token`` with; the test fails if it is accepted."""
    with pytest.raises((InvalidIdentityToken, ExpiredTokenException)) as caught:
        validate_token(token, provider_for=lambda iss: _Provider() if iss == "https://idp.localhost/dev" else None,
                       jwks=lambda issuer, kid: KEY.jwks(), now=NOW)
    error = caught.value
    assert error.code in REFUSALS and error.status == 400
    assert error.message, "a refusal says why"
    return error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
junk_text = st.text(max_size=300)
junk_segments = st.lists(st.binary(max_size=60), min_size=1, max_size=5).map(
    lambda segments: ".".join(b64(s) for s in segments))


@settings(max_examples=120, deadline=None)
@given(junk_text)
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    assert refusal(text).code == "InvalidIdentityToken"  # nothing in it to have expired


@settings(max_examples=100, deadline=None)
@given(junk_segments)
def test_arbitrary_segments_are_refused_cleanly(token: str) -> None:
    refusal(token)


def signed_junk(claims: dict[str, Any], header: dict[str, Any]) -> str | None:
    try:
        return mint(json.dumps(claims), KEY, json.dumps({"alg": "RS256", **header}))
    except (TypeError, ValueError, KeyError):
        return None  # the forge cannot sign with that algorithm


junk_claims = st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp", "iat", "nbf", "azp", "amr"]), json_values)
junk_headers = st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "jku", "jwk", "x5c", "b64"]), json_values)


@settings(max_examples=60, deadline=None)
@given(junk_claims, junk_headers)
def test_correctly_signed_junk_claims_and_headers_are_refused_cleanly(claims: dict[str, Any],
                                                                      header: dict[str, Any]) -> None:
    # Random values never make the issuer https://idp.localhost/dev and the audience webapp.
    token = signed_junk(claims, header)
    if token is not None:
        refusal(token)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk_text | junk_segments | st.builds(signed_junk, junk_claims, junk_headers).filter(bool))
def test_junk_tokens_get_no_credentials_from_the_endpoint(sts: LocalSts, token: str) -> None:
    # The fixture's STS is stateless for refusals, so one server serves every example.
    response = requests.post(sts.url, data={
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
        "RoleArn": "arn:aws:iam::000000000000:role/WebUser", "RoleSessionName": "fuzz",
        "WebIdentityToken": token}, timeout=10)
    assert response.status_code == 400
    code = ET.fromstring(response.content).findtext("sts:Error/sts:Code", namespaces=NS)
    # A token shorter than 4 characters is refused earlier, by the parameter check.
    assert code in (REFUSALS | {"ValidationError"} if len(token) < 4 else REFUSALS)
    assert b"Credentials" not in response.content and b"AccessKeyId" not in response.content
    assert (sts.audit[-1]["decision"], sts.audit[-1]["error"]) == ("Deny", code)


REQUIRED = ("RoleArn", "RoleSessionName", "WebIdentityToken")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["RoleArn", "RoleSessionName", "WebIdentityToken", "DurationSeconds",
                                        "Policy", "ProviderId", "PolicyArns.member.1.arn"]),
                       st.text(max_size=80)))
def test_arbitrary_parameters_parse_or_are_validation_errors(params: dict[str, str]) -> None:
    missing = [name for name in REQUIRED if name not in params]
    try:
        request = parse_request(params)
    except ValidationError as error:
        assert error.code == "ValidationError" and error.status == 400
        count, _ = error.message.split(" ", 1)
        assert count.isdigit() and int(count) >= len(missing)
        assert error.message.count("Member must not be null") == len(missing)
    else:
        assert missing == [], "a request without RoleArn, RoleSessionName or WebIdentityToken is refused"
        assert 900 <= request.duration_seconds <= 43200
