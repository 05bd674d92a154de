"""The two errors of request validation, as DynamoDB's front end writes them.

``SerializationException`` (namespace ``com.amazon.coral.service``, the wire's own class) spells
its text ``Message``; ``ValidationException`` (namespace ``com.amazon.coral.validate``) spells it
``message`` (dynalite test/helpers.js ``assertSerialization`` / ``assertValidation``, recorded
live; ``webapp.backend.errors.message_member`` decides the spelling).
"""

from __future__ import annotations

from webapp.backend.errors import DynamoDBValidationException
from webapp.dynamodb.wire import SerializationException

__all__ = ["DynamoDBValidationException", "SerializationException", "constraint_errors"]


def constraint_errors(errors: list[str]) -> DynamoDBValidationException:
    """``N validation error(s) detected: a; b; c``."""
    count = len(errors)
    return DynamoDBValidationException(
        f"{count} validation error{'s' if count != 1 else ''} detected: " + "; ".join(errors))
