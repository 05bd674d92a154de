"""What each IAM action does to the registry, and the result shape it answers with.

One handler per implemented action (``HANDLERS``, the IAM API reference's actions for OIDC
providers, roles, inline and managed policies); a handler takes the registry and the parameters
botocore's model parsed, and returns the action's result as the model's output shape (or None for
an action with no result). Shapes follow the IAM API reference "Data Types"; policy documents are
URL-encoded as IAM returns them (GetRolePolicy: "URL-encoded compliant with RFC 3986").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from webapp.iam.errors import NoSuchEntity
from webapp.iam.records import ManagedPolicy, OidcProvider, PolicyVersion, Role
from webapp.iam.registry import IamRegistry

Handler = Callable[[IamRegistry, dict[str, Any]], Mapping[str, Any] | None]


# Shapes -----------------------------------------------------------------------------------------------


def _document(text: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986); botocore decodes them."""
    return quote(text, safe="")


def _role(role: Role) -> dict[str, Any]:
    return {
        "Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
        "CreateDate": role.create_date, "AssumeRolePolicyDocument": _document(role.trust_policy),
        "Description": role.description or None, "MaxSessionDuration": role.max_session_duration,
    }


def _policy(registry: IamRegistry, policy: ManagedPolicy) -> dict[str, Any]:
    return {
        "PolicyName": policy.name, "PolicyId": policy.policy_id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version_id, "AttachmentCount": registry.attachment_count(policy.arn),
        "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "Description": policy.description or None,
        "CreateDate": policy.create_date, "UpdateDate": policy.update_date,
    }


def _version(policy: ManagedPolicy, version: PolicyVersion, *, with_document: bool) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "VersionId": version.version_id, "IsDefaultVersion": version.version_id == policy.default_version_id,
        "CreateDate": version.create_date,
    }
    if with_document:
        shape["Document"] = _document(version.document)
    return shape


def _provider(provider: OidcProvider) -> dict[str, Any]:
    return {
        "Url": provider.url, "ClientIDList": list(provider.client_ids),
        "ThumbprintList": list(provider.thumbprints), "CreateDate": provider.create_date,
    }


# Handlers ----------------------------------------------------------------------------------------------


def _create_oidc(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    provider = r.create_oidc_provider(p["Url"], p.get("ClientIDList", []), p.get("ThumbprintList", []))
    return {"OpenIDConnectProviderArn": provider.arn}


def _get_oidc(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return _provider(r.existing_provider(p["OpenIDConnectProviderArn"]))


def _list_oidc(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return {"OpenIDConnectProviderList": [{"Arn": provider.arn} for provider in r.oidc_providers()]}


def _update_thumbprints(r: IamRegistry, p: dict[str, Any]) -> None:
    r.update_oidc_thumbprints(p["OpenIDConnectProviderArn"], p.get("ThumbprintList", []))


def _add_client(r: IamRegistry, p: dict[str, Any]) -> None:
    r.add_client_id(p["OpenIDConnectProviderArn"], p["ClientID"])


def _remove_client(r: IamRegistry, p: dict[str, Any]) -> None:
    r.remove_client_id(p["OpenIDConnectProviderArn"], p["ClientID"])


def _delete_oidc(r: IamRegistry, p: dict[str, Any]) -> None:
    r.delete_oidc_provider(p["OpenIDConnectProviderArn"])


def _create_role(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    role = r.create_role(p["RoleName"], p["AssumeRolePolicyDocument"], path=p.get("Path", "/"),
                         description=p.get("Description", ""),
                         max_session_duration=p.get("MaxSessionDuration", 3600))
    return {"Role": _role(role)}


def _get_role(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return {"Role": _role(r.existing_role(p["RoleName"]))}


def _list_roles(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    prefix = p.get("PathPrefix", "/")
    return {"Roles": [_role(role) for role in r.roles() if role.path.startswith(prefix)], "IsTruncated": False}


def _update_role(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    r.update_role(p["RoleName"], max_session_duration=p.get("MaxSessionDuration"),
                  description=p.get("Description"))
    return {}


def _update_trust(r: IamRegistry, p: dict[str, Any]) -> None:
    r.update_assume_role_policy(p["RoleName"], p["PolicyDocument"])


def _delete_role(r: IamRegistry, p: dict[str, Any]) -> None:
    r.delete_role(p["RoleName"])


def _put_role_policy(r: IamRegistry, p: dict[str, Any]) -> None:
    r.put_role_policy(p["RoleName"], p["PolicyName"], p["PolicyDocument"])


def _get_role_policy(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    text = r.role_policy(p["RoleName"], p["PolicyName"])
    return {"RoleName": p["RoleName"], "PolicyName": p["PolicyName"], "PolicyDocument": _document(text)}


def _list_role_policies(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return {"PolicyNames": sorted(r.existing_role(p["RoleName"]).inline_policies), "IsTruncated": False}


def _delete_role_policy(r: IamRegistry, p: dict[str, Any]) -> None:
    r.delete_role_policy(p["RoleName"], p["PolicyName"])


def _create_policy(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    policy = r.create_policy(p["PolicyName"], p["PolicyDocument"], path=p.get("Path", "/"),
                             description=p.get("Description", ""))
    return {"Policy": _policy(r, policy)}


def _get_policy(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return {"Policy": _policy(r, r.existing_policy(p["PolicyArn"]))}


def _list_policies(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    return {"Policies": [_policy(r, policy) for policy in r.managed_policies()], "IsTruncated": False}


def _get_policy_version(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    policy = r.existing_policy(p["PolicyArn"])
    version = policy.version(p["VersionId"])
    if version is None:
        raise NoSuchEntity(f"Policy {p['PolicyArn']} version {p['VersionId']} does not exist or is not attachable.")
    return {"PolicyVersion": _version(policy, version, with_document=True)}


def _create_policy_version(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    version = r.create_policy_version(p["PolicyArn"], p["PolicyDocument"],
                                      set_as_default=p.get("SetAsDefault", False))
    policy = r.existing_policy(p["PolicyArn"])
    return {"PolicyVersion": _version(policy, version, with_document=False)}


def _delete_policy_version(r: IamRegistry, p: dict[str, Any]) -> None:
    r.delete_policy_version(p["PolicyArn"], p["VersionId"])


def _set_default_version(r: IamRegistry, p: dict[str, Any]) -> None:
    r.set_default_policy_version(p["PolicyArn"], p["VersionId"])


def _list_policy_versions(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    policy = r.existing_policy(p["PolicyArn"])
    versions = [_version(policy, v, with_document=False) for v in reversed(policy.versions)]
    return {"Versions": versions, "IsTruncated": False}


def _attach(r: IamRegistry, p: dict[str, Any]) -> None:
    r.attach_role_policy(p["RoleName"], p["PolicyArn"])


def _detach(r: IamRegistry, p: dict[str, Any]) -> None:
    r.detach_role_policy(p["RoleName"], p["PolicyArn"])


def _list_attached(r: IamRegistry, p: dict[str, Any]) -> Mapping[str, Any]:
    role = r.existing_role(p["RoleName"])
    attached = []
    for arn in role.attached_policies:
        policy = r.managed_policy_record(arn)
        if policy is not None:
            attached.append({"PolicyName": policy.name, "PolicyArn": arn})
    return {"AttachedPolicies": attached, "IsTruncated": False}


def _delete_policy(r: IamRegistry, p: dict[str, Any]) -> None:
    r.delete_policy(p["PolicyArn"])


HANDLERS: dict[str, Handler] = {
    "CreateOpenIDConnectProvider": _create_oidc,
    "GetOpenIDConnectProvider": _get_oidc,
    "ListOpenIDConnectProviders": _list_oidc,
    "UpdateOpenIDConnectProviderThumbprint": _update_thumbprints,
    "AddClientIDToOpenIDConnectProvider": _add_client,
    "RemoveClientIDFromOpenIDConnectProvider": _remove_client,
    "DeleteOpenIDConnectProvider": _delete_oidc,
    "CreateRole": _create_role,
    "GetRole": _get_role,
    "ListRoles": _list_roles,
    "UpdateRole": _update_role,
    "UpdateAssumeRolePolicy": _update_trust,
    "DeleteRole": _delete_role,
    "PutRolePolicy": _put_role_policy,
    "GetRolePolicy": _get_role_policy,
    "ListRolePolicies": _list_role_policies,
    "DeleteRolePolicy": _delete_role_policy,
    "CreatePolicy": _create_policy,
    "GetPolicy": _get_policy,
    "ListPolicies": _list_policies,
    "GetPolicyVersion": _get_policy_version,
    "CreatePolicyVersion": _create_policy_version,
    "DeletePolicyVersion": _delete_policy_version,
    "SetDefaultPolicyVersion": _set_default_version,
    "ListPolicyVersions": _list_policy_versions,
    "AttachRolePolicy": _attach,
    "DetachRolePolicy": _detach,
    "ListAttachedRolePolicies": _list_attached,
    "DeletePolicy": _delete_policy,
}
