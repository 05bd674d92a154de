"""Request-level global condition keys the endpoint puts in every request context (IAM UG,
"AWS global condition context keys"): aws:SourceIp, aws:SecureTransport, aws:CurrentTime,
aws:EpochTime, aws:RequestedRegion. One policy per key on a table of its own: the first holds
for a request from this machine over plain HTTP now, the second cannot."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.dynamodb.conftest import Fgac, _create_table

#: (key's condition that holds, one that cannot) for GetItem and Query respectively.
CONDITIONS = [
    ("aws:SourceIp", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
     {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    ("aws:SecureTransport", {"Bool": {"aws:SecureTransport": "false"}},
     {"Bool": {"aws:SecureTransport": "true"}}),
    ("aws:CurrentTime", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
     {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    ("aws:EpochTime", {"NumericGreaterThan": {"aws:EpochTime": "1577836800"}},
     {"NumericLessThan": {"aws:EpochTime": "1577836800"}}),
    ("aws:RequestedRegion", {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
     {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
]


@pytest.fixture(scope="module")
def tables(fgac: Fgac) -> Iterator[dict[str, str]]:
    admin, iam = fgac.stack.admin("dynamodb"), fgac.stack.admin("iam")
    names: dict[str, str] = {}
    statements: list[dict[str, Any]] = []
    for key, holds, fails in CONDITIONS:
        name = f"Keys{secrets.token_hex(4)}"
        _create_table(admin, name)
        admin.put_item(TableName=name, Item=fgac.key(fgac.alice_sub, "n1"))
        arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}"
        statements += [
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn, "Condition": holds},
            {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": arn, "Condition": fails},
        ]
        names[key] = name
    iam.put_role_policy(RoleName=fgac.role_arn.rsplit("/", 1)[1], PolicyName="RequestKeys",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    yield names


@pytest.mark.parametrize("key", [c[0] for c in CONDITIONS])
def test_request_key(key: str, tables: dict[str, str], fgac: Fgac) -> None:
    db, table = fgac.client("alice"), tables[key]
    assert db.get_item(TableName=table, Key=fgac.key(fgac.alice_sub, "n1"))["Item"]
    fgac.denied(lambda: db.query(
        TableName=table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": fgac.alice_sub}}), "Query")
