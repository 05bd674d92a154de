"""IAM errors as the Query protocol carries them: one class per code, with its HTTP status.

Codes and statuses are from the botocore ``iam`` 2010-05-08 model (``NoSuchEntityException`` is
``NoSuchEntity`` 404, ``EntityAlreadyExistsException`` ``EntityAlreadyExists`` 409, ...) and the
IAM API reference "Common Errors"; they render as ``<ErrorResponse>`` XML.
"""

from __future__ import annotations

from iam_policies.errors import AwsError
from webapp.query_protocol.errors import AccessDenied as AccessDenied
from webapp.query_protocol.errors import InvalidAction as InvalidAction
from webapp.query_protocol.errors import InvalidHttpRequest as InvalidHttpRequest
from webapp.query_protocol.errors import MalformedPolicyDocument as MalformedPolicyDocument
from webapp.query_protocol.errors import MissingAction as MissingAction
from webapp.query_protocol.errors import ValidationError as ValidationError


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


class ServiceFailure(AwsError):
    code = "ServiceFailure"
    status = 500
    fault = "Receiver"
