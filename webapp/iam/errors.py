"""IAM errors as the Query protocol carries them: one class per code, with its HTTP status.

Codes and statuses are from the botocore ``iam`` 2010-05-08 model (``NoSuchEntityException`` is
``NoSuchEntity`` 404, ``EntityAlreadyExistsException`` ``EntityAlreadyExists`` 409, ...) and the
IAM API reference "Common Errors"; they render as ``<ErrorResponse>`` XML.
"""

from __future__ import annotations

from iam_policies.errors import AwsError


class NoSuchEntity(AwsError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(AwsError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(AwsError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(AwsError):
    code = "LimitExceeded"
    status = 409


class InvalidInput(AwsError):
    code = "InvalidInput"
    status = 400


class ValidationError(AwsError):
    code = "ValidationError"
    status = 400


class MalformedPolicyDocument(AwsError):
    code = "MalformedPolicyDocument"
    status = 400


class AccessDenied(AwsError):
    code = "AccessDenied"
    status = 403


class InvalidAction(AwsError):
    code = "InvalidAction"
    status = 400


class MissingAction(AwsError):
    code = "MissingAction"
    status = 400


class MissingParameter(AwsError):
    code = "MissingParameter"
    status = 400


class MethodNotAllowed(AwsError):
    code = "InvalidHttpRequest"
    status = 405


class ServiceFailure(AwsError):
    code = "ServiceFailure"
    status = 500
    fault = "Receiver"
