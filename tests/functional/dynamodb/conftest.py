"""F-base (security-anchors, "Fixtures used by the case file") mapped onto the running stack.

- A ``Notes`` table of our own (unique name, so tests never meet another suite's data): PK
  ``owner`` = the user's ``sub``, SK ``noteId``; GSI ``byOwnerUpdated`` (HASH owner, RANGE
  updatedAt, INCLUDE title) and GSI ``byPublic`` (HASH visibility, ALL).
- A role of our own with the user role's trust policy and the reference policy **P1** (dev-guide
  example 5) inline, so nothing we add reaches the app's ``WebUser`` role. ``alice`` and ``bob``
  assume it with ID tokens from the dev IdP, exactly as the page does.
- Items: alice/n1 and bob/b1, each carrying the hidden ``adminFlag``/``internalScore``.

The admin (``stack.admin``) creates and reads back everything: a denial is checked against what
the table really holds afterwards.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

PROVIDER = "idp.localhost/dev"
ALLOWED_ATTRS = ["owner", "noteId", "title", "body", "updatedAt"]


def p1(table_arn: str) -> dict[str, Any]:
    """The reference permission policy P1, with our provider's ``sub`` variable."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "OwnItemsAllowedAttrs", "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                   "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"],
        "Resource": [table_arn, f"{table_arn}/index/byOwnerUpdated"],
        "Condition": {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"${{{PROVIDER}:sub}}"],
                                          "dynamodb:Attributes": ALLOWED_ATTRS},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                     "dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]},
        },
    }]}


def p2(table_arn: str) -> dict[str, Any]:
    """Writes and PartiQL on a second table, own partition only: the allow side of the
    operations P1 leaves out (PutItem, BatchWriteItem, TransactWriteItems members, PartiQL)."""
    own = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"${{{PROVIDER}:sub}}"]},
           "Null": {"dynamodb:LeadingKeys": "false"}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "OwnPartition", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:Query",
                    "dynamodb:ConditionCheckItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert",
                    "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"],
         "Resource": table_arn, "Condition": own},
        {"Sid": "DescribeIt", "Effect": "Allow", "Action": "dynamodb:DescribeTable",
         "Resource": table_arn},
        # The trap of F-36: ForAllValues over no leading keys is vacuously true, so this
        # "own partition" Scan grant lets a Scan read every partition, on AWS and here.
        {"Sid": "VacuousScan", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": table_arn,
         "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"${{{PROVIDER}:sub}}"]}}},
    ]}


@dataclass
class Fgac:
    """The F-base world on the running stack."""

    stack: Any
    table: str
    writes: str
    role_arn: str
    alice: Any
    bob: Any
    alice_sub: str
    bob_sub: str

    @property
    def admin(self) -> Any:
        return self.stack.admin("dynamodb")

    def client(self, who: str = "alice") -> Any:
        return self.stack.dynamodb(self.alice if who == "alice" else self.bob)

    def key(self, owner: str, note: str) -> dict[str, Any]:
        return {"owner": {"S": owner}, "noteId": {"S": note}}

    def item(self, owner: str, note: str, table: str | None = None) -> dict[str, Any] | None:
        """What the table really holds (read back by the admin)."""
        got = self.admin.get_item(TableName=table or self.table, Key=self.key(owner, note),
                                  ConsistentRead=True)
        item: dict[str, Any] | None = got.get("Item")
        return item

    def seed(self) -> None:
        """Exactly alice/n1 and bob/b1 in both tables. Items an earlier test left (test_operations'
        PartiQL INSERT of alice/ins once made F-37's own-partition SELECT see two items) are
        deleted first, so no test depends on the order the session's tests run in."""
        seeded = {(self.alice_sub, "n1"), (self.bob_sub, "b1")}
        for table in (self.table, self.writes):
            pages = self.admin.get_paginator("scan").paginate(
                TableName=table, ConsistentRead=True, ProjectionExpression="#o, noteId",
                ExpressionAttributeNames={"#o": "owner"})
            for page in pages:
                for key in page["Items"]:
                    if (key["owner"].get("S"), key["noteId"].get("S")) not in seeded:
                        self.admin.delete_item(TableName=table, Key=key)
        for owner, note in ((self.alice_sub, "n1"), (self.bob_sub, "b1")):
            for table in (self.table, self.writes):
                self.admin.put_item(TableName=table, Item={
                    **self.key(owner, note), "title": {"S": f"title of {note}"},
                    "body": {"S": "text"}, "updatedAt": {"S": "2026-01-01T00:00:00Z"},
                    "visibility": {"S": "public"}, "adminFlag": {"BOOL": False},
                    "internalScore": {"N": "5"},
                })

    def denied(self, call: Callable[[], Any], action: str | None = None) -> dict[str, Any]:
        """Run ``call``; it must fail with AccessDeniedException (HTTP 400, AWS's text)."""
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response
        assert error["Error"]["Code"] == "AccessDeniedException", error["Error"]
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["ResponseMetadata"]["RetryAttempts"] == 0
        message = error["Error"]["Message"]
        assert message.startswith("User: arn:aws:sts::000000000000:assumed-role/FgacTester")
        if action:
            assert f"is not authorized to perform: dynamodb:{action} on resource: " in message
        return error  # type: ignore[no-any-return]


def _create_table(admin: Any, name: str) -> None:
    admin.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("owner", "noteId", "updatedAt", "visibility")],
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"},
                   {"AttributeName": "noteId", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "byOwnerUpdated",
             "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"},
                           {"AttributeName": "updatedAt", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}},
            {"IndexName": "byPublic",
             "KeySchema": [{"AttributeName": "visibility", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
    )


@pytest.fixture(scope="session")
def fgac(stack: Any) -> Iterator[Fgac]:
    yield new_world(stack)


@pytest.fixture
def private_fgac(stack: Any) -> Fgac:
    """A world of its own (tables and role), for a test that leaves items behind in it."""
    return new_world(stack)


def new_world(stack: Any) -> Fgac:
    """Two tables under P1 and P2, a role with that policy, alice and bob signed in to it."""
    suffix = secrets.token_hex(4)
    table, writes = f"Notes{suffix}", f"Writes{suffix}"
    admin = stack.admin("dynamodb")
    _create_table(admin, table)
    _create_table(admin, writes)
    arn = f"arn:aws:dynamodb:{stack.region}:{stack.account_id}:table/"
    iam = stack.admin("iam")
    trust = iam.get_role(RoleName="WebUser")["Role"]["AssumeRolePolicyDocument"]
    role_name = f"FgacTester{suffix}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust)
                           if not isinstance(trust, str) else trust)["Role"]
    iam.put_role_policy(RoleName=role_name, PolicyName="P1", PolicyDocument=json.dumps(p1(arn + table)))
    iam.put_role_policy(RoleName=role_name, PolicyName="P2", PolicyDocument=json.dumps(p2(arn + writes)))
    alice = stack.assume(stack.dev_token("alice"), session_name="alice", RoleArn=role["Arn"])
    bob = stack.assume(stack.dev_token("bob"), session_name="bob", RoleArn=role["Arn"])
    return Fgac(stack, table, writes, role["Arn"], alice, bob, alice.subject, bob.subject)


@pytest.fixture
def f(fgac: Fgac) -> Fgac:
    """F-base with alice/n1 and bob/b1 freshly written before each test."""
    fgac.seed()
    return fgac


# Raw signed requests --------------------------------------------------------------------------


@dataclass
class Raw:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def code(self) -> str:
        return str(self.json.get("__type", "")).rsplit("#", 1)[-1]

    @property
    def message(self) -> str:
        return str(self.json.get("message", self.json.get("Message", "")))


def signed(creds: Any, url: str, target: str, body: bytes, *, region: str = "us-east-1",
           service: str = "dynamodb", extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers botocore's SigV4Auth puts on a DynamoDB call (attack-cases' ``sign`` helper)."""
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}",
        **(extra or {}),
    })
    SigV4Auth(BotoCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
              service, region).add_auth(request)
    return dict(request.headers.items())


def send(url: str, headers: dict[str, str] | list[tuple[str, str]], body: bytes,
         method: str = "POST", content_length: int | None = None) -> Raw:
    """One HTTP request, exactly as given (repeated headers allowed), on a fresh connection."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, "/", skip_host=True, skip_accept_encoding=True)
        pairs = headers.items() if isinstance(headers, dict) else headers
        names = set()
        for name, value in pairs:
            conn.putheader(name, value)
            names.add(name.lower())
        if "host" not in names:
            conn.putheader("Host", parts.netloc)
        conn.putheader("Content-Length", str(len(body) if content_length is None else content_length))
        conn.endheaders(body)
        response = conn.getresponse()
        return Raw(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()
