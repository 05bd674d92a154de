"""The two errors of request validation, as DynamoDB's front end writes them.

``SerializationException`` (namespace ``com.amazon.coral.service``) spells its text ``Message``;
``ValidationException`` (namespace ``com.amazon.coral.validate``) spells it ``message``
(dynalite test/helpers.js ``assertSerialization`` / ``assertValidation``, checked live).
"""

from __future__ import annotations

from webapp.backend.errors import DynamoDBError, ValidationError

__all__ = ["SerializationError", "ValidationError", "constraint_errors"]


class SerializationError(DynamoDBError):
    """A member whose JSON type is not its shape's."""

    code = "SerializationException"
    status = 400
    namespace = "com.amazon.coral.service"

    def __init__(self, message: str) -> None:
        super().__init__(message, message_key="Message")


def constraint_errors(errors: list[str]) -> ValidationError:
    """``N validation error(s) detected: a; b; c``."""
    count = len(errors)
    return ValidationError(f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(errors))
