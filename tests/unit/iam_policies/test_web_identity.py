"""Provider keys STS derives from a token (spec D.1) and the ones that survive into the session (S17)."""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.web_identity import key_prefix, provider_keys, session_keys


@pytest.mark.parametrize(
    ("provider", "prefix"),
    [
        ("https://auth.example.com", "auth.example.com"),
        ("https://auth.example.com/realms/app/", "auth.example.com/realms/app"),
        ("arn:aws:iam::123456789012:oidc-provider/auth.example.com/realms/app", "auth.example.com/realms/app"),
        ("oidc.eks.us-east-1.amazonaws.com/id/1111", "oidc.eks.us-east-1.amazonaws.com/id/1111"),
        ("accounts.google.com", "accounts.google.com"),
    ],
)
def test_key_prefix_is_the_issuer_without_scheme_path_kept(provider: str, prefix: str) -> None:
    assert key_prefix(provider) == prefix


CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "google: aud is azp when set, oaud is the token aud",
        "accounts.google.com",
        {"aud": "server-client", "azp": "web-client", "sub": "1101"},
        {"accounts.google.com:aud": "web-client", "accounts.google.com:oaud": "server-client", "accounts.google.com:sub": "1101"},
    ),
    (
        "google without azp: aud and oaud are both the aud",
        "accounts.google.com",
        {"aud": "web-client", "sub": "1101"},
        {"accounts.google.com:aud": "web-client", "accounts.google.com:oaud": "web-client", "accounts.google.com:sub": "1101"},
    ),
    (
        "cognito: amr is multivalued",
        "cognito-identity.amazonaws.com",
        {"aud": "us-east-2:pool", "sub": "us-east-2:id", "amr": ["authenticated", "accounts.google.com"]},
        {
            "cognito-identity.amazonaws.com:aud": "us-east-2:pool",
            "cognito-identity.amazonaws.com:sub": "us-east-2:id",
            "cognito-identity.amazonaws.com:amr": ["authenticated", "accounts.google.com"],
        },
    ),
    (
        "login with amazon: app_id and user_id",
        "www.amazon.com",
        {"app_id": "amzn1.application-oa2-1", "user_id": "amzn1.account.A"},
        {"www.amazon.com:app_id": "amzn1.application-oa2-1", "www.amazon.com:user_id": "amzn1.account.A"},
    ),
    (
        "facebook: app_id and id",
        "graph.facebook.com",
        {"app_id": "1234", "id": "fb-user"},
        {"graph.facebook.com:app_id": "1234", "graph.facebook.com:id": "fb-user"},
    ),
    (
        "generic oidc: aud, sub, azp, amr under the issuer prefix, path kept",
        "https://idp.localhost/dev",
        {"iss": "https://idp.localhost/dev", "aud": "spa", "sub": "u1", "azp": "spa", "amr": "pwd", "email": "x@y"},
        {"idp.localhost/dev:aud": "spa", "idp.localhost/dev:sub": "u1", "idp.localhost/dev:azp": "spa", "idp.localhost/dev:amr": ["pwd"]},
    ),
    (
        "generic oidc: missing claims give no key",
        "https://auth.example.com",
        {"sub": "u1"},
        {"auth.example.com:sub": "u1"},
    ),
]


@pytest.mark.parametrize(("rule", "provider", "claims", "keys"), CASES, ids=[c[0] for c in CASES])
def test_provider_keys(rule: str, provider: str, claims: dict[str, Any], keys: dict[str, Any]) -> None:
    assert provider_keys(claims, provider=provider) == keys


def test_array_audience_takes_the_matched_client_id() -> None:
    claims = {"aud": ["other", "spa"], "sub": "u1"}
    assert provider_keys(claims, provider="https://a.example", audience="spa")["a.example:aud"] == "spa"
    assert provider_keys(claims, provider="https://a.example")["a.example:aud"] == "other"


@pytest.mark.parametrize(
    ("name", "survives"),
    [
        ("accounts.google.com:aud", True),
        ("accounts.google.com:sub", True),
        ("accounts.google.com:oaud", False),
        ("idp.localhost/dev:azp", False),
        ("cognito-identity.amazonaws.com:amr", True),
        ("graph.facebook.com:id", True),
        ("graph.facebook.com:app_id", False),
        ("www.amazon.com:user_id", True),
    ],
)
def test_only_amr_aud_id_sub_survive_into_the_session(name: str, survives: bool) -> None:
    assert (name in session_keys({name: "v"})) is survives
