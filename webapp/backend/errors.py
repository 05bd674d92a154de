"""DynamoDB wire errors as ``AwsError`` values.

A backend error must reach the SDK exactly as DynamoDB sends it: the ``__type`` (namespace and
code), the HTTP status, the message, and any extra members of the error shape
(``CancellationReasons`` of ``TransactionCanceledException``, ``Item`` of
``ConditionalCheckFailedException`` with ``ReturnValuesOnConditionCheckFailure``). So one class,
``DynamoDBError``, carries all of them per instance; the named subclasses are the errors this
package raises itself, with the texts DynamoDB uses (API Reference, "Common Errors" and each
operation's "Errors" section; Developer Guide, "Error handling with DynamoDB").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from iam_policies.errors import AwsError, ResourceNotFoundException, ValidationException
from webapp.aws_models import service_model

DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810"
VALIDATE_NAMESPACE = "com.amazon.coral.validate"


class DynamoDBError(AwsError):
    """An error as DynamoDB returns it; ``extra`` holds the error shape's other members."""

    namespace = DYNAMODB_NAMESPACE

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        namespace: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, extra=extra)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if namespace is not None:
            self.namespace = namespace

    def body(self) -> dict[str, Any]:
        """The JSON body DynamoDB sends for this error."""
        return json_body(self)

    @classmethod
    def from_wire(cls, status: int, body: bytes | str) -> DynamoDBError:
        """Rebuild an error from a DynamoDB-compatible server's response (moto, AWS, ...)."""
        try:
            data = json.loads(body or "{}")
        except ValueError:  # e.g. a proxy's HTML error page in front of the upstream
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            data = {"message": f"HTTP {status} from the DynamoDB upstream: {' '.join(text.split())[:200]}"}
        if not isinstance(data, dict):
            data = {}
        kind = str(data.pop("__type", "") or "")
        namespace, _, code = kind.rpartition("#")
        spelled = "message" if "message" in data or "Message" not in data else "Message"
        message = data.pop(spelled, "")
        kind_class = _BY_CODE.get(code, cls) if cls is DynamoDBError else cls
        if code == "ValidationException":
            # DynamoDB's front end sends every ValidationException from Coral's validation
            # namespace (dynalite test/helpers.js assertValidation, recorded live); moto spells
            # it with the service's own namespace.
            namespace = VALIDATE_NAMESPACE
        return kind_class(
            str(message),
            code=code or ("InternalServerError" if status >= 500 else "UnknownError"),
            status=status,
            namespace=namespace or DYNAMODB_NAMESPACE,
            extra=data,
        )


def json_body(error: AwsError) -> dict[str, Any]:
    """The JSON body DynamoDB sends for ``error``: ``{"__type": "<namespace>#<Code>",
    <message member>: ..., <the error shape's other members>}`` (AWS JSON 1.0 protocol)."""
    return {"__type": error.dynamodb_type, message_member(error.code): error.message, **error.extra}


#: Errors outside the service model that spell ``Message``: AccessDeniedException, observed on
#: live DynamoDB (fgac-semantics §E.1, G-13), and SerializationException (dynalite
#: test/helpers.js ``assertSerialization``, recorded live).
_CAPITAL_MESSAGE = frozenset({"AccessDeniedException", "SerializationException"})


@cache
def message_member(code: str) -> str:
    """How DynamoDB spells an error's message member, decided here only: the error shape's own
    member in the service model (``Message`` for TransactionCanceled, IdempotentParameterMismatch
    and TransactionInProgress; ``message`` elsewhere), ``Message`` for AccessDeniedException, and
    ``message`` for the other common errors not in the model. moto spells some differently
    (``Message`` for ConditionalCheckFailed); the wire follows DynamoDB."""
    if code in _CAPITAL_MESSAGE:
        return "Message"
    try:
        members = service_model("dynamodb").shape_for(code).members
    except Exception:  # not a modelled error (ValidationException, AccessDenied, ...)
        return "message"
    return "Message" if "Message" in members else "message"


class DynamoDBValidationException(ValidationException, DynamoDBError):
    """The engine's ``ValidationException`` (its code, status and namespace, defined once there),
    raised by the backend or rebuilt from the wire with ``DynamoDBError``'s members, so one
    ``except`` catches both sources."""


class DynamoDBResourceNotFoundException(ResourceNotFoundException, DynamoDBError):
    """The engine's ``ResourceNotFoundException``, raised by the backend or rebuilt from the wire."""


class LimitExceededException(DynamoDBError):
    """Too many control-plane operations at once, e.g. more than one index created or deleted by
    one UpdateTable (API Reference "UpdateTable", Errors; webapp.backend.table_updates)."""

    code = "LimitExceededException"
    status = 400


class ResourceInUseException(DynamoDBError):
    """A table being created, updated or deleted cannot be changed (API Reference, DeleteTable and
    UpdateTable, "Errors"; webapp.backend.lifecycle)."""

    code = "ResourceInUseException"
    status = 400


class IdempotentParameterMismatchException(DynamoDBError):
    """TransactWriteItems: a ``ClientRequestToken`` reused with different parameters."""

    code = "IdempotentParameterMismatchException"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "The request uses the same client token as a previous, but non-identical request. "
            "Do not reuse a client token with different requests, unless the requests are identical."
        )


class ProvisionedThroughputExceededException(DynamoDBError):
    """A table's provisioned capacity (plus burst) is used up; SDKs retry it with backoff."""

    code = "ProvisionedThroughputExceededException"
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "The level of configured provisioned throughput for the table was exceeded. "
            "Consider increasing your provisioning level with the UpdateTable API."
        )


class InternalServerError(DynamoDBError):
    code = "InternalServerError"
    status = 500

    def __init__(self, message: str = "Internal server error") -> None:
        super().__init__(message)


_BY_CODE: dict[str, type[DynamoDBError]] = {
    "ValidationException": DynamoDBValidationException,
    "ResourceNotFoundException": DynamoDBResourceNotFoundException,
}
