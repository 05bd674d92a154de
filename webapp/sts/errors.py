"""STS errors as the wire shows them: one class per code, with its HTTP status.

Codes and statuses are those of the botocore ``sts`` 2011-06-15 model and the STS API reference
(AssumeRoleWithWebIdentity, "Errors"; fgac-semantics §D.4); the messages are the ones real STS
responses carry where they are known (security-anchors §1.1). They render as the Query protocol's
``<ErrorResponse>`` XML (fgac-semantics §E.2).
"""

from __future__ import annotations

from iam_policies.errors import AwsError


class InvalidIdentityToken(AwsError):
    """The web identity token could not be validated (signature, issuer, audience, claims)."""

    code = "InvalidIdentityToken"
    status = 400


class ExpiredTokenException(AwsError):
    """The web identity token is past ``exp`` (plus the grace) or older than the maximum age."""

    code = "ExpiredTokenException"
    status = 400


class IDPCommunicationError(AwsError):
    """The provider's keys could not be read; botocore retries this one."""

    code = "IDPCommunicationError"
    status = 400


class AccessDenied(AwsError):
    """The role's trust policy does not allow this caller."""

    code = "AccessDenied"
    status = 403


class ValidationError(AwsError):
    """A request parameter violates its constraint."""

    code = "ValidationError"
    status = 400


class MalformedPolicyDocument(AwsError):
    """The session policy (``Policy``) is not a valid policy."""

    code = "MalformedPolicyDocument"
    status = 400


class PackedPolicyTooLarge(AwsError):
    """The session policies together exceed the packed size limit."""

    code = "PackedPolicyTooLarge"
    status = 400


class InvalidAction(AwsError):
    """The ``Action`` is not one this endpoint implements."""

    code = "InvalidAction"
    status = 400


class MissingAction(AwsError):
    code = "MissingAction"
    status = 400


class MissingParameter(AwsError):
    code = "MissingParameter"
    status = 400


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"
    status = 400


class MissingAuthenticationToken(AwsError):
    code = "MissingAuthenticationToken"
    status = 403


class RequestEntityTooLarge(AwsError):
    """The request body is larger than any valid call (a token is at most 20000 characters)."""

    code = "RequestEntityTooLarge"
    status = 413


class InvalidHttpRequest(AwsError):
    """Not a Query-protocol request (STS takes POST with a form body, or GET)."""

    code = "InvalidHttpRequest"
    status = 405


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
    fault = "Receiver"
