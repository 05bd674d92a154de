"""Errors that mirror AWS wire errors.

Each AWS error code is one small class carrying its code, HTTP status and message, so that an
adapter (the STS XML view, the DynamoDB JSON view, the CLI) can render it without knowing the
cause. Anchors: Werkzeug's ``HTTPException`` subclasses, authlib's ``rfc6749/errors.py``.
"""

from __future__ import annotations


class AwsError(Exception):
    """An error AWS would return: ``code`` is the wire code, ``status`` the HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    #: The JSON ``__type`` namespace DynamoDB uses for this error.
    namespace: str = "com.amazon.coral.service"
    #: ``Sender`` or ``Receiver`` in STS/IAM XML error bodies.
    fault: str = "Sender"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def dynamodb_type(self) -> str:
        return f"{self.namespace}#{self.code}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class MalformedPolicyDocument(AwsError):
    """IAM's MalformedPolicyDocument; ``path`` is the JSON path of the offending element."""

    code = "MalformedPolicyDocument"
    status = 400

    def __init__(self, reason: str, path: str = "$") -> None:
        super().__init__(f"{reason} (at {path})")
        self.reason = reason
        self.path = path


class ValidationException(AwsError):
    """DynamoDB's ValidationException: the request is malformed."""

    code = "ValidationException"
    status = 400
    namespace = "com.amazon.coral.validate"


class ResourceNotFoundException(AwsError):
    """DynamoDB's ResourceNotFoundException (e.g. a table the request names does not exist)."""

    code = "ResourceNotFoundException"
    status = 400
    namespace = "com.amazonaws.dynamodb.v20120810"
