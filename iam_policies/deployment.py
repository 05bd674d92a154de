"""What the app needs in AWS, as data: the OIDC provider, the roles with their policies, the tables.

``desired_state(params)`` renders the shipped templates into that state. The local stack is
provisioned from it at first start, and ``plan``/``apply`` bring an AWS account (or the local
stack) to it, so a policy tested locally is the policy deployed. ``APP_TABLES`` gives the tables'
keys, indexes and TTL in the case format of ``shared/spec/fgac-cases.json``: it is their one
definition, from which ``webapp.tables.TABLES`` creates them for the local stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iam_policies.render import Value, render
from iam_policies.schema import TableSchema

#: The app's tables by logical name, in the case format (``TableSchema.from_case``) plus ``ttl``.
APP_TABLES: Mapping[str, Mapping[str, Any]] = {
    "photos": {"partition_key": "UserId", "sort_key": "PhotoId", "indexes": {
        "ByDate": {"type": "LSI", "partition_key": "UserId", "sort_key": "TakenOn", "projection": "ALL"}}},
    "photoTags": {"partition_key": "UserId", "sort_key": "TagKey", "indexes": {
        "PublicByTag": {"type": "GSI", "partition_key": "PublicTag", "sort_key": "TakenOn", "projection": "INCLUDE",
                        "non_key_attributes": ["Title", "Thumb", "PhotoId", "OwnerName"]}}},
    # ByName: the player directory (prefix search on a normalized display name, docs/data-model.md).
    "profiles": {"partition_key": "UserId", "indexes": {
        "ByName": {"type": "GSI", "partition_key": "NameBucket", "sort_key": "NameKey", "projection": "INCLUDE",
                   "non_key_attributes": ["DisplayName"]}}},
    "games": {"partition_key": "GameId", "indexes": {
        "ByHost": {"type": "GSI", "partition_key": "Host", "sort_key": "UpdatedAt", "projection": "ALL"},
        "ByOpponent": {"type": "GSI", "partition_key": "Opponent", "sort_key": "UpdatedAt", "projection": "ALL"}}},
    # BySub: the session list and "sign out everywhere" (the host role only; no tokens projected).
    "sessions": {"partition_key": "SessionId", "ttl": "ExpiresAt", "indexes": {
        "BySub": {"type": "GSI", "partition_key": "Sub", "sort_key": "CreatedAt", "projection": "INCLUDE",
                  "non_key_attributes": ["Issuer", "ExpiresAt", "Browser"]}}},
}
#: Logical table names of the app.
LOGICAL_TABLES = tuple(APP_TABLES)


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
    #: The provider's server-certificate thumbprints; empty: not managed (left as IAM has them).
    thumbprints: tuple[str, ...] = ()

    @property
    def provider_key(self) -> str:
        return self.issuer.split("://", 1)[-1].rstrip("/")

    @property
    def provider_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:oidc-provider/{self.provider_key}"

    def table_name(self, logical: str) -> str:
        return self.table_prefix + logical[0].upper() + logical[1:]

    def template_params(self) -> dict[str, Value]:
        from iam_policies.catalog import pattern_tables

        params: dict[str, Value] = {
            "Account": self.account,
            "Region": self.region,
            "Partition": self.partition,
            "ProviderKey": self.provider_key,
            "ProviderArn": self.provider_arn,
            "ClientId": self.client_ids[0],
            "ClientIds": list(self.client_ids),
        }
        params.update({f"Table:{t}": self.table_name(t) for t in (*LOGICAL_TABLES, *pattern_tables())})
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
class TableSpec:
    """One table as CreateTable makes it: keys, indexes (projections included) and TTL."""

    schema: TableSchema
    ttl_attribute: str | None = None

    @property
    def name(self) -> str:
        return self.schema.name

    def attributes(self) -> list[str]:
        """Every attribute of a key of the table or an index, once each (all strings here)."""
        names: list[str] = []
        for name in (self.schema.partition_key, self.schema.sort_key,
                     *(k for i in self.schema.indexes.values() for k in (i.partition_key, i.sort_key))):
            if name is not None and name not in names:
                names.append(name)
        return names

    def index_params(self, name: str) -> dict[str, Any]:
        index = self.schema.indexes[name]
        projection: dict[str, Any] = {"ProjectionType": index.projection}
        if index.projection == "INCLUDE":
            projection["NonKeyAttributes"] = list(index.non_key_attributes)
        return {"IndexName": index.name, "KeySchema": key_schema(index.partition_key, index.sort_key),
                "Projection": projection}

    def create_params(self) -> dict[str, Any]:
        """The CreateTable request (DynamoDB API Reference, CreateTable), on-demand billing."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": key_schema(self.schema.partition_key, self.schema.sort_key),
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in self.attributes()],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for kind, element in (("LSI", "LocalSecondaryIndexes"), ("GSI", "GlobalSecondaryIndexes")):
            indexes = [self.index_params(n) for n, i in self.schema.indexes.items() if i.type == kind]
            if indexes:
                params[element] = indexes
        return params


def key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key is not None:
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return schema


def table_specs(tables: Mapping[str, Mapping[str, Any]], name: Any) -> tuple[TableSpec, ...]:
    """``TableSpec`` of each ``{logical: case-format schema}``, named by ``name(logical)``."""
    return tuple(TableSpec(TableSchema.from_case(name(logical), spec), spec.get("ttl"))
                 for logical, spec in tables.items())


@dataclass(frozen=True)
class DesiredState:
    providers: tuple[ProviderSpec, ...]
    roles: tuple[RoleSpec, ...]
    tables: tuple[TableSpec, ...] = ()

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
    return DesiredState((ProviderSpec(params.issuer, params.client_ids, params.thumbprints),), tuple(roles),
                        table_specs(APP_TABLES, params.table_name))
