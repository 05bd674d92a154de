"""The Query-protocol errors that IAM and STS both answer with, one class per code.

Each is declared the same way (code, HTTP status, ``Sender`` fault) by the AWS API reference
"Common Errors" (``InvalidAction``, ``MissingAction``, ``ValidationError``,
``InternalFailure``) or by both the botocore ``iam`` 2010-05-08 and ``sts`` 2011-06-15 models
(``AccessDenied``, and ``MalformedPolicyDocument``, which is the engine's own
``iam_policies.errors`` class), so one class serves both services; the service modules
(``webapp.iam.errors``, ``webapp.sts.errors``) re-export them next to their own codes. They render
as ``<ErrorResponse>`` XML (``wire.error_xml``, fgac-semantics §E.2).
"""

from __future__ import annotations

from iam_policies.errors import AwsError
from iam_policies.errors import MalformedPolicyDocument as MalformedPolicyDocument
from webapp.sigv4 import SigV4Error


class MissingAction(AwsError):
    """The request has no ``Action`` parameter."""

    code = "MissingAction"
    status = 400


class InvalidAction(AwsError):
    """The ``Action`` (at this ``Version``) is not one this endpoint implements."""

    code = "InvalidAction"
    status = 400


class ValidationError(AwsError):
    """A request parameter violates its constraint in the service model."""

    code = "ValidationError"
    status = 400


class AccessDenied(AwsError):
    """The caller's policies (or the role's trust policy) do not allow the call."""

    code = "AccessDenied"
    status = 403


class InvalidHttpRequest(AwsError):
    """Not a Query-protocol request: these services take POST with a form body, or GET."""

    code = "InvalidHttpRequest"
    status = 405


class InternalFailure(AwsError):
    """Something failed on our side; the message carries only the request id."""

    code = "InternalFailure"
    status = 500
    fault = "Receiver"


class QueryAuthError(AwsError):
    """A SigV4 failure in the Query protocol's words (``SignatureDoesNotMatch``,
    ``InvalidClientTokenId``, ...), which IAM and STS answer with 403."""

    status = 403

    def __init__(self, error: SigV4Error) -> None:
        super().__init__(error.message)
        self.code = error.query_code
