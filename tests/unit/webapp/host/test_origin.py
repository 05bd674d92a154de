"""The host sends loopback aliases of its public origin to the public origin (issue 10, Broken #2)."""

from __future__ import annotations

import pytest

from webapp.host.origin import canonical_redirect
from webapp.settings import Settings

SETTINGS = Settings(public_host="localhost", port=8000)

# (Host header, path, query, expected Location or None)
CASES = [
    ("localhost:8000", "/", "", None),
    ("LOCALHOST:8000", "/", "", None),
    ("127.0.0.1:8000", "/", "", "http://localhost:8000/"),
    ("127.0.0.1:8000", "/auth/login", "next=/x", "http://localhost:8000/auth/login?next=/x"),
    ("[::1]:8000", "/idp/authorize", "a=1", "http://localhost:8000/idp/authorize?a=1"),
    ("127.0.0.1:8000", "//evil.example/x", "", "http://localhost:8000//evil.example/x"),
    ("127.0.0.1:8000", "/a b\r\n", "", "http://localhost:8000/a%20b%0D%0A"),
    ("127.0.0.1:9000", "/", "", None),  # another port: a proxy in front, not ours to decide
    ("app.example.com", "/", "", None),  # a deployment's own name
    ("evil.example:8000", "/", "", None),  # never a redirect built from a foreign Host
]


@pytest.mark.parametrize(("host", "path", "query", "expected"), CASES)
def test_canonical_redirect(host: str, path: str, query: str, expected: str | None) -> None:
    assert canonical_redirect(SETTINGS, host, path, query) == expected


def test_a_stack_whose_public_name_is_127_0_0_1_sends_localhost_there() -> None:
    settings = Settings(public_host="127.0.0.1", port=8000)
    assert canonical_redirect(settings, "localhost:8000", "/", "") == "http://127.0.0.1:8000/"
    assert canonical_redirect(settings, "127.0.0.1:8000", "/", "") is None
