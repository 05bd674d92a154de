"""The only module of ``iam_policies`` that talks to a network: the IAM and DynamoDB calls of plan and apply.

It works the same against AWS and against the local stack's IAM endpoint (pass its URL as
``endpoint_url``), which is the point: the admin tooling applies templates locally exactly as it
does to AWS. Anchor: chalice's ``TypedAWSClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore import xform_name  # type: ignore[import-untyped]

from iam_policies.deployment import DesiredState
from iam_policies.plan import Change, Plan, RemoteProvider, RemoteRole, RemoteState, RemoteTable
from iam_policies.schema import TableSchema


def iam_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client("iam", endpoint_url=endpoint_url, region_name=region or "us-east-1")


def read_state(client: Any, desired: DesiredState) -> RemoteState:
    """What IAM holds for the providers and roles ``desired`` names (and nothing else)."""
    providers: dict[str, RemoteProvider] = {}
    for entry in client.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = entry["Arn"]
        detail = client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        url = detail["Url"].split("://", 1)[-1].rstrip("/")
        providers[url] = RemoteProvider(arn, url, tuple(detail.get("ClientIDList", [])),
                                        tuple(detail.get("ThumbprintList", [])))

    roles: dict[str, RemoteRole] = {}
    for spec in desired.roles:
        try:
            role = client.get_role(RoleName=spec.name)["Role"]
        except client.exceptions.NoSuchEntityException:
            continue
        names = client.list_role_policies(RoleName=spec.name).get("PolicyNames", [])
        policies = {
            name: client.get_role_policy(RoleName=spec.name, PolicyName=name)["PolicyDocument"]
            for name in names
        }
        roles[spec.name] = RemoteRole(
            spec.name, role["AssumeRolePolicyDocument"], policies, int(role.get("MaxSessionDuration", 3600)),
        )
    return RemoteState(providers, roles)


def read_tables(client: Any, desired: DesiredState) -> dict[str, RemoteTable]:
    """What DynamoDB holds for the tables ``desired`` names (DescribeTable, DescribeTimeToLive)."""
    tables: dict[str, RemoteTable] = {}
    for spec in desired.tables:
        try:
            description = client.describe_table(TableName=spec.name)["Table"]
        except client.exceptions.ResourceNotFoundException:
            continue
        ttl = client.describe_time_to_live(TableName=spec.name).get("TimeToLiveDescription", {})
        enabled = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        tables[spec.name] = RemoteTable(TableSchema.from_description(description),
                                        ttl.get("AttributeName") if enabled else None)
    return tables


def apply(plan: Plan, clients: Mapping[str, Any], *, on_change: Callable[[Change], None] | None = None) -> None:
    """Execute the plan's calls in order, each with the client of its service; stops at the first
    failure (running plan again after fixing the cause finishes the job). After a DynamoDB table
    change it waits for the table to be ACTIVE, because DynamoDB refuses the next change of a table
    that is still CREATING or UPDATING (API Reference, UpdateTable)."""
    for change in plan.changes:
        if on_change is not None:
            on_change(change)
        client = clients[change.service]
        getattr(client, xform_name(change.api))(**change.params)  # PutRolePolicy -> put_role_policy
        if change.api in ("CreateTable", "UpdateTable"):
            _wait_active(client, change.params["TableName"])


def _wait_active(client: Any, name: str, *, delay: float = 2.0, attempts: int = 300) -> None:
    """Until the table and every global secondary index are ACTIVE (an index backfills while the
    table is already ACTIVE, and a second index change must wait for it)."""
    import time

    for _ in range(attempts):
        table = client.describe_table(TableName=name)["Table"]
        statuses = [table.get("TableStatus")] + [i.get("IndexStatus") for i in table.get("GlobalSecondaryIndexes") or ()]
        if all(status == "ACTIVE" for status in statuses):
            return
        time.sleep(delay)
    raise TimeoutError(f"table {name} is not ACTIVE after {delay * attempts:.0f} s")
