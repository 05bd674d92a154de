"""``aws-chunked`` bodies: the S3 API Reference's own example, botocore's encoder, and tampering.

Source of the signed-chunk vector: S3 API Reference, "Signature Calculations for the
Authorization Header: Transferring Payload in Multiple Chunks", section "Example: PUT Object"
(66,560 bytes of ``a`` in chunks of 65,536, 1,024 and 0 bytes; its seed and chunk signatures).
The unsigned-trailer bodies are written by botocore's own ``AwsChunkedWrapper``, which is what
boto3 sends for PutObject over HTTPS (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``).
"""

from __future__ import annotations

import base64
import calendar
import io
import zlib

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from webapp.s3 import errors, streaming
from webapp.sigv4 import SignedRequest, verify

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNK_SIGNATURES = ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"]
CHUNKS = [b"a" * 65536, b"a" * 1024, b""]


def example_body(chunks: list[bytes] = CHUNKS, signatures: list[str] = CHUNK_SIGNATURES) -> bytes:
    return b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), s.encode(), c) for c, s in zip(chunks, signatures, strict=True))


def verified_example(body: bytes) -> streaming.Seed:
    headers = [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                          "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                          f"x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}"),
        ("x-amz-content-sha256", streaming.SIGNED), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824"),
    ]
    verified = verify(SignedRequest("PUT", "/examplebucket/chunkObject.txt", "", headers, body),
                      lookup=lambda key, token: (SECRET, "principal"),
                      clock=lambda: calendar.timegm((2013, 5, 24, 0, 0, 0)), region="us-east-1", service="s3")
    assert (verified.signature, verified.content_sha256) == (SEED, streaming.SIGNED)
    return streaming.Seed(verified.signature, verified.amz_date, verified.scope, verified.signing_key)


def test_the_documented_example_verifies_and_decodes() -> None:
    body = example_body()
    assert len(body) == 66824  # the example's Content-Length
    decoded = streaming.decode(body, streaming.SIGNED, seed=verified_example(body), decoded_length=66560,
                               declared_trailer=None)
    assert decoded.data == b"a" * 66560


def tampered_data() -> bytes:
    return example_body([b"a" * 65535 + b"b", b"a" * 1024, b""])


def reordered() -> bytes:
    return example_body([b"a" * 1024, b"a" * 65536, b""], [CHUNK_SIGNATURES[1], CHUNK_SIGNATURES[0], CHUNK_SIGNATURES[2]])


@pytest.mark.parametrize(("body", "length", "error"), [
    (tampered_data(), 66560, errors.SignatureDoesNotMatch),
    (reordered(), 66560, errors.SignatureDoesNotMatch),
    (example_body()[:-200], 66560, errors.IncompleteBody),  # cut short
    (example_body(CHUNKS[:2], CHUNK_SIGNATURES[:2]), 66560, errors.IncompleteBody),  # no final chunk
    (example_body(), 66561, errors.IncompleteBody),  # x-amz-decoded-content-length disagrees
], ids=["altered-byte", "reordered-chunks", "truncated", "no-final-chunk", "wrong-decoded-length"])
def test_a_signed_body_that_was_changed_is_refused(body: bytes, length: int, error: type[Exception]) -> None:
    seed = verified_example(example_body())
    with pytest.raises(error):
        streaming.decode(body, streaming.SIGNED, seed=seed, decoded_length=length, declared_trailer=None)


def botocore_body(data: bytes, chunk_size: int = 10) -> bytes:
    wrapper = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum,
                                checksum_name="x-amz-checksum-crc32", chunk_size=chunk_size)
    return wrapper.read()


def test_botocores_unsigned_trailer_body_decodes_with_its_checksum() -> None:
    data = b"line one\nline two\n" * 5
    decoded = streaming.decode(botocore_body(data), streaming.UNSIGNED_TRAILER, seed=None,
                               decoded_length=len(data), declared_trailer="x-amz-checksum-crc32")
    assert decoded.data == data
    assert decoded.trailers == {"x-amz-checksum-crc32": base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()}


def test_a_trailing_checksum_that_does_not_match_is_bad_digest() -> None:
    data = b"x" * 50
    body = botocore_body(data).replace(b"x" * 10, b"y" * 10, 1)
    with pytest.raises(errors.BadDigest):
        streaming.decode(body, streaming.UNSIGNED_TRAILER, seed=None, decoded_length=50,
                         declared_trailer="x-amz-checksum-crc32")


@pytest.mark.parametrize(("declared", "error"), [
    (None, errors.InvalidRequest),  # x-amz-trailer missing
    ("x-amz-checksum-sha256", errors.InvalidRequest),  # announced one trailer, sent another
])
def test_the_trailer_must_be_the_announced_one(declared: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        streaming.decode(botocore_body(b"abc"), streaming.UNSIGNED_TRAILER, seed=None, decoded_length=3,
                         declared_trailer=declared)


def test_signed_chunks_with_a_signed_trailer() -> None:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: chunks chained from the seed, the trailer last."""
    seed = streaming.Seed("0" * 64, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", b"k" * 32)
    data = b"hello world"
    first = streaming.chunk_signature(seed, seed.signature, data)
    final = streaming.chunk_signature(seed, first, b"")
    checksum = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    trailer = f"x-amz-checksum-crc32:{checksum}\n".encode()
    signature = streaming.trailer_signature(seed, final, trailer)
    body = (b"%x;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\nx-amz-checksum-crc32:%s\r\n"
            b"x-amz-trailer-signature:%s\r\n\r\n") % (len(data), first.encode(), data, final.encode(),
                                                       checksum.encode(), signature.encode())
    decoded = streaming.decode(body, streaming.SIGNED_TRAILER, seed=seed, decoded_length=len(data),
                               declared_trailer="x-amz-checksum-crc32")
    assert decoded.data == data
    with pytest.raises(errors.SignatureDoesNotMatch):
        streaming.decode(body.replace(signature.encode(), b"f" * 64), streaming.SIGNED_TRAILER, seed=seed,
                         decoded_length=len(data), declared_trailer="x-amz-checksum-crc32")
