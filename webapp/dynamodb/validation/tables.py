"""Rules of the table operations (CreateTable, UpdateTable, DeleteTable, DescribeTable...) that
the service model cannot state.

Sources: API Reference "CreateTable" (ProvisionedThroughput is required unless BillingMode is
PAY_PER_REQUEST, and refused with it), Developer Guide "Service quotas" (at most 5 LSIs, 20
GSIs); the texts are DynamoDB's as recorded live by dynalite test/createTable.js.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

INVALID = "One or more parameter values were invalid: "
#: DynamoDB's largest provisioned capacity per table before its quota ("is out of bounds").
MAX_CAPACITY_UNITS = 1_000_000_000_000

#: Control-plane operations whose TableName DynamoDB checks before the shape constraints.
TABLE_NAME_FIRST = frozenset({"CreateTable", "DeleteTable", "DescribeTable", "UpdateTable",
                              "DescribeTimeToLive", "UpdateTimeToLive"})


def check_table_name_first(operation: str, params: Mapping[str, Any]) -> None:
    """``The parameter 'TableName' is required...`` and the 3-255 length, as one message."""
    if operation not in TABLE_NAME_FIRST:
        return
    name = params.get("TableName")
    if name is None:
        raise ValidationError("The parameter 'TableName' is required but was not present in the request")
    if isinstance(name, str) and not name.startswith("arn:") and not 3 <= len(name) <= 255:
        raise ValidationError("TableName must be at least 3 characters long and at most 255 characters long")


def create_table(params: Mapping[str, Any]) -> None:
    throughput = params.get("ProvisionedThroughput")
    if params.get("BillingMode") == "PAY_PER_REQUEST":
        if throughput is not None:
            raise ValidationError(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified "
                                            "when BillingMode is PAY_PER_REQUEST")
    else:
        if throughput is None:
            raise ValidationError(INVALID + 'Missing required parameter in input: "ProvisionedThroughput"')
        _capacity_in_bounds(throughput)
    definitions = [d.get("AttributeName") for d in params.get("AttributeDefinitions") or ()]
    keys = [k.get("AttributeName") for k in params.get("KeySchema") or ()]
    if len(keys) > len(definitions):
        raise ValidationError("Invalid KeySchema: Some index key attribute have no definition")
    if any(key not in definitions for key in keys):
        raise ValidationError(INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
                              f"Keys: [{', '.join(map(str, keys))}], AttributeDefinitions: "
                              f"[{', '.join(map(str, definitions))}]")
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValidationError("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    schema: list[Any] = list(params.get("KeySchema") or ())
    if schema and schema[0].get("KeyType") != "HASH":
        raise ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2 and schema[1].get("KeyType") != "RANGE":
        raise ValidationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if params.get(kind) == []:
            raise ValidationError(INVALID + f"List of {kind} is empty")


def _capacity_in_bounds(throughput: Mapping[str, Any]) -> None:
    for name in ("ReadCapacityUnits", "WriteCapacityUnits"):
        value = throughput.get(name)
        if isinstance(value, int) and value > MAX_CAPACITY_UNITS:
            raise ValidationError(f"Given value {value} for {name} is out of bounds")


RULES = {"CreateTable": create_table}
