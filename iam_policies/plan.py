"""Plan: the IAM API calls that bring an account from what it holds to the desired state.

The plan is data (a list of ``Change``), computed without side effects, so ``--dry-run`` prints
exactly what ``apply`` would do. Policy documents are compared as JSON values, not text, because
IAM returns them re-serialised. Anchor: chalice's ``deploy/planner.py`` (``APICall`` values).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iam_policies.deployment import DesiredState


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


@dataclass(frozen=True)
class RemoteState:
    providers: Mapping[str, RemoteProvider] = field(default_factory=dict)  # by URL without scheme
    roles: Mapping[str, RemoteRole] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One IAM API call: ``api`` is the operation name, ``params`` its boto3 keyword arguments."""

    api: str
    params: Mapping[str, Any]
    reason: str

    def describe(self) -> str:
        target = self.params.get("RoleName") or self.params.get("Url") or self.params.get(
            "OpenIDConnectProviderArn", "")
        policy = f" {self.params['PolicyName']}" if "PolicyName" in self.params else ""
        return f"{self.api} {target}{policy}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"api": self.api, "params": dict(self.params), "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes


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
    return Plan(tuple(changes))
