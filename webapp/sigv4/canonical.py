"""The SigV4 canonical request, string to sign and signing key, computed from what was received.

Source: AWS IAM User Guide, "Create a signed AWS API request" (canonical request, string to
sign, signing key) and "Elements of an AWS API request signature". Proved against the published
test suite (``awslabs/aws-c-auth`` ``tests/aws-signing-test-suite/v4``) in
``tests/unit/webapp/sigv4/vectors``.

Everything here takes plain values: the caller hands in the path and query exactly as they were
on the wire (still percent-encoded), the header values as received, and the actual body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

#: RFC 3986 unreserved characters are the only ones left unencoded ("URI-encode every byte
#: except the unreserved characters: 'A'-'Z', 'a'-'z', '0'-'9', '-', '.', '_', and '~'").
_UNRESERVED = "-._~"


def uri_encode(text: str | bytes, *, keep_slash: bool = False) -> str:
    """Percent-encode every byte but the unreserved ones (``text`` as bytes: a value that was
    percent-encoded on the wire is re-encoded byte for byte, even if it is not UTF-8)."""
    return quote(text, safe=_UNRESERVED + ("/" if keep_slash else ""))


def normalize_path(path: str) -> str:
    """RFC 3986 §5.2.4 dot-segment removal, with empty segments collapsed, as the SDKs do for
    every service but S3 (aws-c-auth vectors ``get-slash*``, ``get-relative*``)."""
    if not path:
        return "/"
    trailing = path.endswith("/") and path != "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    joined = "/" + "/".join(out)
    if trailing and out:
        joined += "/"
    return joined


@lru_cache(maxsize=512)
def canonical_uri(raw_path: str) -> str:
    """The path as received, normalized, then URI-encoded once more: non-S3 services encode
    each segment twice, so ``%20`` on the wire is ``%2520`` in the canonical request."""
    return uri_encode(normalize_path(raw_path), keep_slash=True)


def canonical_query(raw_query: str, *, exclude: Iterable[str] = ()) -> str:
    """Decode each name and value, re-encode them strictly, sort by name then value; a name
    without ``=`` keeps an empty value (``name=``)."""
    if not raw_query:  # DynamoDB's, STS's and IAM's POSTs: nothing to sort
        return ""
    skip = set(exclude)
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = name.replace("+", "%20")
        if unquote(name) in skip:
            continue
        pairs.append((uri_encode(unquote_to_bytes(name)), uri_encode(unquote_to_bytes(value.replace("+", "%20")))))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_header_value(value: str) -> str:
    """Trim, and collapse runs of spaces (and folded lines) to one space."""
    return " ".join(value.split())


def canonical_request(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
    exclude_query: Iterable[str] = (),
    path_is_canonical: bool = False,
) -> str:
    """The six lines of the canonical request; ``headers`` maps lower-case names to the
    received value (repeated headers already joined with ``,``). ``path_is_canonical``: the
    caller already made the canonical URI (S3's differs: encoded once, not normalized)."""
    header_lines = "".join(
        f"{name}:{canonical_header_value(headers[name])}\n" for name in signed_headers
    )
    return "\n".join([
        method,
        raw_path if path_is_canonical else canonical_uri(raw_path),
        canonical_query(raw_query, exclude=exclude_query),
        header_lines,
        ";".join(signed_headers),
        payload_hash,
    ])


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    Cached: it changes once a day per key, and the hot path signs every request."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
