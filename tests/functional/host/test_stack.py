"""The host on the running local stack: sign in through the dev IdP, trade the ID token with STS,
and the host's own key held to the ``WebHost`` policy (Sessions only)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import ROOT, RunningStack
from tests.functional.host.browser import SignIn, sign_in
from webapp.host.sessions import session_key


def session_id(stack: RunningStack, journey: SignIn) -> str:
    """The Sessions key of a browser's session: SHA-256 of the value in its signed cookie."""
    app = Flask("reader")
    app.secret_key = (stack.data_dir / "host" / "secret.key").read_text().strip().encode()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return session_key(serializer.loads(journey.session.cookies["webapp_session"])["sid"])


def sessions_item(stack: RunningStack, sid: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = stack.admin("dynamodb").get_item(
        TableName="Sessions", Key={"SessionId": {"S": sid}}, ConsistentRead=True).get("Item")
    return item


def set_attribute(stack: RunningStack, sid: str, name: str, value: int) -> None:
    stack.admin("dynamodb").update_item(
        TableName="Sessions", Key={"SessionId": {"S": sid}}, UpdateExpression="SET #a = :v",
        ExpressionAttributeNames={"#a": name}, ExpressionAttributeValues={":v": {"N": str(value)}})


def host_client(stack: RunningStack) -> Any:
    """DynamoDB signed with the host's own static key (the WebHost role)."""
    keys = json.loads((stack.data_dir / "keys" / "service-keys.json").read_text())
    [key] = [k for k in keys.values() if k["role_arn"].endswith(":role/WebHost")]
    return boto3.client("dynamodb", region_name=stack.region, endpoint_url=stack.dynamodb_url,
                        aws_access_key_id=key["access_key_id"],
                        aws_secret_access_key=key["secret_access_key"],
                        config=Config(retries={"max_attempts": 1}))


def test_browserless_sign_in_gives_a_token_sts_accepts(stack: RunningStack) -> None:
    journey = sign_in(stack.host_url, "alice")
    assert [urlsplit(r.url).path for r in journey.hops] == [
        "/auth/login", "/idp/authorize", "/idp/authorize", "/auth/callback"]
    assert journey.landed.status_code == 200 and urlsplit(journey.landed.url).path == "/"
    token = journey.token(stack.host_url)
    assert token.status_code == 200
    body = token.json()
    credentials = stack.assume(body["idToken"], session_name="alice")
    assert credentials.subject == body["sub"]
    assert credentials.assumed_role_arn == "arn:aws:sts::000000000000:assumed-role/WebUser/alice"
    # and those credentials work on alice's own profile (seeded with Plan/Role by the stack)
    profile = stack.dynamodb(credentials).get_item(TableName="Profiles", Key={"UserId": {"S": body["sub"]}})
    assert profile["Item"]["Plan"] == {"S": "pro"} and profile["Item"]["Role"] == {"S": "moderator"}


def test_refresh_on_near_expiry(stack: RunningStack) -> None:
    journey = sign_in(stack.host_url, "bob")
    first = journey.token(stack.host_url).json()
    sid = session_id(stack, journey)
    set_attribute(stack, sid, "IdTokenExp", first["expiresAt"] - 570)  # 30 s left: refresh
    second = journey.token(stack.host_url).json()
    assert second["idToken"] != first["idToken"] and second["sub"] == first["sub"]
    item = sessions_item(stack, sid)
    assert item is not None and item["IdToken"]["S"] == second["idToken"]
    assert stack.assume(second["idToken"]).subject == first["sub"]


def test_logout_csrf(stack: RunningStack) -> None:
    journey = sign_in(stack.host_url, "carol")
    csrf = journey.token(stack.host_url).json()["csrfToken"]
    sid = session_id(stack, journey)
    refused = journey.session.post(f"{stack.host_url}/auth/logout", timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert sessions_item(stack, sid) is not None
    done = journey.session.post(f"{stack.host_url}/auth/logout", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert done.status_code == 204
    assert sessions_item(stack, sid) is None
    assert journey.token(stack.host_url).status_code == 401


def test_an_expired_sessions_item_is_treated_as_absent(stack: RunningStack) -> None:
    journey = sign_in(stack.host_url, "alice")
    sid = session_id(stack, journey)
    set_attribute(stack, sid, "ExpiresAt", 1)  # long past; TTL has not deleted it
    response = journey.token(stack.host_url)
    assert (response.status_code, response.json()["error"]) == (401, "login_required")
    assert sessions_item(stack, sid) is not None


# The host's own key: Sessions only ----------------------------------------------------------

@pytest.mark.parametrize(("operation", "params"), [
    ("get_item", {"TableName": "Photos", "Key": {"UserId": {"S": "x"}, "PhotoId": {"S": "y"}}}),
    ("put_item", {"TableName": "Photos", "Item": {"UserId": {"S": "host-was-here"}, "PhotoId": {"S": "p"}}}),
    ("query", {"TableName": "Profiles", "KeyConditionExpression": "UserId = :u",
               "ExpressionAttributeValues": {":u": {"S": "x"}}}),
    ("scan", {"TableName": "Sessions"}),
])
def test_the_host_key_cannot_touch_the_users_tables(stack: RunningStack, operation: str,
                                                      params: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        getattr(host_client(stack), operation)(**params)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert ":assumed-role/WebHost/host is not authorized" in refused.value.response["Error"]["Message"]
    leaked = stack.admin("dynamodb").get_item(
        TableName="Photos", Key={"UserId": {"S": "host-was-here"}, "PhotoId": {"S": "p"}})
    assert "Item" not in leaked


def test_the_host_key_can_use_sessions(stack: RunningStack) -> None:
    client = host_client(stack)
    assert "Item" not in client.get_item(TableName="Sessions", Key={"SessionId": {"S": "0" * 64}})


# Tables --------------------------------------------------------------------------------------

def test_config_json_names_the_five_tables_and_they_exist(stack: RunningStack) -> None:
    config = requests.get(f"{stack.host_url}/config.json", timeout=10).json()
    assert config["tables"] == {"photos": "Photos", "photoTags": "PhotoTags", "profiles": "Profiles",
                                "games": "Games", "sessions": "Sessions"}
    assert (config["stsEndpoint"], config["dynamodbEndpoint"]) == (stack.sts_url, stack.dynamodb_url)
    admin = stack.admin("dynamodb")
    for name in config["tables"].values():
        assert admin.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ttl = admin.describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ExpiresAt")


def test_tables_command_against_the_stack(stack: RunningStack) -> None:
    command = [sys.executable, "-m", "webapp", "tables", "create", "--endpoint-url", stack.dynamodb_url,
               "--data-dir", str(stack.data_dir), "--format", "json"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert {r["table"]: r["status"] for r in json.loads(out.stdout)} == {
        "Photos": "exists", "PhotoTags": "exists", "Profiles": "exists", "Games": "exists",
        "Sessions": "exists"}
