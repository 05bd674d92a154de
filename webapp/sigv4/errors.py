"""The errors SigV4 verification can end in, one class per AWS error code.

DynamoDB (JSON 1.0) returns them as HTTP 400 ``{"__type": "com.amazon.coral.service#<Code>",
"message": ...}`` (fgac-semantics §E.1, bodies captured from live DynamoDB). Query-protocol
services (IAM, STS) use shorter codes for the same failures; ``query_code`` carries them so the IAM
endpoint can reuse this verifier (IAM API reference, "Common Errors").
"""

from __future__ import annotations

from iam_policies.errors import AwsError


class SigV4Error(AwsError):
    """A request whose authentication failed; nothing about it may be executed."""

    status = 400
    namespace = "com.amazon.coral.service"
    #: The code a Query-protocol service (IAM, STS) uses for the same failure.
    query_code = "InvalidClientTokenId"


class MissingAuthenticationToken(SigV4Error):
    """No Authorization header and no presigned query parameters."""

    code = "MissingAuthenticationTokenException"
    query_code = "MissingAuthenticationToken"
    status = 400


class IncompleteSignature(SigV4Error):
    """The Authorization is malformed: a part is missing, unparseable, or of an unknown algorithm."""

    code = "IncompleteSignatureException"
    query_code = "IncompleteSignature"


class InvalidSignature(SigV4Error):
    """Well-formed but wrong: bad scope, outside the time window, unsigned headers, mismatch."""

    code = "InvalidSignatureException"
    query_code = "SignatureDoesNotMatch"


class PresignedExpired(InvalidSignature):
    """A presigned request used after ``X-Amz-Date`` + ``X-Amz-Expires``; ``extra`` holds
    ``X-Amz-Expires``, ``Expires`` and ``ServerTime``, which S3's answer names."""


class PresignedNotYetValid(InvalidSignature):
    """A presigned request dated later than now (beyond the clock skew); ``extra`` as above."""


class PresignedLifetimeTooLong(IncompleteSignature):
    """``X-Amz-Expires`` is not 1 to 604,800 seconds (7 days)."""


class UnrecognizedClient(SigV4Error):
    """The access key is unknown, or the session token is missing, foreign or altered."""

    code = "UnrecognizedClientException"
    query_code = "InvalidClientTokenId"


class ExpiredToken(SigV4Error):
    """The temporary credentials' session has expired."""

    code = "ExpiredTokenException"
    query_code = "ExpiredToken"


class MissingContentSha256(SigV4Error):
    """S3: a header-signed request without ``x-amz-content-sha256`` (S3's ``InvalidRequest``)."""

    code = "InvalidRequest"
    query_code = "InvalidRequest"


class BadContentSha256(SigV4Error):
    """S3: ``x-amz-content-sha256`` is neither a hex SHA-256 nor a payload mode S3 knows."""

    code = "InvalidArgument"
    query_code = "InvalidArgument"


class ContentSha256Mismatch(SigV4Error):
    """S3: the body's SHA-256 is not the declared one (S3's ``XAmzContentSHA256Mismatch``)."""

    code = "XAmzContentSHA256Mismatch"
    query_code = "XAmzContentSHA256Mismatch"


UNRECOGNIZED_MESSAGE = "The security token included in the request is invalid."
EXPIRED_MESSAGE = "The security token included in the request is expired"
MISSING_MESSAGE = "Request is missing Authentication Token"
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
