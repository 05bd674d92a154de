"""What the app needs in IAM, as data: the OIDC provider and the roles with their policies.

``desired_state(params)`` renders the shipped templates into that state. The local stack is
provisioned from it at first start, and ``plan``/``apply`` bring an AWS account (or the local
IAM endpoint) to it, so a policy tested locally is the policy deployed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iam_policies.render import render

#: Logical table names of the app (``webapp/tables.py`` holds their schemas).
LOGICAL_TABLES = ("photos", "photoTags", "profiles", "games", "sessions")


@dataclass(frozen=True)
class DeploymentParams:
    account: str
    region: str = "us-east-1"
    partition: str = "aws"
    #: The OIDC issuer, ``https://host/path``.
    issuer: str = "https://idp.localhost/dev"
    client_ids: tuple[str, ...] = ("webapp",)
    user_role: str = "WebUser"
    host_role: str = "WebHost"
    admin_role: str | None = "Admin"
    table_prefix: str = ""
    #: Longest session the page may ask STS for (the role's MaxSessionDuration).
    max_session_duration: int = 3600

    @property
    def provider_key(self) -> str:
        return self.issuer.split("://", 1)[-1].rstrip("/")

    @property
    def provider_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:oidc-provider/{self.provider_key}"

    def table_name(self, logical: str) -> str:
        return self.table_prefix + logical[0].upper() + logical[1:]

    def template_params(self) -> dict[str, str]:
        params = {
            "Account": self.account,
            "Region": self.region,
            "Partition": self.partition,
            "ProviderKey": self.provider_key,
            "ProviderArn": self.provider_arn,
            "ClientId": self.client_ids[0],
        }
        params.update({f"Table:{t}": self.table_name(t) for t in LOGICAL_TABLES})
        return params


@dataclass(frozen=True)
class ProviderSpec:
    url: str
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleSpec:
    name: str
    trust: Mapping[str, Any]
    #: Inline policies by name.
    policies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    max_session_duration: int = 3600
    description: str = ""


@dataclass(frozen=True)
class DesiredState:
    providers: tuple[ProviderSpec, ...]
    roles: tuple[RoleSpec, ...]

    def role(self, name: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.name == name), None)


def desired_state(params: DeploymentParams) -> DesiredState:
    values = params.template_params()
    roles = [
        RoleSpec(
            params.user_role, render("user-role-trust", values), {"user-access": render("user-role", values)},
            params.max_session_duration,
            "Assumed by the browser with the user's ID token; users reach only their own items.",
        ),
        RoleSpec(
            params.host_role, render("host-role-trust", values), {"host-access": render("host-role", values)},
            3600, "The host's own role: the Sessions table only.",
        ),
    ]
    if params.admin_role:
        roles.append(RoleSpec(
            params.admin_role, render("admin-role-trust", values), {"admin-access": render("admin-role", values)},
            3600, "Administrators of the local stack.",
        ))
    return DesiredState((ProviderSpec(params.issuer, params.client_ids),), tuple(roles))
