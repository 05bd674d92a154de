"""The deployment as one AWS CloudFormation template: the OIDC provider, the roles, the tables.

``render --format cloudformation`` prints it, for admins who deploy with CloudFormation instead of
``apply``. It is built from the same ``DesiredState`` that ``plan`` and the local stack use, so the
three cannot disagree. Resource shapes follow the CloudFormation User Guide's resource reference
(``AWS::IAM::OIDCProvider``, ``AWS::IAM::Role`` with inline ``Policies``, ``AWS::DynamoDB::Table``
with ``TimeToLiveSpecification``); the roles name the provider with ``Ref`` (its ARN), so
CloudFormation creates the provider first. The tests run ``cfn-lint`` on the output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from iam_policies.deployment import DesiredState, TableSpec

PROVIDER_ID = "OidcProvider"


def _logical_id(prefix: str, name: str) -> str:
    return prefix + "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _with_provider_ref(document: Any, provider_arn: str) -> Any:
    """``document`` with the provider's ARN replaced by ``{"Ref": OidcProvider}``."""
    if document == provider_arn:
        return {"Ref": PROVIDER_ID}
    if isinstance(document, Mapping):
        return {k: _with_provider_ref(v, provider_arn) for k, v in document.items()}
    if isinstance(document, list):
        return [_with_provider_ref(v, provider_arn) for v in document]
    return document


def _table(table: TableSpec) -> dict[str, Any]:
    create = table.create_params()
    properties: dict[str, Any] = {k: v for k, v in create.items()}
    if table.ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def cloudformation_template(desired: DesiredState, provider_arn: str) -> dict[str, Any]:
    """The template (a JSON value); ``provider_arn`` is the ARN the rendered trust policies name."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for provider in desired.providers:
        properties: dict[str, Any] = {"Url": provider.url, "ClientIdList": list(provider.client_ids)}
        if provider.thumbprints:
            properties["ThumbprintList"] = list(provider.thumbprints)
        resources[PROVIDER_ID] = {"Type": "AWS::IAM::OIDCProvider", "Properties": properties}
    for role in desired.roles:
        logical = _logical_id("Role", role.name)
        resources[logical] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": role.name,
            "Description": role.description,
            "MaxSessionDuration": role.max_session_duration,
            "AssumeRolePolicyDocument": _with_provider_ref(dict(role.trust), provider_arn),
            "Policies": [{"PolicyName": name, "PolicyDocument": dict(document)}
                         for name, document in role.policies.items()],
        }}
        outputs[f"{logical}Arn"] = {"Description": f"the ARN of role {role.name}",
                                    "Value": {"Fn::GetAtt": [logical, "Arn"]}}
    for table in desired.tables:
        resources[_logical_id("Table", table.name)] = _table(table)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Two-tier DynamoDB app: OIDC provider, roles with fine-grained access policies, tables",
        "Resources": resources,
        "Outputs": outputs,
    }
