"""The only module of ``iam_policies`` that talks to a network: the IAM calls plan and apply use.

It works the same against AWS and against the local stack's IAM endpoint (pass its URL as
``endpoint_url``), which is the point: the admin tooling applies templates locally exactly as it
does to AWS. Anchor: chalice's ``TypedAWSClient``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name  # type: ignore[import-untyped]

from iam_policies.deployment import DesiredState
from iam_policies.plan import Change, Plan, RemoteProvider, RemoteRole, RemoteState


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
        providers[url] = RemoteProvider(arn, url, tuple(detail.get("ClientIDList", [])))

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


def apply(plan: Plan, client: Any, *, on_change: Callable[[Change], None] | None = None) -> None:
    """Execute the plan's calls in order; stops at the first failure (IAM calls are idempotent to
    re-plan, so running plan again after fixing the cause finishes the job)."""
    for change in plan.changes:
        if on_change is not None:
            on_change(change)
        getattr(client, xform_name(change.api))(**change.params)  # PutRolePolicy -> put_role_policy
