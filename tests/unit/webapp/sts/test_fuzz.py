"""Whatever arrives, token validation and parameter parsing end in an AWS error, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.webapp.sts.forge import SigningKey, b64, mint
from webapp.sts.assume import parse_request
from webapp.sts.errors import ExpiredTokenException, InvalidIdentityToken, ValidationError
from webapp.sts.tokens import validate_token

KEY = SigningKey.rsa("k1")
NOW = 1_800_000_000


class _Provider:
    url = "idp.localhost/dev"
    client_ids = ("webapp",)


def _validate(token: str) -> None:
    try:
        validate_token(token, provider_for=lambda iss: _Provider() if iss == "https://idp.localhost/dev" else None,
                       jwks=lambda issuer, kid: KEY.jwks(), now=NOW)
    except (InvalidIdentityToken, ExpiredTokenException):
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=120, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    _validate(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=5))
def test_arbitrary_segments_are_refused_cleanly(segments: list[bytes]) -> None:
    _validate(".".join(b64(s) for s in segments))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["iss", "aud", "sub", "exp", "iat", "nbf", "azp", "amr"]), json_values),
       st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "jku", "jwk", "x5c", "b64"]), json_values))
def test_correctly_signed_junk_claims_and_headers_are_refused_cleanly(claims: dict[str, Any],
                                                                      header: dict[str, Any]) -> None:
    try:
        token = mint(json.dumps(claims), KEY, json.dumps({"alg": "RS256", **header}))
    except (TypeError, ValueError, KeyError):
        return  # the forge cannot sign with that algorithm; nothing to test
    _validate(token)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["RoleArn", "RoleSessionName", "WebIdentityToken", "DurationSeconds",
                                        "Policy", "ProviderId", "PolicyArns.member.1.arn"]),
                       st.text(max_size=80)))
def test_arbitrary_parameters_parse_or_are_validation_errors(params: dict[str, str]) -> None:
    try:
        request = parse_request(params)
    except ValidationError as error:
        assert error.message.split(" ", 1)[0].isdigit()
    else:
        assert 900 <= request.duration_seconds <= 43200
