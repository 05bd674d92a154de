"""Derive the IAM authorizations a DynamoDB API request needs, from the request itself.

``derive(operation, params, ...)`` returns one :class:`~iam_policies.authorization.Authorization`
per check AWS makes (one for a plain call, one per table for a batch, one per member for a
transaction), each with the action, the resource ARN and the condition-key context. It fails
closed: a request it cannot derive a context for is a ``ValidationException`` (worded as
DynamoDB words it), a table it needs the key schema of and cannot find is a
``ResourceNotFoundException``, an unknown operation is ``UnknownOperationException``; all before
any authorization (fgac-semantics.md G-14, security-anchors.md §4.2).

The semantics are those of ``shared/spec/fgac-semantics.md`` §A and the readings chosen in §G.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb import batches, control, items, partiql, reads
from iam_policies.dynamodb.errors import invalid, unknown_operation
from iam_policies.dynamodb.request import NOT_IN_CASE_SHAPE, Env, Schemas, as_case_context

__all__ = ["NOT_IN_CASE_SHAPE", "as_case_context", "derive", "OPERATIONS"]

Derivation = Callable[[Env, Mapping[str, Any]], list[Authorization]]


def _single(function: Callable[[Env, Mapping[str, Any]], Authorization]) -> Derivation:
    return lambda env, params: [function(env, params)]


#: Every DynamoDB operation this endpoint authorises, by its ``X-Amz-Target`` name.
OPERATIONS: dict[str, Derivation] = {
    "GetItem": _single(items.get_item),
    "PutItem": _single(items.put_item),
    "UpdateItem": _single(items.update_item),
    "DeleteItem": _single(items.delete_item),
    "Query": reads.query,
    "Scan": reads.scan,
    "BatchGetItem": batches.batch_get_item,
    "BatchWriteItem": batches.batch_write_item,
    "TransactGetItems": batches.transact_get_items,
    "TransactWriteItems": batches.transact_write_items,
    "ExecuteStatement": partiql.execute_statement,
    "BatchExecuteStatement": partiql.batch_execute_statement,
    "ExecuteTransaction": partiql.execute_transaction,
    **{name: control.on_table(name) for name in (
        "DescribeTable", "CreateTable", "UpdateTable", "DeleteTable", "DescribeTimeToLive", "UpdateTimeToLive",
        "DescribeContinuousBackups", "UpdateContinuousBackups", "DescribeKinesisStreamingDestination",
        "DescribeContributorInsights", "UpdateContributorInsights", "DescribeTableReplicaAutoScaling",
        "UpdateTableReplicaAutoScaling", "CreateBackup", "EnableKinesisStreamingDestination",
        "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination",
    )},
    **{name: control.on_resource_arn(name) for name in (
        "TagResource", "UntagResource", "ListTagsOfResource", "PutResourcePolicy", "GetResourcePolicy",
        "DeleteResourcePolicy",
    )},
    "DescribeBackup": control.on_resource_arn("DescribeBackup", "BackupArn"),
    "DeleteBackup": control.on_resource_arn("DeleteBackup", "BackupArn"),
    "ExportTableToPointInTime": control.on_resource_arn("ExportTableToPointInTime", "TableArn"),
    "DescribeExport": control.on_resource_arn("DescribeExport", "ExportArn"),
    "DescribeGlobalTable": control.on_global_table("DescribeGlobalTable"),
    "DescribeGlobalTableSettings": control.on_global_table("DescribeGlobalTableSettings"),
    **{name: control.on_everything(name) for name in (
        "ListTables", "DescribeLimits", "DescribeEndpoints", "ListStreams", "ListBackups", "ListGlobalTables",
        "ListContributorInsights", "ListExports", "ListImports",
    )},
    "DescribeStream": control.on_stream("DescribeStream"),
    "GetShardIterator": control.on_stream("GetShardIterator"),
    "GetRecords": control.get_records,
}


def derive(
    operation: str,
    params: Mapping[str, Any],
    *,
    schemas: Schemas,
    region: str,
    account: str,
    partition: str = "aws",
) -> list[Authorization]:
    """The authorizations ``operation`` with request body ``params`` needs, in request order."""
    function = OPERATIONS.get(operation)
    if function is None:
        raise unknown_operation(operation)
    if not (type(params) is dict or isinstance(params, Mapping)):
        raise invalid("The request body must be a JSON object")
    return function(Env(schemas, region, account, partition), params)
