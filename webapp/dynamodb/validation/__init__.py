"""DynamoDB's request validation, in DynamoDB's order, before IAM and before the backend.

DynamoDB's front end (Coral) checks a request in fixed steps, and so does this package:

1. **Deserialization** (:mod:`.serialization`): each member must have its shape's JSON type;
   the first that does not is a ``com.amazon.coral.service#SerializationException`` whose
   ``Message`` names the JSON token and the Java type (``NUMBER_VALUE cannot be converted to
   String``). Unknown members and ``null`` members are ignored.
2. **The table name first** (:mod:`.tables`), for the control-plane operations that check it
   before anything else (``The parameter 'TableName' is required but was not present...``).
3. **Shape constraints** (:mod:`.constraints`): ``required``, ``min``/``max`` length and value,
   ``enum``, ``pattern`` from botocore's service model, every failure collected into one
   ``com.amazon.coral.validate#ValidationException`` ("3 validation errors detected: ...").
4. **Operation rules** (one module per operation family, rules as data where they can be):
   what the model cannot say (``Given value ... for ReadCapacityUnits is out of bounds``).
5. **Rules against the table** (given ``schemas``, the backend's key schemas): what DynamoDB
   checks once it has looked the table up (a missing table is ``ResourceNotFoundException``
   first): Query's and Scan's key conditions, indexes and starting keys (:mod:`.reads`).

Only then does the gateway derive IAM authorizations and evaluate them: a malformed request is
refused with the validation error, never with AccessDenied (DynamoDB validates the request
before it authorizes it: fgac-semantics G-14).

Sources: botocore's DynamoDB model for shapes and constraints; the texts and the order are
DynamoDB's, as observed live by the test suite of architect/dynalite (``test/helpers.js``
``assertType``/``assertValidation``, re-recorded against AWS), cited per rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from webapp.dynamodb.validation import batches, constraints, items, reads, serialization, tables
from webapp.dynamodb.validation.model import service_model

__all__ = ["validate", "validate_authorized"]

Rule = Callable[[Mapping[str, Any]], None]

#: Operation rules after the shape constraints, by operation (each raises ValidationError).
RULES: dict[str, Rule] = {
    **tables.RULES,
    **items.RULES,
    **reads.RULES,
    **batches.RULES,
}


def validate(operation: str, params: dict[str, Any], schemas: reads.Schemas | None = None) -> None:
    """Raise DynamoDB's SerializationException or ValidationException for ``params``, if any.

    ``params`` may be normalised in place the way DynamoDB's deserializer reads it (an integer
    member sent as ``1.0`` becomes ``1``). ``schemas`` (a table name to its schema, or None)
    enables the checks against the table."""
    model = service_model()
    if operation not in model.operation_names:
        return  # the gateway answers UnknownOperationException before this
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return
    serialization.check(shape, params)
    tables.check_table_name_first(operation, params)
    constraints.check(operation, shape, params)
    rule = RULES.get(operation)
    if rule is not None:
        rule(params)
    against_table = reads.TABLE_RULES.get(operation)
    if against_table is not None and schemas is not None:
        against_table(schemas, params)


def validate_authorized(operation: str, params: dict[str, Any], schemas: reads.Schemas) -> None:
    """The checks DynamoDB makes that this stack makes only after IAM has allowed the request
    (a Query's starting key against its key condition: :func:`reads.query_start_key_bounds`)."""
    rule = reads.AUTHORIZED_RULES.get(operation)
    if rule is not None:
        rule(schemas, params)
