"""The verifier against AWS's published SigV4 test suite (vectors/PROVENANCE.md): every vector
verifies, and changing one byte of what it signs makes it fail (attack case S-23)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from webapp.sigv4 import InvalidSignature, SignedRequest, verify

VECTORS = Path(__file__).parent / "vectors"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC).timestamp()


def load(path: Path) -> SignedRequest:
    head, _, body = path.read_text().partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, rest = request_line.split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    raw_path, _, query = target.partition("?")
    headers = [tuple(line.split(":", 1)) for line in header_lines]
    request = SignedRequest(method, raw_path, query, headers, body.encode())  # type: ignore[arg-type]
    if path.name.startswith("query-"):
        # The suite's presigned requests carry a stray, unsigned X-Amz-Date header (PROVENANCE).
        request = replace(request, headers=[h for h in request.headers if h[0] != "X-Amz-Date"])
    return request


def check(request: SignedRequest) -> str:
    lookup = lambda key, token: (SECRET, key)  # noqa: E731 - the suite's single key
    return verify(request, lookup=lookup, clock=lambda: NOW, region="us-east-1",
                  service="service").principal


CASES = sorted(p.name for p in VECTORS.glob("*.txt"))


def test_the_suite_is_there() -> None:
    assert "get-vanilla.txt" in CASES and len(CASES) >= 15


@pytest.mark.parametrize("name", CASES)
def test_published_vector_verifies(name: str) -> None:
    assert check(load(VECTORS / name)) == "AKIDEXAMPLE"


def _mutations(request: SignedRequest) -> list[tuple[str, SignedRequest]]:
    headers = list(request.headers)
    signed_value = next(i for i, (n, _) in enumerate(headers) if n.lower() == "host")
    name, value = headers[signed_value]
    changed_headers = headers.copy()
    changed_headers[signed_value] = (name, value[:-1] + ("x" if value[-1] != "x" else "y"))
    return [
        ("method", replace(request, method="PUT")),
        ("path", replace(request, path=request.path + "a")),
        ("query", replace(request, query=request.query + ("&" if request.query else "") + "a=b")),
        ("signed header value", replace(request, headers=changed_headers)),
        ("body", replace(request, body=request.body + b"!")),
    ]


@pytest.mark.parametrize("name", CASES)
def test_one_changed_byte_breaks_the_signature(name: str) -> None:
    for what, mutated in _mutations(load(VECTORS / name)):
        with pytest.raises(InvalidSignature) as caught:
            check(mutated)
        assert caught.value.code == "InvalidSignatureException", what
        assert "does not match the signature you provided" in caught.value.message, what


def test_get_vanilla_anchor_signature() -> None:
    """security-anchors §2.2: the suite's get-vanilla header signature."""
    text = (VECTORS / "get-vanilla.txt").read_text()
    assert "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" in text
    assert check(load(VECTORS / "get-vanilla.txt")) == "AKIDEXAMPLE"


def test_presigned_vector_with_its_stray_unsigned_amz_header_is_refused() -> None:
    head = load(VECTORS / "query-get-vanilla-query-order-key-case.txt")
    with_stray = replace(head, headers=[*head.headers, ("X-Amz-Date", "20150830T123600Z")])
    with pytest.raises(InvalidSignature, match="'X-Amz-Date' must be a 'SignedHeader'"):
        check(with_stray)
