"""Plan: the IAM and DynamoDB API calls that bring an account from what it holds to the desired state.

The plan is data (a list of ``Change``), computed without side effects, so ``--dry-run`` prints
exactly what ``apply`` would do. Policy documents are compared as JSON values, not text, because
IAM returns them re-serialised. Anchor: chalice's ``deploy/planner.py`` (``APICall`` values).

Everything ``apply`` manages is compared, so that a later plan sees any drift:

- the OIDC provider: client ids (added and, with pruning, removed), thumbprints (when given);
- each role: trust policy, MaxSessionDuration, inline policies (extra ones removed with pruning);
- each table: key schema, local and global secondary indexes (key schema and projection), TTL.

What no API call can fix (a table's key schema or an LSI differs: DynamoDB fixes both at
CreateTable; a GSI whose keys or projection differ) is a ``problem``: the plan shows it and
``apply`` refuses to start, because the fix (recreating a table) loses data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iam_policies.deployment import DesiredState, TableSpec
from iam_policies.schema import IndexSchema, TableSchema


@dataclass(frozen=True)
class RemoteRole:
    name: str
    trust: Mapping[str, Any]
    policies: Mapping[str, Mapping[str, Any]]
    max_session_duration: int = 3600


@dataclass(frozen=True)
class RemoteProvider:
    arn: str
    url: str
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteTable:
    """A table as DescribeTable and DescribeTimeToLive show it."""

    schema: TableSchema
    #: The attribute TTL is enabled (or being enabled) on, or None.
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class RemoteState:
    providers: Mapping[str, RemoteProvider] = field(default_factory=dict)  # by URL without scheme
    roles: Mapping[str, RemoteRole] = field(default_factory=dict)
    #: By physical name; None: the tables were not read (``plan --no-tables``).
    tables: Mapping[str, RemoteTable] | None = None


@dataclass(frozen=True)
class Change:
    """One API call: ``api`` is the operation name, ``params`` its boto3 keyword arguments,
    ``service`` the client (``iam`` or ``dynamodb``)."""

    api: str
    params: Mapping[str, Any]
    reason: str
    service: str = "iam"

    def describe(self) -> str:
        target = self.params.get("RoleName") or self.params.get("Url") or self.params.get(
            "OpenIDConnectProviderArn") or self.params.get("TableName", "")
        policy = f" {self.params['PolicyName']}" if "PolicyName" in self.params else ""
        return f"{self.api} {target}{policy}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "api": self.api, "params": dict(self.params), "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    #: Differences no API call can repair without losing data; ``apply`` refuses while any remain.
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes and not self.problems


def _doc(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def make_plan(desired: DesiredState, remote: RemoteState, *, prune: bool = True) -> Plan:
    """The changes, in an order IAM accepts: providers before the roles that trust them."""
    changes: list[Change] = []
    for provider in desired.providers:
        key = provider.url.split("://", 1)[-1].rstrip("/")
        have = remote.providers.get(key)
        if have is None:
            changes.append(Change("CreateOpenIDConnectProvider", {
                "Url": provider.url, "ClientIDList": list(provider.client_ids),
                **({"ThumbprintList": list(provider.thumbprints)} if provider.thumbprints else {}),
            }, "the identity provider is not registered"))
            continue
        for client_id in provider.client_ids:
            if client_id not in have.client_ids:
                changes.append(Change("AddClientIDToOpenIDConnectProvider", {
                    "OpenIDConnectProviderArn": have.arn, "ClientID": client_id,
                }, f"client id {client_id!r} is not an audience of the provider"))
        if prune:
            for client_id in have.client_ids:
                if client_id not in provider.client_ids:
                    changes.append(Change("RemoveClientIDFromOpenIDConnectProvider", {
                        "OpenIDConnectProviderArn": have.arn, "ClientID": client_id,
                    }, f"client id {client_id!r} is an audience of the provider but not of the app"))
        if provider.thumbprints and sorted(provider.thumbprints) != sorted(t.lower() for t in have.thumbprints):
            changes.append(Change("UpdateOpenIDConnectProviderThumbprint", {
                "OpenIDConnectProviderArn": have.arn, "ThumbprintList": list(provider.thumbprints),
            }, f"the thumbprints are {', '.join(have.thumbprints) or 'none'}"))

    for role in desired.roles:
        have_role = remote.roles.get(role.name)
        if have_role is None:
            changes.append(Change("CreateRole", {
                "RoleName": role.name, "AssumeRolePolicyDocument": _doc(role.trust),
                "MaxSessionDuration": role.max_session_duration, "Description": role.description,
            }, "the role does not exist"))
            existing: Mapping[str, Mapping[str, Any]] = {}
        else:
            existing = have_role.policies
            if not _same(have_role.trust, role.trust):
                changes.append(Change("UpdateAssumeRolePolicy", {
                    "RoleName": role.name, "PolicyDocument": _doc(role.trust),
                }, "the trust policy differs"))
            if have_role.max_session_duration != role.max_session_duration:
                changes.append(Change("UpdateRole", {
                    "RoleName": role.name, "MaxSessionDuration": role.max_session_duration,
                }, f"MaxSessionDuration is {have_role.max_session_duration}, want {role.max_session_duration}"))
        for name, document in role.policies.items():
            current = existing.get(name)
            if current is None or not _same(current, document):
                changes.append(Change("PutRolePolicy", {
                    "RoleName": role.name, "PolicyName": name, "PolicyDocument": _doc(document),
                }, "the inline policy is missing" if current is None else "the inline policy differs"))
        if prune:
            for name in sorted(set(existing) - set(role.policies)):
                changes.append(Change("DeleteRolePolicy", {"RoleName": role.name, "PolicyName": name},
                                      "the inline policy is not in the templates"))
    problems: list[str] = []
    if remote.tables is not None:
        for table in desired.tables:
            _plan_table(table, remote.tables.get(table.name), changes, problems, prune=prune)
    return Plan(tuple(changes), tuple(problems))


def _ddb(api: str, params: Mapping[str, Any], reason: str) -> Change:
    return Change(api, params, reason, service="dynamodb")


def _ttl(name: str, attribute: str, enabled: bool) -> dict[str, Any]:
    return {"TableName": name, "TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


def _index_shape(index: IndexSchema) -> tuple[Any, ...]:
    non_key = tuple(sorted(index.non_key_attributes)) if index.projection == "INCLUDE" else ()
    return index.type, index.partition_key, index.sort_key, index.projection, non_key


def _plan_table(table: TableSpec, have: RemoteTable | None, changes: list[Change], problems: list[str],
                *, prune: bool) -> None:
    """CreateTable, UpdateTable (one GSI per call, as DynamoDB requires) and UpdateTimeToLive."""
    name, want = table.name, table.schema
    if have is None:
        changes.append(_ddb("CreateTable", table.create_params(), "the table does not exist"))
        if table.ttl_attribute:
            changes.append(_ddb("UpdateTimeToLive", _ttl(name, table.ttl_attribute, True),
                                f"TTL on {table.ttl_attribute} is off"))
        return
    got: TableSchema = have.schema
    if (got.partition_key, got.sort_key) != (want.partition_key, want.sort_key):
        problems.append(f"table {name}: key schema is {got.key_names}, want {want.key_names}; DynamoDB cannot "
                        "change keys: recreate the table (its items are lost) or rename it with --table-prefix")
    for index_name, index in want.indexes.items():
        current = got.indexes.get(index_name)
        if current is not None and _index_shape(current) == _index_shape(index):
            continue
        if index.type == "LSI" or current is not None:
            problems.append(f"table {name}: index {index_name} is "
                            f"{'missing' if current is None else _index_shape(current)}, want {_index_shape(index)}; "
                            + ("a local secondary index is fixed at CreateTable: recreate the table"
                               if index.type == "LSI" else "delete the index and plan again"))
            continue
        definitions = [{"AttributeName": a, "AttributeType": "S"}
                       for a in (index.partition_key, index.sort_key) if a is not None]
        changes.append(_ddb("UpdateTable", {
            "TableName": name, "AttributeDefinitions": definitions,
            "GlobalSecondaryIndexUpdates": [{"Create": table.index_params(index_name)}],
        }, f"the global secondary index {index_name} is missing"))
    for index_name, current in sorted(got.indexes.items()):
        if index_name in want.indexes:
            continue
        if current.type == "GSI" and prune:
            changes.append(_ddb("UpdateTable", {
                "TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index_name}}],
            }, f"the global secondary index {index_name} is not in the templates"))
        elif current.type == "LSI":
            problems.append(f"table {name}: local secondary index {index_name} is not in the templates; "
                            "it can only go with the table")
    if have.ttl_attribute != table.ttl_attribute:
        if have.ttl_attribute is not None and (prune or table.ttl_attribute):
            changes.append(_ddb("UpdateTimeToLive", _ttl(name, have.ttl_attribute, False),
                                f"TTL is on {have.ttl_attribute}, want "
                                f"{table.ttl_attribute or 'none'}"))
        if table.ttl_attribute:
            changes.append(_ddb("UpdateTimeToLive", _ttl(name, table.ttl_attribute, True),
                                f"TTL on {table.ttl_attribute} is off"))
