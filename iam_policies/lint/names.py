"""Which action and condition-key names exist, for lint's IAM006 and IAM007.

IAM accepts a policy that names an action or a condition key that does not exist, and then that
statement simply never applies: a typo in an Allow grants nothing, a typo in a Deny or in a
condition of a Deny leaves the hole it was written to close. So lint checks the names.

- **Actions** of the services this project's policies speak about (``dynamodb``, ``sts``,
  ``iam``) come from botocore's service models: the operations of ``dynamodb`` and
  ``dynamodbstreams`` (the streams API is authorized as ``dynamodb:`` actions), ``sts`` and
  ``iam``. DynamoDB's IAM actions are not exactly its operations (Service Authorization
  Reference, "Actions defined by Amazon DynamoDB"; fgac-semantics.md A.2/A.3): the transaction
  and PartiQL APIs are authorized as item actions (no ``dynamodb:TransactWriteItems`` or
  ``dynamodb:ExecuteStatement`` action exists), and some actions are permissions only
  (``ConditionCheckItem``, ``PartiQLSelect`` …). Names of other services are not checked.
- **Condition keys**: the global ``aws:`` keys (IAM User Guide, "AWS global condition context
  keys", with the tag-key prefixes) and the ``dynamodb:`` keys the DynamoDB docs list
  (fgac-semantics.md A.1). Keys of other prefixes (a web identity provider's ``…:sub``, ``sts:``,
  other services) are not checked.
"""

from __future__ import annotations

from functools import cache

from iam_policies.matching import ActionMatcher

#: DynamoDB APIs that are not IAM actions: what authorizes each instead (SAR, fgac-semantics A.3).
NOT_ACTIONS = {
    "transactgetitems": "each Get is authorized as dynamodb:GetItem",
    "transactwriteitems": "each member is authorized as PutItem, UpdateItem, DeleteItem or ConditionCheckItem",
    "executestatement": "each statement is authorized as dynamodb:PartiQLSelect|Insert|Update|Delete",
    "batchexecutestatement": "each statement is authorized as dynamodb:PartiQLSelect|Insert|Update|Delete",
    "executetransaction": "each statement is authorized as dynamodb:PartiQLSelect|Insert|Update|Delete",
}

#: DynamoDB IAM actions that are permissions only, with no API operation of the same name (SAR).
PERMISSION_ONLY = frozenset({
    "ConditionCheckItem", "PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete",
    "StartAwsBackupJob", "RestoreTableFromAwsBackup", "CreateTableReplica", "DeleteTableReplica",
    "UpdateGlobalTableVersion", "GetAbacStatus", "UpdateAbacStatus", "InjectError",
    "CreateMultiRegionTable", "UpdateMultiRegionTable", "DeleteMultiRegionTable", "SearchVectors",
    "ReadDataForReplication", "WriteDataForReplication", "ReplicateSettings", "AssociateTableReplica",
    "DescribeReservedCapacity", "DescribeReservedCapacityOfferings", "PurchaseReservedCapacityOfferings",
    "GetResourcePolicy", "PutResourcePolicy", "DeleteResourcePolicy",
})

#: The IAM service prefixes checked, and the botocore services whose operations are their actions.
SERVICES = {"dynamodb": ("dynamodb", "dynamodbstreams"), "sts": ("sts",), "iam": ("iam",)}

#: Global condition keys (IAM UG, reference_policies_condition-keys), lower-case.
GLOBAL_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgPaths", "aws:PrincipalOrgID",
    "aws:PrincipalIsAWSService", "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList",
    "aws:PrincipalType", "aws:userid", "aws:username", "aws:FederatedProvider", "aws:TokenIssueTime",
    "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4", "aws:SourceIdentity", "aws:AssumedRoot",
    "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce", "aws:VpcSourceIp", "aws:SourceVpcArn",
    "aws:ResourceAccount", "aws:ResourceOrgPaths", "aws:ResourceOrgID",
    "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:ViaAWSService",
    "aws:CurrentTime", "aws:EpochTime", "aws:referer", "aws:RequestedRegion", "aws:TagKeys",
    "aws:SecureTransport", "aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgPaths", "aws:SourceOrgID",
    "aws:UserAgent", "aws:IsMcpServiceAction",
))
#: Global keys that take a tag name after the slash.
GLOBAL_KEY_PREFIXES = ("aws:principaltag/", "aws:resourcetag/", "aws:requesttag/")

#: The DynamoDB condition keys (DynamoDB DG "Using IAM policy conditions for fine-grained access
#: control"; SAR; fgac-semantics.md A.1), lower-case.
DYNAMODB_KEY_NAMES = (
    "dynamodb:Attributes", "dynamodb:LeadingKeys", "dynamodb:FirstPartitionKeyValues",
    "dynamodb:SecondPartitionKeyValues", "dynamodb:ThirdPartitionKeyValues", "dynamodb:FourthPartitionKeyValues",
    "dynamodb:Select", "dynamodb:ReturnValues", "dynamodb:ReturnConsumedCapacity",
    "dynamodb:EnclosingOperation", "dynamodb:FullTableScan", "dynamodb:FisActionId", "dynamodb:FisTargetArns",
)
DYNAMODB_KEYS = frozenset(k.lower() for k in DYNAMODB_KEY_NAMES)


@cache
def service_actions(prefix: str) -> frozenset[str]:
    """The IAM action names (lower-case, without prefix) of service ``prefix``."""
    import botocore.session  # type: ignore[import-untyped]

    session = botocore.session.get_session()
    names = {op.lower() for service in SERVICES[prefix]
             for op in session.get_service_model(service).operation_names}
    if prefix == "dynamodb":
        names = (names - set(NOT_ACTIONS)) | {a.lower() for a in PERMISSION_ONLY}
    return frozenset(names)


def unknown_action(action: str) -> str | None:
    """Why ``action`` (an Action entry, wildcards allowed) names nothing, or None when it is
    known or of a service this module does not check."""
    prefix, sep, name = action.partition(":")
    prefix = prefix.lower()
    if not sep or prefix not in SERVICES:
        return None
    lowered = name.lower()
    if prefix == "dynamodb" and lowered in NOT_ACTIONS:
        return f"{action} is an API, not an IAM action: {NOT_ACTIONS[lowered]}"
    matcher = ActionMatcher((action,))
    if any(matcher.matches(f"{prefix}:{known}") for known in service_actions(prefix)):
        return None
    what = "matches no action" if "*" in name or "?" in name else "is not an action"
    return f"{action} {what} of {prefix} (botocore's service model)"


def unknown_condition_key(key: str) -> str | None:
    """Why condition key ``key`` does not exist, or None (known, or a prefix not checked)."""
    lowered = key.lower()
    if lowered.startswith("aws:"):
        if lowered in GLOBAL_KEYS or any(lowered.startswith(p) and len(lowered) > len(p)
                                         for p in GLOBAL_KEY_PREFIXES):
            return None
        return f"{key} is not a global condition key (IAM UG, AWS global condition context keys)"
    if lowered.startswith("dynamodb:"):
        if lowered in DYNAMODB_KEYS:
            return None
        return f"{key} is not a DynamoDB condition key; DynamoDB's are " + ", ".join(DYNAMODB_KEY_NAMES)
    return None
