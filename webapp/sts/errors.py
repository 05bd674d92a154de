"""STS errors as the wire shows them: one class per code, with its HTTP status.

Codes and statuses are those of the botocore ``sts`` 2011-06-15 model and the STS API reference
(AssumeRoleWithWebIdentity, "Errors"; fgac-semantics §D.4); the messages are the ones real STS
responses carry where they are known (security-anchors §1.1). They render as the Query protocol's
``<ErrorResponse>`` XML (fgac-semantics §E.2).
"""

from __future__ import annotations

from iam_policies.errors import AwsError
from iam_policies.errors import InvalidIdentityToken as InvalidIdentityToken
from iam_policies.errors import RequestEntityTooLarge as RequestEntityTooLarge
from webapp.query_protocol.errors import AccessDenied as AccessDenied
from webapp.query_protocol.errors import InternalFailure as InternalFailure
from webapp.query_protocol.errors import InvalidAction as InvalidAction
from webapp.query_protocol.errors import InvalidHttpRequest as InvalidHttpRequest
from webapp.query_protocol.errors import MalformedPolicyDocument as MalformedPolicyDocument
from webapp.query_protocol.errors import MissingAction as MissingAction
from webapp.query_protocol.errors import ValidationError as ValidationError


class ExpiredTokenException(AwsError):
    """The web identity token is past ``exp`` (plus the grace) or older than the maximum age."""

    code = "ExpiredTokenException"
    status = 400


class IDPCommunicationError(AwsError):
    """The provider's keys could not be read; botocore retries this one."""

    code = "IDPCommunicationError"
    status = 400


class PackedPolicyTooLarge(AwsError):
    """The session policies together exceed the packed size limit."""

    code = "PackedPolicyTooLarge"
    status = 400
