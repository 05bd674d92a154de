"""Rules of the table operations (CreateTable, UpdateTable, DeleteTable, DescribeTable...) that
the service model cannot state.

Sources: API Reference "CreateTable" (ProvisionedThroughput is required unless BillingMode is
PAY_PER_REQUEST, and refused with it), Developer Guide "Service quotas" (at most 5 LSIs, 20
GSIs); the texts are DynamoDB's as recorded live by dynalite test/createTable.js.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from webapp.dynamodb.validation.errors import DynamoDBValidationException as ValidationError

Rule = Callable[[Mapping[str, Any]], None]

INVALID = "One or more parameter values were invalid: "
#: DynamoDB's largest provisioned capacity per table before its quota ("is out of bounds").
MAX_CAPACITY_UNITS = 1_000_000_000_000
#: Developer Guide, "Service quotas": secondary indexes per table.
MAX_LOCAL_INDEXES = 5
MAX_GLOBAL_INDEXES = 20

#: Control-plane operations whose TableName DynamoDB checks before the shape constraints.
TABLE_NAME_FIRST = frozenset({"CreateTable", "DeleteTable", "DescribeTable", "UpdateTable",
                              "DescribeTimeToLive", "UpdateTimeToLive"})


def check_table_name_first(operation: str, params: Mapping[str, Any]) -> None:
    """``The parameter 'TableName' is required...`` and the 3-255 length, as one message; a tag
    operation without ``ResourceArn`` is ``Invalid TableArn`` (dynalite test/tagResource.js)."""
    if operation in TAG_OPERATIONS and params.get("ResourceArn") is None:
        raise ValidationError("Invalid TableArn")
    if operation not in TABLE_NAME_FIRST:
        return
    name = params.get("TableName")
    if name is None:
        raise ValidationError("The parameter 'TableName' is required but was not present in the request")
    if isinstance(name, str) and not name.startswith("arn:") and not 3 <= len(name) <= 255:
        raise ValidationError("TableName must be at least 3 characters long and at most 255 characters long")


def create_table(params: Mapping[str, Any]) -> None:
    """CreateTable's rules, in the order DynamoDB applies them (each case of dynalite
    test/createTable.js, recorded live): billing mode and throughput, the table's key schema
    against its attribute definitions, then each local and each global secondary index."""
    _billing(params)
    definitions = [d.get("AttributeName") for d in params.get("AttributeDefinitions") or ()]
    _no_duplicate_definitions(definitions)
    schema: list[Any] = list(params.get("KeySchema") or ())
    keys = [k.get("AttributeName") for k in schema]
    if len(keys) > len(definitions):
        raise ValidationError("Invalid KeySchema: Some index key attribute have no definition")
    _key_schema(schema, definitions)
    local = params.get("LocalSecondaryIndexes")
    global_ = params.get("GlobalSecondaryIndexes")
    if local is None and global_ is None and len(schema) != len(definitions):
        raise ValidationError(INVALID + "Number of attributes in KeySchema does not exactly match number of "
                                        "attributes defined in AttributeDefinitions")
    names: set[Any] = set()
    if local is not None:
        if not local:
            raise ValidationError(INVALID + "List of LocalSecondaryIndexes is empty")
        if len(schema) != 2:
            raise ValidationError(INVALID + "Table KeySchema does not have a range key, which is required when "
                                            "specifying a LocalSecondaryIndex")
        for index in local:
            _index(index, definitions, names, table_hash=keys[0])
        if len(local) > MAX_LOCAL_INDEXES:
            raise ValidationError(INVALID + f"Number of LocalSecondaryIndexes exceeds per-table limit of "
                                            f"{MAX_LOCAL_INDEXES}")
    if global_ is not None:
        if not global_:
            raise ValidationError(INVALID + "List of GlobalSecondaryIndexes is empty")
        on_demand = params.get("BillingMode") == "PAY_PER_REQUEST"
        for index in global_:
            _index(index, definitions, names, on_demand=on_demand)
        if len(global_) > MAX_GLOBAL_INDEXES:
            raise ValidationError(INVALID + f"GlobalSecondaryIndex count exceeds the per-table limit of "
                                            f"{MAX_GLOBAL_INDEXES}")


def _no_duplicate_definitions(definitions: list[Any]) -> None:
    """An attribute defined twice (even with one type) is refused before the key schema is read:
    "Attribute Name is duplicated: x" (DynamoDB's text as quoted in scylladb issue #13870; the
    order is that of scylladb test/alternator/test_table.py test_create_table_duplicate_attribute_name
    and test_gsi.py test_gsi_key_type_conflict_on_create, run against DynamoDB, where the
    duplicate is reported although the definitions also outnumber the keys)."""
    seen: set[Any] = set()
    for name in definitions:
        if name in seen:
            raise ValidationError(f"Attribute Name is duplicated: {name}")
        seen.add(name)


def _billing(params: Mapping[str, Any]) -> None:
    throughput = params.get("ProvisionedThroughput")
    if params.get("BillingMode") == "PAY_PER_REQUEST":
        if throughput is not None:
            raise ValidationError(INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified "
                                            "when BillingMode is PAY_PER_REQUEST")
        return
    if not throughput or not throughput.get("ReadCapacityUnits") or not throughput.get("WriteCapacityUnits"):
        raise ValidationError(INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                                        "BillingMode is PROVISIONED")
    _capacity_in_bounds(throughput)


def _key_schema(schema: list[Any], definitions: list[Any]) -> None:
    """A key schema (the table's or an index's) against the attribute definitions."""
    keys = [k.get("AttributeName") for k in schema]
    if any(key not in definitions for key in keys):
        raise ValidationError(INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
                              f"Keys: [{', '.join(map(str, keys))}], AttributeDefinitions: "
                              f"[{', '.join(map(str, definitions))}]")
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValidationError("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if schema and schema[0].get("KeyType") != "HASH":
        raise ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2 and schema[1].get("KeyType") != "RANGE":
        raise ValidationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def _index(index: Mapping[str, Any], definitions: list[Any], names: set[Any], *,
           table_hash: Any = None, on_demand: bool = False) -> None:
    """One secondary index: a local one when ``table_hash`` is given, else a global one."""
    name = index.get("IndexName")
    schema: list[Any] = list(index.get("KeySchema") or ())
    _key_schema(schema, definitions)
    if table_hash is not None:
        if len(schema) != 2:
            raise ValidationError(INVALID + f"Index KeySchema does not have a range key for index: {name}")
        index_hash = schema[0].get("AttributeName")
        if index_hash != table_hash:
            raise ValidationError(INVALID + "Index KeySchema does not have the same leading hash key as table "
                                            f"KeySchema for index: {name}. index hash key: {index_hash}, "
                                            f"table hash key: {table_hash}")
    projection = index.get("Projection") or {}
    kind = projection.get("ProjectionType")
    if kind is None:
        raise ValidationError(INVALID + "Unknown ProjectionType: null")
    if projection.get("NonKeyAttributes") is not None and kind != "INCLUDE":
        raise ValidationError(INVALID + f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    # INCLUDE names what it includes, each attribute once (ScyllaDB's Alternator tests,
    # test/alternator/test_gsi.py test_gsi_projection_error_missing_nonkeyattributes / _duplicate,
    # checked against DynamoDB; they pin "NonKeyAttributes" and "Duplicate", not the whole text).
    included = projection.get("NonKeyAttributes")
    if kind == "INCLUDE" and not included:
        raise ValidationError(INVALID + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    if kind == "INCLUDE" and isinstance(included, list) and len(set(map(str, included))) != len(included):
        raise ValidationError(INVALID + f"Duplicate attribute names in NonKeyAttributes for index: {name}")
    if on_demand and index.get("ProvisionedThroughput") is not None:
        raise ValidationError(INVALID + f"ProvisionedThroughput should not be specified for index: {name} "
                                        "when BillingMode is PAY_PER_REQUEST")
    if name in names:
        raise ValidationError(INVALID + f"Duplicate index name: {name}")
    names.add(name)


def _capacity_in_bounds(throughput: Mapping[str, Any]) -> None:
    for name in ("ReadCapacityUnits", "WriteCapacityUnits"):
        value = throughput.get(name)
        if isinstance(value, int) and value > MAX_CAPACITY_UNITS:
            raise ValidationError(f"Given value {value} for {name} is out of bounds")


#: What an UpdateTable must change, at least one of (API Reference "UpdateTable").
_UPDATE_MEMBERS = ("ProvisionedThroughput", "BillingMode", "StreamSpecification", "SSESpecification",
                   "ReplicaUpdates", "TableClass", "DeletionProtectionEnabled", "OnDemandThroughput",
                   "WarmThroughput", "MultiRegionConsistency", "GlobalTableWitnessUpdates")


def update_table(params: Mapping[str, Any]) -> None:
    """UpdateTable's rules that need no table (the table's own: webapp.backend.table_updates);
    texts from dynalite test/updateTable.js, recorded live."""
    throughput = params.get("ProvisionedThroughput")
    if isinstance(throughput, Mapping):
        _capacity_in_bounds(throughput)
    updates = params.get("GlobalSecondaryIndexUpdates")
    if not updates and not any(params.get(member) is not None for member in _UPDATE_MEMBERS):
        raise ValidationError("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                              "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
    seen: set[Any] = set()
    for update in updates or ():
        actions = [update.get(kind) for kind in ("Update", "Create", "Delete")] if isinstance(update, Mapping) else []
        named = [action for action in actions if isinstance(action, Mapping)]
        if not named:
            raise ValidationError(INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate."
                                            "Create, GlobalSecondaryIndexUpdate.Delete must not be null")
        for action in named:
            name = action.get("IndexName")
            if name in seen:
                raise ValidationError(INVALID + "Only one global secondary index update per index is allowed "
                                                f"simultaneously. Index: {name}")
            seen.add(name)


def update_time_to_live(params: Mapping[str, Any]) -> None:
    """An empty attribute name has its own text (dynalite test/updateTimeToLive.js, recorded live).

    A missing specification is reported here, after the name's own checks (``model.NOT_REQUIRED``
    keeps it out of the shape constraints, where it would join a bad name's error), in Coral's
    words for any required member; moto's ``KeyError`` on it was an HTTP 500 (issue 11)."""
    spec = params.get("TimeToLiveSpecification")
    if spec is None:
        raise ValidationError("1 validation error detected: Value null at 'timeToLiveSpecification' failed to "
                              "satisfy constraint: Member must not be null")
    if isinstance(spec, Mapping) and spec.get("AttributeName") == "":
        raise ValidationError("TimeToLiveSpecification.AttributeName must be non empty")


#: Tag operations and the text of their empty list (sic: DynamoDB's "Atleast").
TAG_OPERATIONS = {"TagResource": ("Tags", "Atleast one Tag needs to be provided as Input."),
                  "UntagResource": ("TagKeys", "Atleast one Tag Key needs to be provided as Input."),
                  "ListTagsOfResource": (None, "")}
_TABLE_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]{3,255}")


def _tags(operation: str) -> Rule:
    """A table's ARN, then a non-empty list (dynalite test/tagResource.js, untagResource.js,
    listTagsOfResource.js, recorded live)."""
    member, empty = TAG_OPERATIONS[operation]

    def rule(params: Mapping[str, Any]) -> None:
        arn = params.get("ResourceArn")
        if isinstance(arn, str) and not _TABLE_ARN.fullmatch(arn):
            raise ValidationError(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
        if member is not None and params.get(member) == []:
            raise ValidationError(empty)

    return rule


RULES: dict[str, Rule] = {"CreateTable": create_table, "UpdateTable": update_table,
                          "UpdateTimeToLive": update_time_to_live,
                          **{operation: _tags(operation) for operation in TAG_OPERATIONS}}
