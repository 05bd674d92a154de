"""UpdateTable's rules that need the table: its billing mode, its throughput, its indexes.

moto applies an UpdateTable without these checks (and fails with a Python ``ValueError``, an
HTTP 500, on an index it does not have). DynamoDB, in this order (texts from dynalite
test/updateTable.js, recorded live against DynamoDB; API Reference "UpdateTable", Errors):

* more than one index created or deleted at once: ``LimitExceededException`` "Subscriber limit
  exceeded: Only 1 online index can be created or deleted simultaneously per table";
* an index ``Update`` naming an index the table does not have: ``ValidationException`` "This
  operation cannot be performed with given input values. Please contact DynamoDB service team
  for more info: Action Blocked: IndexUpdate"; a ``Delete`` of one: ResourceNotFoundException;
* an index's throughput above the quota: "Given value N for ReadCapacityUnits is out of bounds
  for index NAME";
* throughput on a PAY_PER_REQUEST table, or PROVISIONED without throughput;
* throughput equal to the table's: "The provisioned throughput for the table will not change..."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.backend.errors import (
    DynamoDBResourceNotFoundException,
    DynamoDBValidationException,
    LimitExceededException,
)

INVALID = "One or more parameter values were invalid: "
#: The per-table quota on provisioned capacity (as validation.tables.MAX_CAPACITY_UNITS).
MAX_CAPACITY_UNITS = 1_000_000_000_000
#: Members that change something besides throughput (the "will not change" check needs none).
_OTHER_CHANGES = ("BillingMode", "GlobalSecondaryIndexUpdates", "StreamSpecification", "SSESpecification",
                  "ReplicaUpdates", "TableClass", "DeletionProtectionEnabled", "OnDemandThroughput",
                  "WarmThroughput", "AttributeDefinitions")


def check(table: Any, params: Mapping[str, Any]) -> None:
    updates = [u for u in params.get("GlobalSecondaryIndexUpdates") or () if isinstance(u, Mapping)]
    online = sum(1 for u in updates if u.get("Create") is not None or u.get("Delete") is not None)
    if online > 1:
        raise LimitExceededException("Subscriber limit exceeded: Only 1 online index can be created or deleted "
                                     "simultaneously per table")
    indexes = {getattr(index, "name", None) for index in getattr(table, "global_indexes", ()) or ()}
    for update in updates:
        change, delete = update.get("Update"), update.get("Delete")
        if isinstance(change, Mapping):
            name = change.get("IndexName")
            if name not in indexes:
                raise DynamoDBValidationException(
                    "This operation cannot be performed with given input values. Please contact DynamoDB "
                    "service team for more info: Action Blocked: IndexUpdate")
            for unit in ("ReadCapacityUnits", "WriteCapacityUnits"):
                value = (change.get("ProvisionedThroughput") or {}).get(unit)
                if isinstance(value, int) and value > MAX_CAPACITY_UNITS:
                    raise DynamoDBValidationException(f"Given value {value} for {unit} is out of bounds for index {name}")
        if isinstance(delete, Mapping) and delete.get("IndexName") not in indexes:
            raise DynamoDBResourceNotFoundException(
                "Requested resource not found")
    _billing(table, params)


def _billing(table: Any, params: Mapping[str, Any]) -> None:
    throughput = params.get("ProvisionedThroughput")
    mode = params.get("BillingMode") or getattr(table, "billing_mode", None) or "PROVISIONED"
    if mode == "PAY_PER_REQUEST":
        if throughput is not None:
            raise DynamoDBValidationException(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be "
                                                        "specified when BillingMode is PAY_PER_REQUEST")
        return
    if throughput is None:
        if params.get("BillingMode") == "PROVISIONED" and getattr(table, "billing_mode", None) == "PAY_PER_REQUEST":
            raise DynamoDBValidationException(INVALID + "ProvisionedThroughput must be specified when BillingMode "
                                                        "is PROVISIONED")
        return
    current = getattr(table, "throughput", None) or {}
    read, write = current.get("ReadCapacityUnits"), current.get("WriteCapacityUnits")
    if (throughput.get("ReadCapacityUnits") == read and throughput.get("WriteCapacityUnits") == write
            and not any(params.get(member) for member in _OTHER_CHANGES)):
        raise DynamoDBValidationException(
            "The provisioned throughput for the table will not change. The requested value equals the current "
            f"value. Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: "
            f"{read}. Current WriteCapacityUnits provisioned for the table: {write}. Requested "
            f"WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and "
            "how to request higher limits.")
