"""Issuer URLs as IAM accepts them, and the local stack's loopback exception.

Expected results: IAM UG, "Creating OpenID Connect (OIDC) identity providers" (https, no port, no
query or fragment); the loopback exception is this project's (issue 10), never offered for AWS.
"""

from __future__ import annotations

import pytest

from iam_policies.issuers import is_loopback, issuer_problem, issuers_for, provider_key

# (issuer, accepted against AWS, accepted by the local stack)
CASES = [
    ("https://idp.example.com", True, True),
    ("https://idp.example.com/realms/x", True, True),
    ("http://idp.example.com", False, False),
    ("https://idp.example.com:8443", False, False),
    ("https://idp.example.com/x?q=1", False, False),
    ("https://idp.example.com/x#f", False, False),
    ("ftp://idp.example.com", False, False),
    ("idp.example.com", False, False),
    ("http://localhost:8080/realms/x", False, True),
    ("http://127.0.0.1:9000", False, True),
    ("http://[::1]:9000/p", False, True),
    ("https://localhost:8443", False, True),
    ("https://localhost", True, True),
    ("http://localhost.evil.example:80", False, False),
    ("http://idp.localhost/dev", False, False),
    ("https://user:pw@localhost:1", False, False),
    ("https://" + "a" * 250 + ".com", False, False),
]


@pytest.mark.parametrize(("issuer", "aws", "local"), CASES, ids=[c[0][:40] for c in CASES])
def test_issuer_rules(issuer: str, aws: bool, local: bool) -> None:
    assert (issuer_problem(issuer, allow_loopback=False) is None) is aws
    assert (issuer_problem(issuer, allow_loopback=True) is None) is local


@pytest.mark.parametrize(("issuer", "key"), [
    ("https://idp.localhost/dev", "idp.localhost/dev"),
    ("http://localhost:8080/realms/x", "localhost:8080/realms/x"),
    ("https://a.example/x/", "a.example/x"),
])
def test_the_provider_key_keeps_host_port_and_path(issuer: str, key: str) -> None:
    assert provider_key(issuer) == key


def test_only_a_loopback_key_stands_for_an_http_issuer() -> None:
    assert issuers_for("localhost:8080/realms/x") == ("https://localhost:8080/realms/x", "http://localhost:8080/realms/x")
    assert issuers_for("idp.example.com") == ("https://idp.example.com",)
    assert is_loopback("[::1]:9/x") and is_loopback("127.0.0.1") and not is_loopback("localhostx:1")
