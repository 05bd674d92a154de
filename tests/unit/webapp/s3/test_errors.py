"""SigV4 and chunk failures in S3's words (S3 API Reference, "Error responses": code and status).

The verifier decides in DynamoDB's terms (``webapp.sigv4``); S3 answers the same failure with its
own code, and an anonymous request is ``AccessDenied``, as for any private bucket.
"""

from __future__ import annotations

import pytest

from webapp.s3.errors import error_xml, s3_error_of
from webapp.sigv4 import errors as sigv4


@pytest.mark.parametrize(("error", "code", "status"), [
    (sigv4.MissingAuthenticationToken(sigv4.MISSING_MESSAGE), "AccessDenied", 403),
    (sigv4.UnrecognizedClient(sigv4.UNRECOGNIZED_MESSAGE), "InvalidAccessKeyId", 403),
    (sigv4.ExpiredToken(sigv4.EXPIRED_MESSAGE), "ExpiredToken", 400),
    (sigv4.IncompleteSignature("Authorization header requires 'Signature' parameter."), "AuthorizationHeaderMalformed", 400),
    (sigv4.InvalidSignature("Signature expired: 20260101T000000Z is now earlier than ..."), "RequestTimeTooSkewed", 403),
    (sigv4.InvalidSignature("Credential should be scoped to a valid region, not 'eu-west-1'."),
     "AuthorizationHeaderMalformed", 400),
    (sigv4.InvalidSignature("'X-Amz-Meta-A' must be a 'SignedHeader' in the AWS Authorization."), "AccessDenied", 403),
    (sigv4.InvalidSignature(sigv4.MISMATCH_MESSAGE + "\n\nThe Canonical String ..."), "SignatureDoesNotMatch", 403),
    (sigv4.MissingContentSha256("Missing required header for this request: x-amz-content-sha256"), "InvalidRequest", 400),
    (sigv4.BadContentSha256("x-amz-content-sha256 must be ..."), "InvalidArgument", 400),
    (sigv4.ContentSha256Mismatch("does not match"), "XAmzContentSHA256Mismatch", 400),
    # an expired or future presigned URL (S3's live answers quoted in aws/aws-sdk-js#3493,
    # aws/aws-sdk-php#1333, minio/minio#2638), a lifetime over 7 days (noobaa/noobaa-core#8493)
    (sigv4.PresignedExpired("Signature expired: ... - 1 sec.)"), "AccessDenied", 403),
    (sigv4.PresignedNotYetValid("Signature not yet current: ..."), "AccessDenied", 403),
    (sigv4.PresignedLifetimeTooLong("X-Amz-Expires must be ..."), "AuthorizationQueryParametersError", 400),
], ids=lambda v: v if isinstance(v, str) else None)
def test_sigv4_failures(error: sigv4.SigV4Error, code: str, status: int) -> None:
    answered = s3_error_of(error)
    assert (answered.code, answered.status) == (code, status)


def test_an_expired_presigned_url_says_when_it_expired() -> None:
    details = {"X-Amz-Expires": "1", "Expires": "2026-01-01T00:00:01Z", "ServerTime": "2026-01-01T00:00:09Z"}
    answered = s3_error_of(sigv4.PresignedExpired("Signature expired: ...", extra=details))
    assert answered.message == "Request has expired"
    body = error_xml(answered, "R1", resource="/b/k").decode()
    assert ("<Message>Request has expired</Message><X-Amz-Expires>1</X-Amz-Expires>"
            "<Expires>2026-01-01T00:00:01Z</Expires><ServerTime>2026-01-01T00:00:09Z</ServerTime>") in body
