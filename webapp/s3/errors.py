"""S3's errors as its REST-XML protocol carries them: one class per code, with its HTTP status.

Codes, statuses and messages from the S3 API Reference, "Error responses" (the ``<Error>`` body:
``Code``, ``Message``, ``RequestId``, ``HostId``, plus the resource it is about). SigV4 failures,
decided by ``webapp.sigv4`` in DynamoDB's words, are answered in S3's (``s3_error_of``): S3 says
``SignatureDoesNotMatch`` and ``InvalidAccessKeyId`` (403) where DynamoDB says
``InvalidSignatureException`` and ``UnrecognizedClientException`` (400).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from iam_policies.errors import AwsError
from iam_policies.s3 import InvalidArgument as InvalidArgument
from iam_policies.s3 import MalformedXML as MalformedXML
from iam_policies.s3 import NotImplementedOperation as NotImplementedOperation
from webapp.sigv4 import errors as sigv4_errors


class S3Error(AwsError):
    status = 400


class AccessDenied(S3Error):
    code = "AccessDenied"
    status = 403


class SignatureDoesNotMatch(S3Error):
    code = "SignatureDoesNotMatch"
    status = 403


class InvalidAccessKeyId(S3Error):
    code = "InvalidAccessKeyId"
    status = 403


class ExpiredToken(S3Error):
    code = "ExpiredToken"
    status = 400


class AuthorizationHeaderMalformed(S3Error):
    code = "AuthorizationHeaderMalformed"
    status = 400


class RequestTimeTooSkewed(S3Error):
    code = "RequestTimeTooSkewed"
    status = 403


class AuthorizationQueryParametersError(S3Error):
    code = "AuthorizationQueryParametersError"
    status = 400


class InvalidRequest(S3Error):
    code = "InvalidRequest"


class InvalidDigest(S3Error):
    code = "InvalidDigest"


class BadDigest(S3Error):
    code = "BadDigest"


class IncompleteBody(S3Error):
    code = "IncompleteBody"


class ContentSha256Mismatch(S3Error):
    code = "XAmzContentSHA256Mismatch"


class EntityTooLarge(S3Error):
    code = "EntityTooLarge"


class BucketAlreadyOwnedByYou(S3Error):
    code = "BucketAlreadyOwnedByYou"
    status = 409


class NoSuchUpload(S3Error):
    code = "NoSuchUpload"
    status = 404


class MethodNotAllowed(S3Error):
    code = "MethodNotAllowed"
    status = 405


class InternalError(S3Error):
    code = "InternalError"
    status = 500


ACCESS_DENIED = "Access Denied"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")


def s3_error_of(error: sigv4_errors.SigV4Error) -> AwsError:
    """A SigV4 failure in S3's words (S3 API Reference, "Error responses", "List of error codes")."""
    message = error.message
    if isinstance(error, sigv4_errors.PresignedExpired):
        return AccessDenied("Request has expired", extra=error.extra)
    if isinstance(error, sigv4_errors.PresignedNotYetValid):
        return AccessDenied("Request is not yet valid", extra=error.extra)
    if isinstance(error, sigv4_errors.PresignedLifetimeTooLong):
        return AuthorizationQueryParametersError(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800")
    if isinstance(error, sigv4_errors.MissingAuthenticationToken):
        return AccessDenied(ACCESS_DENIED)  # an anonymous request: nothing here is public
    if isinstance(error, sigv4_errors.UnrecognizedClient):
        return InvalidAccessKeyId("The AWS Access Key Id you provided does not exist in our records.")
    if isinstance(error, sigv4_errors.ExpiredToken):
        return ExpiredToken("The provided token has expired.")
    if isinstance(error, sigv4_errors.MissingContentSha256):
        return InvalidRequest(message)
    if isinstance(error, sigv4_errors.BadContentSha256):
        return InvalidArgument(message)
    if isinstance(error, sigv4_errors.ContentSha256Mismatch):
        return ContentSha256Mismatch(message)
    if isinstance(error, sigv4_errors.IncompleteSignature):
        return AuthorizationHeaderMalformed(f"The authorization header is malformed; {message}")
    if message.startswith(("Signature expired", "Signature not yet current")):
        return RequestTimeTooSkewed(f"The difference between the request time and the current time is too "
                                    f"large. {message}")
    if "Credential should be scoped" in message or "Credential scope" in message:
        return AuthorizationHeaderMalformed(f"The authorization header is malformed; {message}")
    if "must be a 'SignedHeader'" in message or "is not present in the request" in message:
        return AccessDenied(f"There were headers present in the request which were not signed. {message}")
    if message.startswith(sigv4_errors.MISMATCH_MESSAGE):
        return SignatureDoesNotMatch(MISMATCH + message[len(sigv4_errors.MISMATCH_MESSAGE):])
    return SignatureDoesNotMatch(message)


def error_xml(error: AwsError, request_id: str, *, resource: str = "") -> bytes:
    """S3's ``<Error>`` document (an error's ``extra`` members, e.g. an expired presigned URL's
    ``Expires`` and ``ServerTime``, follow its message)."""
    extra = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in error.extra.items())
    extra += f"<Resource>{escape(resource)}</Resource>" if resource else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()
