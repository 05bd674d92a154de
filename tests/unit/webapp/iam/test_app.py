"""The IAM endpoint over real HTTP, driven by boto3 exactly as the admin tooling drives AWS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.serving import make_server

from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority
from webapp.iam import create_iam_app
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings

ACCOUNT = "000000000000"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.localhost/dev"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}}]}
ALLOW_GET = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Get", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}


@dataclass
class LocalIam:
    url: str
    registry: IamRegistry
    credentials: CredentialAuthority
    settings: Settings

    def client(self, access_key: str, secret: str, token: str | None = None, **config: Any) -> Any:
        return boto3.client("iam", region_name="us-east-1", endpoint_url=self.url,
                            aws_access_key_id=access_key, aws_secret_access_key=secret,
                            aws_session_token=token, config=Config(retries={"max_attempts": 1}, **config))

    def admin(self) -> Any:
        key = self.credentials.ensure_service_key(f"arn:aws:iam::{ACCOUNT}:role/Admin", "admin")
        return self.client(key.access_key_id, key.secret_access_key)

    def host(self) -> Any:
        key = self.credentials.ensure_service_key(self.settings.host_role_arn, "host")
        return self.client(key.access_key_id, key.secret_access_key)

    def user(self) -> Any:
        minted = self.credentials.mint_session(role_arn=self.settings.user_role_arn, session_name="alice",
                                               duration_seconds=3600,
                                               variables={"idp.localhost/dev:sub": "alice-sub"})
        return self.client(minted.access_key_id, minted.secret_access_key, minted.session_token)


@pytest.fixture
def iam(tmp_path: Path) -> Iterator[LocalIam]:
    settings = Settings(data_dir=tmp_path)
    clock = ManualClock(time.time())
    registry = IamRegistry.open(settings, clock)
    credentials = CredentialAuthority.open(tmp_path, clock)
    server = make_server("127.0.0.1", 0, create_iam_app(settings, registry, credentials, clock), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield LocalIam(f"http://127.0.0.1:{server.port}", registry, credentials, settings)
    finally:
        server.shutdown()
        server.server_close()


def error(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_the_admin_reads_what_the_stack_provisioned(iam: LocalIam) -> None:
    admin = iam.admin()
    assert {r["RoleName"] for r in admin.list_roles()["Roles"]} == {"Admin", "WebHost", "WebUser"}
    role = admin.get_role(RoleName="WebUser")["Role"]
    assert role["Arn"] == iam.settings.user_role_arn and role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == TRUST["Statement"][0]["Condition"]
    assert admin.list_role_policies(RoleName="WebUser")["PolicyNames"] == ["user-access"]
    document = admin.get_role_policy(RoleName="WebUser", PolicyName="user-access")["PolicyDocument"]
    assert document["Statement"][0]["Sid"] == "OwnPhotosAndTags"
    [provider] = admin.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    described = admin.get_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    assert described["Url"] == "idp.localhost/dev" and described["ClientIDList"] == ["webapp"]


def test_oidc_provider_lifecycle(iam: LocalIam) -> None:
    admin = iam.admin()
    arn = admin.create_open_id_connect_provider(Url="https://login.example.com/tenant", ClientIDList=["a"],
                                                ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/login.example.com/tenant"
    admin.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="b")
    admin.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["B" * 40])
    described = admin.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert described["ClientIDList"] == ["a", "b"] and described["ThumbprintList"] == ["b" * 40]
    assert iam.registry.oidc_provider_for_issuer("https://login.example.com/tenant") is not None
    admin.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(lambda: admin.get_open_id_connect_provider(OpenIDConnectProviderArn=arn))[:2] == (404, "NoSuchEntity")


def test_role_and_inline_policy_lifecycle(iam: LocalIam) -> None:
    admin = iam.admin()
    created = admin.create_role(RoleName="Reader", AssumeRolePolicyDocument=json.dumps(TRUST), Path="/app/",
                                Description="reads", MaxSessionDuration=7200)["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/Reader" and created["RoleId"].startswith("AROA")
    admin.update_role(RoleName="Reader", MaxSessionDuration=10800)
    admin.update_assume_role_policy(RoleName="Reader", PolicyDocument=json.dumps(TRUST))
    admin.put_role_policy(RoleName="Reader", PolicyName="get", PolicyDocument=json.dumps(ALLOW_GET))
    assert admin.get_role_policy(RoleName="Reader", PolicyName="get")["PolicyDocument"] == ALLOW_GET
    assert admin.get_role(RoleName="Reader")["Role"]["MaxSessionDuration"] == 10800
    assert error(lambda: admin.delete_role(RoleName="Reader"))[:2] == (409, "DeleteConflict")
    admin.delete_role_policy(RoleName="Reader", PolicyName="get")
    admin.delete_role(RoleName="Reader")
    assert error(lambda: admin.get_role(RoleName="Reader")) == (
        404, "NoSuchEntity", "The role with name Reader cannot be found.")


def test_managed_policy_lifecycle(iam: LocalIam) -> None:
    admin = iam.admin()
    policy = admin.create_policy(PolicyName="Get", PolicyDocument=json.dumps(ALLOW_GET))["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/Get" and policy["DefaultVersionId"] == "v1"
    v2 = admin.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_GET), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    assert [v["VersionId"] for v in admin.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2", "v1"]
    version = admin.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_GET and version["IsDefaultVersion"] is False
    admin.delete_policy_version(PolicyArn=arn, VersionId="v1")
    admin.attach_role_policy(RoleName="WebUser", PolicyArn=arn)
    assert admin.list_attached_role_policies(RoleName="WebUser")["AttachedPolicies"] == [
        {"PolicyName": "Get", "PolicyArn": arn}]
    assert admin.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert error(lambda: admin.delete_policy(PolicyArn=arn))[:2] == (409, "DeleteConflict")
    admin.detach_role_policy(RoleName="WebUser", PolicyArn=arn)
    admin.delete_policy(PolicyArn=arn)
    assert error(lambda: admin.get_policy(PolicyArn=arn))[:2] == (404, "NoSuchEntity")


@pytest.mark.parametrize(
    "document",
    ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem"}]}',
     '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}]}',
     '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",'
     '"Condition":{"StringEqualz":{"a:b":"c"}}}]}',
     "not json"],
    ids=["no-resource", "unknown-element", "unknown-operator", "not-json"],
)
def test_malformed_documents_are_refused_and_nothing_changes(iam: LocalIam, document: str) -> None:
    before = iam.registry.identity_policies(iam.settings.user_role_arn)
    status, code, message = error(lambda: iam.admin().put_role_policy(
        RoleName="WebUser", PolicyName="bad", PolicyDocument=document))
    assert (status, code) == (400, "MalformedPolicyDocument") and message
    assert iam.registry.identity_policies(iam.settings.user_role_arn) == before


def test_put_role_policy_reaches_the_compiled_policies_at_once(iam: LocalIam) -> None:
    before = iam.registry.identity_policies(iam.settings.user_role_arn)
    iam.admin().put_role_policy(RoleName="WebUser", PolicyName="extra", PolicyDocument=json.dumps(ALLOW_GET))
    after = iam.registry.identity_policies(iam.settings.user_role_arn)
    assert len(after) == len(before) + 1
    reopened = IamRegistry.open(iam.settings, ManualClock())
    assert len(reopened.identity_policies(iam.settings.user_role_arn)) == len(after)


@pytest.mark.parametrize("who", ["user", "host"])
def test_only_principals_allowed_iam_actions_may_call(iam: LocalIam, who: str) -> None:
    client = getattr(iam, who)()
    status, code, message = error(lambda: client.put_role_policy(
        RoleName="WebUser", PolicyName="escalate",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})))
    role = "WebUser/alice" if who == "user" else "WebHost/host"
    assert (status, code) == (403, "AccessDenied")
    assert message == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role} is not authorized to perform: "
                       f"iam:PutRolePolicy on resource: arn:aws:iam::{ACCOUNT}:role/WebUser because no "
                       "identity-based policy allows the iam:PutRolePolicy action")
    assert "escalate" not in iam.registry.role(iam.settings.user_role_arn).inline_policies  # type: ignore[union-attr]


def test_signature_failures_answer_in_query_protocol_words(iam: LocalIam) -> None:
    key = iam.credentials.ensure_service_key(f"arn:aws:iam::{ACCOUNT}:role/Admin", "admin")
    wrong_secret = iam.client(key.access_key_id, "x" * 40)
    assert error(lambda: wrong_secret.list_roles())[:2] == (403, "SignatureDoesNotMatch")
    unknown = iam.client("AKIAUNKNOWNUNKNOWN00", "x" * 40)
    assert error(lambda: unknown.list_roles())[:2] == (403, "InvalidClientTokenId")
    unsigned = boto3.client("iam", region_name="us-east-1", endpoint_url=iam.url,
                            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    assert error(lambda: unsigned.list_roles())[:2] == (403, "MissingAuthenticationToken")


def test_unknown_actions_and_bad_requests_are_clean_errors(iam: LocalIam) -> None:
    assert error(lambda: iam.admin().list_users())[:2] == (400, "InvalidAction")
    response = requests.put(iam.url, data=b"x", timeout=10)
    assert response.status_code == 405 and b"<ErrorResponse" in response.content


def test_every_iam_decision_is_audited(iam: LocalIam) -> None:
    iam.admin().put_role_policy(RoleName="WebUser", PolicyName="extra", PolicyDocument=json.dumps(ALLOW_GET))
    with pytest.raises(ClientError):
        iam.user().delete_role_policy(RoleName="WebUser", PolicyName="extra")
    entries = [json.loads(line) for line in (iam.settings.data_dir / "audit.jsonl").read_text().splitlines()]
    allowed, denied = entries[-2:]
    assert (allowed["service"], allowed["operation"], allowed["decision"]) == ("iam", "PutRolePolicy", "Allow")
    assert allowed["principal"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/admin"
    assert allowed["authorizations"][0]["resource"] == f"arn:aws:iam::{ACCOUNT}:role/WebUser"
    assert (denied["operation"], denied["decision"], denied["deny_type"]) == ("DeleteRolePolicy", "Deny", "implicit")
    assert "extra" in iam.registry.role(iam.settings.user_role_arn).inline_policies  # type: ignore[union-attr]
