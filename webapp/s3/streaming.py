"""Decode and verify an S3 ``aws-chunked`` body: per-chunk signatures and checksum trailers.

Sources: S3 API Reference, "Signature Calculations for the Authorization Header: Transferring
Payload in Multiple Chunks (Chunked Upload)" (the chunk format and its string to sign, proved by
that page's PUT Object example in ``tests/unit/webapp/sigv4/test_streaming.py``) and "Checking
object integrity" / the trailing-checksum variants (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, as
botocore's ``AwsChunkedWrapper`` writes it over HTTPS; ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER``).

A chunk is ``hex-size[;chunk-signature=sig]\\r\\n data \\r\\n``; the last has size 0 and is followed
by the trailer lines (``x-amz-checksum-crc32:<base64>``, and ``x-amz-trailer-signature:<sig>``
when signed) and an empty line. Chunk *n*'s signature is the HMAC, with the request's signing
key, of::

    AWS4-HMAC-SHA256-PAYLOAD \\n date \\n scope \\n signature(n-1) \\n sha256("") \\n sha256(data n)

starting from the seed signature of the ``Authorization`` header, so chunks can be neither
altered, dropped nor reordered. The trailer's signature chains the same way over the trailer
text (``AWS4-HMAC-SHA256-TRAILER``). Everything is checked before any byte is handed on:
the decoded length against ``x-amz-decoded-content-length`` and the trailing checksum against
the decoded data. Pure functions of bytes that raise S3's own errors (``webapp.s3.errors``:
``IncompleteBody``, ``SignatureDoesNotMatch``, ``BadDigest``, else ``InvalidRequest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from webapp.s3.errors import BadDigest, IncompleteBody, InvalidRequest, SignatureDoesNotMatch
from webapp.sigv4.canonical import EMPTY_SHA256

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MODES = frozenset({SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER})


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


#: Checksum algorithms by their header name (``x-amz-checksum-<name>``): raw digest of the data.
#: CRC32C and CRC64NVME need a native library botocore only has with ``awscrt``; they are refused
#: by name rather than accepted unchecked.
CHECKSUMS: Mapping[str, Callable[[bytes], bytes]] = {
    "crc32": _crc32,
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
}


@dataclass(frozen=True)
class Decoded:
    data: bytes
    #: Trailer headers, lower-case names (``x-amz-checksum-crc32`` -> base64 value).
    trailers: Mapping[str, str]


@dataclass(frozen=True)
class Seed:
    """What chains the chunk signatures: the request's signature, date, scope and signing key."""

    signature: str
    amz_date: str
    scope: str
    key: bytes


def chunk_signature(seed: Seed, previous: str, data: bytes) -> str:
    to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", seed.amz_date, seed.scope, previous, EMPTY_SHA256,
                         hashlib.sha256(data).hexdigest()])
    return hmac.new(seed.key, to_sign.encode(), hashlib.sha256).hexdigest()


def trailer_signature(seed: Seed, previous: str, trailer_text: bytes) -> str:
    to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", seed.amz_date, seed.scope, previous,
                         hashlib.sha256(trailer_text).hexdigest()])
    return hmac.new(seed.key, to_sign.encode(), hashlib.sha256).hexdigest()


def decode(body: bytes, mode: str, *, seed: Seed | None, decoded_length: int | None,
           declared_trailer: str | None) -> Decoded:
    """The data of an ``aws-chunked`` ``body`` sent with ``x-amz-content-sha256: mode``, verified.

    ``seed`` is required for the signed modes; ``decoded_length`` is ``x-amz-decoded-content-length``
    (required by S3 for every chunked upload); ``declared_trailer`` is ``x-amz-trailer`` (the one
    trailer header the client announced, required with the trailer modes).
    """
    if mode not in MODES:
        raise InvalidRequest(f"unknown streaming payload mode {mode[:60]!r}")
    signed = mode in (SIGNED, SIGNED_TRAILER)
    if signed and seed is None:
        raise InvalidRequest("a signed chunked body needs the request's seed signature")
    if decoded_length is None:
        raise InvalidRequest("Missing required header for this request: x-amz-decoded-content-length")
    with_trailer = mode in (SIGNED_TRAILER, UNSIGNED_TRAILER)
    if with_trailer and not declared_trailer:
        raise InvalidRequest("Missing required header for this request: x-amz-trailer")
    parts: list[bytes] = []
    previous = seed.signature if seed is not None else ""
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise IncompleteBody("The request body terminated unexpectedly")
        header = body[position:line_end].decode("latin-1")
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise InvalidRequest(f"malformed chunk header {header[:80]!r}") from None
        if size < 0:
            raise InvalidRequest(f"malformed chunk header {header[:80]!r}")
        start = line_end + 2
        data = body[start:start + size]
        if len(data) != size:
            raise IncompleteBody("The request body terminated unexpectedly")
        if signed:
            assert seed is not None
            name, _, given = extension.partition("=")
            if name.strip() != "chunk-signature" or not given:
                raise InvalidRequest("a chunk of a signed chunked body has no chunk-signature")
            expected = chunk_signature(seed, previous, data)
            if not hmac.compare_digest(expected, given.strip().lower()):
                raise SignatureDoesNotMatch(
                    "The request signature we calculated does not match the signature you provided "
                    "(chunk signature).")
            previous = expected
        elif extension:
            raise InvalidRequest("an unsigned chunked body carries a chunk-signature")
        position = start + size
        if size == 0:
            break
        if body[position:position + 2] != b"\r\n":
            raise IncompleteBody("a chunk is longer than its declared size")
        position += 2
        parts.append(data)
    trailers = _trailers(body, position, with_trailer)
    data = b"".join(parts)
    if len(data) != decoded_length:
        raise IncompleteBody(
            f"You did not provide the number of bytes specified by the x-amz-decoded-content-length "
            f"header ({decoded_length}; the chunks hold {len(data)}).")
    if with_trailer:
        assert declared_trailer is not None
        _check_trailer(trailers, declared_trailer.strip().lower(), data, seed if signed else None,
                       previous, body, position)
    return Decoded(data, {k: v for k, v in trailers.items() if k != "x-amz-trailer-signature"})


def _trailers(body: bytes, position: int, with_trailer: bool) -> dict[str, str]:
    rest = body[position:]
    if not with_trailer:
        if rest not in (b"\r\n", b""):
            raise InvalidRequest("data after the final chunk")
        return {}
    if not rest.endswith(b"\r\n\r\n") and rest != b"\r\n":
        raise IncompleteBody("The request body terminated unexpectedly (no end of the trailer)")
    trailers: dict[str, str] = {}
    for line in rest.decode("latin-1").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise InvalidRequest(f"malformed trailer line {line[:80]!r}")
        trailers[name.strip().lower()] = value.strip()
    return trailers


def _check_trailer(trailers: Mapping[str, str], declared: str, data: bytes, seed: Seed | None,
                   previous: str, body: bytes, position: int) -> None:
    if declared not in trailers:
        raise InvalidRequest(f"the trailer {declared} announced in x-amz-trailer was not sent")
    extra = set(trailers) - {declared, "x-amz-trailer-signature"}
    if extra:
        raise InvalidRequest(f"trailer headers not announced in x-amz-trailer: {', '.join(sorted(extra))}")
    if seed is not None:
        given = trailers.get("x-amz-trailer-signature")
        if not given:
            raise InvalidRequest("a signed trailer has no x-amz-trailer-signature")
        text = f"{declared}:{trailers[declared]}\n".encode("latin-1")
        if not hmac.compare_digest(trailer_signature(seed, previous, text), given.lower()):
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you provided "
                "(trailer signature).")
    check_checksum(declared, trailers[declared], data)


def check_checksum(header: str, value: str, data: bytes) -> None:
    """Check an ``x-amz-checksum-<algorithm>`` value (header or trailer) against ``data``."""
    algorithm = header.lower().removeprefix("x-amz-checksum-")
    digest = CHECKSUMS.get(algorithm)
    if digest is None:
        raise InvalidRequest(f"the checksum algorithm {algorithm.upper()} is not supported by this endpoint; "
                         f"use one of {', '.join(a.upper() for a in CHECKSUMS)}")
    try:
        given = base64.b64decode(value, validate=True)
    except ValueError:
        raise InvalidRequest(f"Value for {header} header is invalid.") from None
    if not hmac.compare_digest(given, digest(data)):
        raise BadDigest(f"The {algorithm.upper()} you specified did not match the calculated checksum.")
