"""Errors that mirror AWS wire errors.

Each AWS error code is one small class carrying its code, HTTP status and message, so that an
adapter (the STS XML view, the DynamoDB JSON view, the CLI) can render it without knowing the
cause. Anchors: Werkzeug's ``HTTPException`` subclasses, authlib's ``rfc6749/errors.py``.

Each code has one class per protocol, defined once. This module holds the codes the engine itself
raises (it never imports ``webapp``) and those more than one service answers with; the services'
own codes are in ``webapp.query_protocol.errors`` (IAM and STS), ``webapp.sts.errors``,
``webapp.iam.errors``, ``webapp.sigv4.errors``, ``webapp.dynamodb.wire`` and
``webapp.backend.errors`` (DynamoDB). ``tests/unit/webapp/test_error_classes.py`` checks every one
against botocore's model of its service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AwsError(Exception):
    """An error AWS would return: ``code`` is the wire code, ``status`` the HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    #: The JSON ``__type`` namespace DynamoDB uses for this error.
    namespace: str = "com.amazon.coral.service"
    #: ``Sender`` or ``Receiver`` in STS/IAM XML error bodies.
    fault: str = "Sender"

    def __init__(self, message: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The error shape's other members (``CancellationReasons``, ``Item``, ...), sent beside
        #: the message in DynamoDB's JSON body.
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def dynamodb_type(self) -> str:
        return f"{self.namespace}#{self.code}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class MalformedPolicyDocument(AwsError):
    """IAM's and STS's MalformedPolicyDocument (botocore ``iam`` and ``sts`` models, 400): a
    policy document (identity, trust or session policy) is not a valid policy; ``path`` is the
    JSON path of the offending element."""

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


class TransactionCanceledException(AwsError):
    """DynamoDB's TransactionCanceledException (botocore ``dynamodb`` model): the transaction did
    nothing; ``CancellationReasons`` holds one reason per member, in the request's order (API
    Reference, TransactWriteItems), the message lists their codes."""

    code = "TransactionCanceledException"
    status = 400
    namespace = "com.amazonaws.dynamodb.v20120810"

    def __init__(self, reasons: list[dict[str, str]]) -> None:
        codes = ", ".join(reason["Code"] for reason in reasons)
        super().__init__(f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                         extra={"CancellationReasons": reasons})


class ResourceNotFoundException(AwsError):
    """DynamoDB's ResourceNotFoundException (e.g. a table the request names does not exist)."""

    code = "ResourceNotFoundException"
    status = 400
    namespace = "com.amazonaws.dynamodb.v20120810"


class UnknownOperationException(AwsError):
    """DynamoDB's answer to an ``X-Amz-Target`` it does not know (namespace
    ``com.amazon.coral.service``, HTTP 400; dynalite's live-verified tests, O1 in
    ``shared/spec/fgac-semantics.md``)."""

    code = "UnknownOperationException"
    status = 400
    namespace = "com.amazon.coral.service"


class RequestEntityTooLarge(AwsError):
    """A request body larger than any valid call (DynamoDB: 16 MB; STS: a token is at most 20000
    characters): refused before it is read, with HTTP 413 (the AWS front end's code)."""

    code = "RequestEntityTooLarge"
    status = 413
    namespace = "com.amazon.coral.service"


class InvalidIdentityToken(AwsError):
    """STS's InvalidIdentityToken (botocore ``sts`` model, 400): the web identity token could not
    be validated, or does not fit the IAM OIDC provider (issuer, audience; spec D.3/D.4)."""

    code = "InvalidIdentityToken"
    status = 400
