"""botocore's DynamoDB model, loaded once, and where DynamoDB's own front end differs from it.

The SDKs are generated from the same model DynamoDB's front end validates with, but botocore's
copy is edited for clients: it widens ``TableName`` to ``TableArn`` (1-1024 characters, so that
ARNs are accepted) and leaves out some limits. What DynamoDB enforces instead is kept here as
data, each entry with its source; everything else comes from the model.
"""

from __future__ import annotations

from typing import Any

from botocore.model import ServiceModel  # type: ignore[import-untyped]

from webapp import aws_models


def service_model() -> ServiceModel:
    """botocore's DynamoDB model, parsed once for the whole process (``webapp.aws_models``)."""
    return aws_models.service_model("dynamodb")


#: Table names that are not ARNs: API Reference "CreateTable", TableName ("Length Constraints:
#: Minimum length of 3. Maximum length of 255. Pattern: [a-zA-Z0-9_.-]+"). An ARN keeps the model's
#: ``TableArn`` limits (1-1024).
TABLE_NAME = {"min": 3, "max": 255, "pattern": "[a-zA-Z0-9_.-]+"}

#: Constraints DynamoDB enforces that botocore's model leaves out, by shape name.
EXTRA_CONSTRAINTS: dict[str, dict[str, Any]] = {
    # API Reference "CreateTable", KeySchema: "Array Members: Minimum number of 1 item. Maximum
    # number of 2 items." (dynalite createTable.js: "Member must have length less than or equal to 2")
    "KeySchema": {"max": 2},
    # An empty TTL attribute name has a text of its own ("TimeToLiveSpecification.AttributeName
    # must be non empty", dynalite test/updateTimeToLive.js): validation.tables says it.
    "TimeToLiveAttributeName": {"min": None},
}

#: Members DynamoDB requires that botocore's model marks optional, by input shape (dynalite
#: createTable.js: "Value null at 'attributeDefinitions' ... Member must not be null").
EXTRA_REQUIRED: dict[str, tuple[str, ...]] = {
    "CreateTableInput": ("AttributeDefinitions", "KeySchema"),
}

#: Enum values in the order DynamoDB lists them in "Member must satisfy enum value set: [...]",
#: where botocore's order differs (dynalite createTable.js, recorded live; validations/scan.js,
#: whose enum lists keep the order live DynamoDB printed them in).
ENUM_ORDER: dict[str, tuple[str, ...]] = {
    "ScalarAttributeType": ("B", "N", "S"),
    "ProjectionType": ("ALL", "INCLUDE", "KEYS_ONLY"),
    "Select": ("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"),
    "ComparisonOperator": ("IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE",
                           "BEGINS_WITH", "GE", "CONTAINS"),
    "ConditionalOperator": ("OR", "AND"),
    # dynalite test/putItem.js "incorrect attributes", recorded live.
    "ReturnValue": ("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"),
}

#: The order DynamoDB reports members in, where it is not botocore's member order (members not
#: listed follow in the model's order). Observed by dynalite (validations/*.js list the members
#: in the order live DynamoDB reports them; test/listTables.js pins ListTables' exactly).
MEMBER_ORDER: dict[str, tuple[str, ...]] = {
    "ListTablesInput": ("Limit", "ExclusiveStartTableName"),
    "CreateTableInput": ("AttributeDefinitions", "TableName", "BillingMode", "ProvisionedThroughput",
                         "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes"),
    "ProvisionedThroughput": ("WriteCapacityUnits", "ReadCapacityUnits"),
    "GetItemInput": ("ReturnConsumedCapacity", "AttributesToGet", "TableName", "Key"),
    "QueryInput": ("Select", "IndexName", "ReturnConsumedCapacity", "QueryFilter", "TableName", "ConditionalOperator",
                   "AttributesToGet", "Limit", "KeyConditions", "ExclusiveStartKey"),
    "ScanInput": ("Select", "IndexName", "TotalSegments", "ReturnConsumedCapacity", "TableName", "ConditionalOperator",
                  "ScanFilter", "Segment", "Limit", "AttributesToGet", "ExclusiveStartKey"),
}


#: Members botocore's model requires that DynamoDB does not check at this step (dynalite
#: updateTimeToLive.js: ``{TableName: 'abc;'}`` reports only the name's pattern).
NOT_REQUIRED: dict[str, tuple[str, ...]] = {
    "UpdateTimeToLiveInput": ("TimeToLiveSpecification",),
}

#: Members DynamoDB requires unless one of their alternatives is given: an index's throughput
#: update (dynalite updateTable.js "empty Update": "Value null at
#: 'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput'"), which on-demand and
#: warm throughput updates have since joined (API Reference "UpdateGlobalSecondaryIndexAction").
REQUIRED_UNLESS: dict[str, dict[str, tuple[str, ...]]] = {
    "UpdateGlobalSecondaryIndexAction": {"ProvisionedThroughput": ("OnDemandThroughput", "WarmThroughput")},
}


#: Per shape name (unique in a service model): the members required whatever the request holds.
_STATIC_REQUIRED: dict[str, frozenset[str]] = {}


def required_members(shape: Any, value: Any = None) -> frozenset[str]:
    required = _STATIC_REQUIRED.get(shape.name)
    if required is None:
        required = (frozenset(shape.required_members) | frozenset(EXTRA_REQUIRED.get(shape.name, ()))) - frozenset(
            NOT_REQUIRED.get(shape.name, ()))
        _STATIC_REQUIRED[shape.name] = required
    for name, alternatives in REQUIRED_UNLESS.get(shape.name, {}).items():
        if not (isinstance(value, dict) and any(value.get(other) is not None for other in alternatives)):
            required |= {name}
    return required


def ordered_members(shape: Any) -> list[str]:
    """``shape``'s member names in the order DynamoDB reports them."""
    names = list(shape.members)
    first = [name for name in MEMBER_ORDER.get(shape.name, ()) if name in shape.members]
    return first + [name for name in names if name not in first]
