"""Errors of context derivation that are not already shared in :mod:`iam_policies.errors`.

DynamoDB answers an ``X-Amz-Target`` it does not know with ``UnknownOperationException``
(namespace ``com.amazon.coral.service``, HTTP 400; dynalite's live-verified tests, O1 in
``shared/spec/fgac-semantics.md``). The helpers here build the other messages DynamoDB's
validator uses, so every module words them the same way.
"""

from __future__ import annotations

from iam_policies.errors import AwsError, ValidationException


class UnknownOperation(AwsError):
    """The request named an operation DynamoDB does not have."""

    code = "UnknownOperationException"
    status = 400
    namespace = "com.amazon.coral.service"

    def __init__(self, operation: str) -> None:
        super().__init__(f"Unknown operation: {operation}")
        self.operation = operation


def invalid(message: str) -> ValidationException:
    """A ``ValidationException`` with DynamoDB's own wording."""
    return ValidationException(message)


def constraint(value: object, member: str, rule: str) -> ValidationException:
    """DynamoDB's (Coral) shape-constraint message, e.g. for a missing ``TableName``."""
    shown = "null" if value is None else f"'{value}'"
    return ValidationException(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {rule}"
    )
