"""The IAM API of the running stack, through ``stack.admin("iam")``: a change is enforced by
DynamoDB on the very next request, survives a restart, and only the admin may make it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import Credentials, RunningStack

DENY_PROFILE_READS = {"Version": "2012-10-17", "Statement": [{
    "Sid": "NoProfileReads", "Effect": "Deny", "Action": "dynamodb:GetItem",
    "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Profiles"}]}


def read_own_profile(stack: RunningStack, creds: Credentials) -> dict[str, Any]:
    return stack.dynamodb(creds).get_item(  # type: ignore[no-any-return]
        TableName=stack.table("profiles"), Key={"UserId": {"S": creds.subject or ""}})


def denied(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert "Item" not in caught.value.response and "Items" not in caught.value.response
    return str(caught.value.response["Error"]["Code"]) + ": " + str(caught.value.response["Error"]["Message"])


def test_put_role_policy_is_enforced_on_the_next_request(stack: RunningStack) -> None:
    iam = stack.admin("iam")
    creds = stack.login("alice")
    assert read_own_profile(stack, creds)["Item"]
    iam.put_role_policy(RoleName="WebUser", PolicyName="no-profile-reads",
                        PolicyDocument=json.dumps(DENY_PROFILE_READS))
    try:
        message = denied(lambda: read_own_profile(stack, creds))
        assert message == (
            "AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/WebUser/alice is not authorized "
            "to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/Profiles "
            "with an explicit deny in an identity-based policy")
    finally:
        iam.delete_role_policy(RoleName="WebUser", PolicyName="no-profile-reads")
    assert read_own_profile(stack, creds)["Item"]


def test_an_attached_managed_policy_grants_until_detached(stack: RunningStack) -> None:
    iam = stack.admin("iam")
    creds = stack.login("bob")
    scan = lambda: stack.dynamodb(creds).scan(TableName=stack.table("games"), Limit=1)  # noqa: E731
    assert denied(scan).startswith("AccessDeniedException: ")
    arn = iam.create_policy(PolicyName="ScanGames", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan",
                                                "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Games"}]}),
                            )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="WebUser", PolicyArn=arn)
    try:
        assert "Items" in scan()
    finally:
        iam.detach_role_policy(RoleName="WebUser", PolicyArn=arn)
        iam.delete_policy(PolicyArn=arn)
    assert denied(scan).startswith("AccessDeniedException: ")


def test_a_malformed_policy_is_refused_and_changes_nothing(stack: RunningStack) -> None:
    iam = stack.admin("iam")
    before = iam.list_role_policies(RoleName="WebUser")["PolicyNames"]
    with pytest.raises(ClientError) as caught:
        iam.put_role_policy(RoleName="WebUser", PolicyName="broken", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Scan"}]}))
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert iam.list_role_policies(RoleName="WebUser")["PolicyNames"] == before


def test_users_cannot_change_their_own_role(stack: RunningStack) -> None:
    creds = stack.login("alice")
    import boto3
    from botocore.config import Config

    iam = boto3.client("iam", region_name=stack.region, endpoint_url=stack.iam_url,
                       aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
                       aws_session_token=creds.session_token, config=Config(retries={"max_attempts": 1}))
    message = denied(lambda: iam.put_role_policy(RoleName="WebUser", PolicyName="escalate", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})))
    assert message.startswith("AccessDenied: User: arn:aws:sts::000000000000:assumed-role/WebUser/alice is not "
                              "authorized to perform: iam:PutRolePolicy")
    assert "escalate" not in stack.admin("iam").list_role_policies(RoleName="WebUser")["PolicyNames"]


def test_changes_survive_a_restart(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    stack.admin("iam").put_role_policy(RoleName="WebUser", PolicyName="no-profile-reads",
                                       PolicyDocument=json.dumps(DENY_PROFILE_READS))
    stack.kill()  # no clean shutdown: the change was durable when the call returned
    stack.start()
    creds = stack.login("alice")
    assert "explicit deny" in denied(lambda: read_own_profile(stack, creds))
    assert stack.admin("iam").get_role_policy(RoleName="WebUser", PolicyName="no-profile-reads")[
        "PolicyDocument"] == DENY_PROFILE_READS
