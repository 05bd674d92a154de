"""The local IAM endpoint: IAM's Query API over WSGI, behind our SigV4 and our policy engine.

So the admin tooling applies the templates to the local stack exactly as it does to AWS (boto3
``iam`` client, ``endpoint_url`` = port P+3). Each request is:

1. read: form POST (or GET query), ``Action`` + ``Version=2010-05-08``, parameters parsed with the
   botocore model of the action (``webapp.query_protocol.wire.parse_params``);
2. authenticated: ``webapp.sigv4.verify`` with service ``iam`` -> the caller's ``Principal``; a
   failure answers in the Query protocol's words (``SignatureDoesNotMatch``, ``InvalidClientTokenId``,
   403);
3. authorized: ``iam:<Action>`` on the entity's ARN, evaluated with the caller's role policies (and
   session policies) -> ``AccessDenied`` 403 with AWS's text; only the Admin role is allowed;
4. executed on the ``IamRegistry`` (validation with ``Policy.parse`` -> ``MalformedPolicyDocument``;
   every change persisted and the compiled-policy cache dropped);
5. answered with the XML botocore expects (``webapp.query_protocol.wire.response_xml``); policy documents URL-encoded as
   IAM returns them (IAM API reference, GetRolePolicy: "URL-encoded compliant with RFC 3986").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from iam_policies.authorization import Authorization
from iam_policies.evaluate import evaluate
from iam_policies.policy import Policy
from webapp.audit import AuditLog, now_iso
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, Principal
from webapp.iam.errors import AccessDenied, NoSuchEntity, ServiceFailure, ValidationError
from webapp.iam.records import ManagedPolicy, OidcProvider, PolicyVersion, Role
from webapp.iam.registry import IamRegistry
from webapp.query_protocol.endpoint import action_of, authenticate, query_endpoint, read_params, xml_response
from webapp.query_protocol.wire import ParameterError, parse_params, service_model
from webapp.settings import Settings

VERSION = "2010-05-08"
MAX_BODY_BYTES = 256 * 1024
log = logging.getLogger("webapp.iam")

Handler = Callable[[IamRegistry, dict[str, Any]], Mapping[str, Any] | None]


def create_iam_app(settings: Settings, registry: IamRegistry, credentials: CredentialAuthority,
                   clock: Clock, *, audit: Callable[[Mapping[str, Any]], None] | None = None,
                   ) -> Callable[..., Iterable[bytes]]:
    """The IAM WSGI app (port P+3). Every authorization decision goes to ``audit`` (by default the
    stack's ``<data>/audit.jsonl``), so "who changed the user role?" has an answer."""
    account = settings.account_id
    service_model("iam")  # load botocore's model now, not on the first request
    if audit is None:
        audit = _default_audit(settings)

    def handle(request: Request, request_id: str) -> Response:
        form = read_params(request, MAX_BODY_BYTES, _too_large)
        principal = authenticate(request, "iam", credentials, clock, settings)
        action = action_of(form, VERSION, HANDLERS)
        operation = service_model("iam").operation_model(action)
        try:
            params = parse_params(operation, form)
        except ParameterError as exc:
            raise ValidationError(
                f"1 validation error detected: Value at '{exc.name}' failed to satisfy constraint: "
                f"Member must be {exc.expected}"
            ) from None
        for name in operation.input_shape.required_members if operation.input_shape else ():
            if name not in params:
                raise ValidationError(
                    f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed to "
                    "satisfy constraint: Member must not be null"
                )
        _authorize(principal, action, _resource(account, registry, action, params), request, request_id)
        result = HANDLERS[action](registry, params)
        return xml_response("iam", action, result, request_id)

    def _authorize(principal: Principal, action: str, resource: str, request: Request, request_id: str) -> None:
        session: list[Policy] | None = None
        if principal.session_policy or principal.session_policy_arns:
            session = []
            if principal.session_policy:
                session.append(Policy.parse(principal.session_policy, kind="session"))
            for arn in principal.session_policy_arns:
                managed = registry.managed_policy(arn)
                if managed is not None:
                    session.append(managed)
        decision = evaluate(
            [Authorization(f"iam:{action}", resource, {})],
            identity=registry.identity_policies(principal.role_arn),
            session=session,
            variables=principal.variables,
        )
        result = decision.results[0]
        if audit is not None:
            audit({
                "time": now_iso(clock()), "request_id": request_id, "service": "iam", "operation": action,
                "principal": principal.arn, "source_ip": request.remote_addr or "",
                "authorizations": [{"action": f"iam:{action}", "resource": resource,
                                    "decision": "Allow" if result.allowed else "Deny",
                                    "deny_type": result.deny_type}],
                "decision": "Allow" if decision.allowed else "Deny", "deny_type": decision.deny_type,
                "matched": [m.to_dict() for m in result.deciding],
            })
        if not decision.allowed:
            raise AccessDenied(decision.access_denied_message(principal.arn))

    return query_endpoint("iam", handle, ServiceFailure, log)


def _default_audit(settings: Settings) -> Callable[[Mapping[str, Any]], None]:
    return AuditLog(settings.data_dir / "audit.jsonl").record


def _too_large() -> ValidationError:
    return ValidationError("The request body is too large")


# The entity each action is about (its ARN is the Resource IAM authorizes) ----------------------------


def _resource(account: str, registry: IamRegistry, action: str, params: Mapping[str, Any]) -> str:
    if "RoleName" in params:
        role = registry.role_by_name(params["RoleName"])
        if role is not None:
            return role.arn
        return f"arn:aws:iam::{account}:role{params.get('Path', '/')}{params['RoleName']}"
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    if action == "CreatePolicy":
        return f"arn:aws:iam::{account}:policy{params.get('Path', '/')}{params['PolicyName']}"
    if "OpenIDConnectProviderArn" in params:
        return str(params["OpenIDConnectProviderArn"])
    if action == "CreateOpenIDConnectProvider":
        url = str(params["Url"]).split("://", 1)[-1].rstrip("/")
        return f"arn:aws:iam::{account}:oidc-provider/{url}"
    return "*"


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
