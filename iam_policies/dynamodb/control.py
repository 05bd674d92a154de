"""Control-plane and stream operations: resource only, no dynamodb:* condition keys.

S2 lists only ``aws:ResourceTag``-style keys for these, so the context holds just the request-level
keys (fgac-semantics.md A.2). Resources (S2, A.3):

- table actions (DescribeTable, CreateTable, UpdateTable, DeleteTable, DescribeTimeToLive,
  UpdateTimeToLive, DescribeContinuousBackups, ...): the table ARN, whether or not it exists;
- tag actions: the ``ResourceArn`` sent;
- ListTables, DescribeLimits, DescribeEndpoints, ListStreams: no resource type, so ``*``;
- DescribeStream, GetShardIterator: the ``StreamArn``; GetRecords: the stream its
  ``ShardIterator`` belongs to (iterators read ``<stream-arn>|<n>|<token>``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.dynamodb.arns import resource_arn, stream_arn, stream_of_iterator
from iam_policies.dynamodb.request import Env, require

Derivation = Callable[[Env, Mapping[str, Any]], list[Authorization]]


def on_table(action: str) -> Derivation:
    def derive(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
        ref = env.table(require(params, "TableName", "tableName"))
        return [env.authorization(action, ref.arn, {})]

    return derive


def on_resource_arn(action: str, parameter: str = "ResourceArn") -> Derivation:
    """Actions on the DynamoDB ARN a parameter names (tags, resource policies, backups, exports)."""
    member = parameter[0].lower() + parameter[1:]

    def derive(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
        return [env.authorization(action, resource_arn(params.get(parameter), member=member), {})]

    return derive


def on_global_table(action: str) -> Derivation:
    """Global tables (version 2017): ``arn:${Partition}:dynamodb::${Account}:global-table/${Name}``."""

    def derive(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
        ref = env.table(require(params, "GlobalTableName", "globalTableName"), member="globalTableName")
        arn = f"arn:{env.partition}:dynamodb::{env.account}:global-table/{ref.name}"
        return [env.authorization(action, arn, {})]

    return derive


def on_everything(action: str) -> Derivation:
    def derive(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
        return [env.authorization(action, "*", {})]

    return derive


def on_stream(action: str) -> Derivation:
    def derive(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
        return [env.authorization(action, stream_arn(params.get("StreamArn")), {})]

    return derive


def get_records(env: Env, params: Mapping[str, Any]) -> list[Authorization]:
    return [env.authorization("GetRecords", stream_of_iterator(params.get("ShardIterator")), {})]
