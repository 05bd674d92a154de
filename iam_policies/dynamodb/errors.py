"""The messages of context derivation's errors, worded as DynamoDB's validator words them, so
every module words them the same way (the error classes are :mod:`iam_policies.errors`).
"""

from __future__ import annotations

from iam_policies.errors import UnknownOperationException, ValidationException


def unknown_operation(operation: str) -> UnknownOperationException:
    """The request named an operation DynamoDB does not have."""
    return UnknownOperationException(f"Unknown operation: {operation}")


def invalid(message: str) -> ValidationException:
    """A ``ValidationException`` with DynamoDB's own wording."""
    return ValidationException(message)


def constraint(value: object, member: str, rule: str) -> ValidationException:
    """DynamoDB's (Coral) shape-constraint message, e.g. for a missing ``TableName``."""
    shown = "null" if value is None else f"'{value}'"
    return ValidationException(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {rule}"
    )
