"""Session policies (fgac-semantics §C.8): the effective permissions are the intersection of the
role's policies and the session policy passed to AssumeRoleWithWebIdentity, inline (``Policy``)
or managed (``PolicyArns``)."""

from __future__ import annotations

import json
import secrets

from tests.functional.dynamodb.conftest import Fgac


def _session(f: Fgac, **kwargs: object) -> object:
    creds = f.stack.assume(f.stack.dev_token("alice"), session_name="alice", RoleArn=f.role_arn, **kwargs)
    return f.stack.dynamodb(creds)


def _reads_only(f: Fgac) -> dict[str, object]:
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.table}"
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": arn}]}


def test_inline_session_policy_narrows_the_role(f: Fgac) -> None:
    db = _session(f, Policy=json.dumps(_reads_only(f)))
    got = db.get_item(TableName=f.table, Key=f.key(f.alice_sub, "n1"), ProjectionExpression="title")  # type: ignore[attr-defined]
    assert got["Item"] == {"title": {"S": "title of n1"}}
    error = f.denied(lambda: db.update_item(  # type: ignore[attr-defined]
        TableName=f.table, Key=f.key(f.alice_sub, "n1"), UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": {"S": "changed"}}), "UpdateItem")
    assert error["Error"]["Message"].endswith("because no session policy allows the dynamodb:UpdateItem action")
    assert f.item(f.alice_sub, "n1")["title"] == {"S": "title of n1"}  # type: ignore[index]


def test_session_policy_never_widens_the_role(f: Fgac) -> None:
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.table}"
    everything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": [arn, arn + "/*"]}]}
    db = _session(f, Policy=json.dumps(everything))
    error = f.denied(lambda: db.get_item(TableName=f.table, Key=f.key(f.bob_sub, "b1")), "GetItem")  # type: ignore[attr-defined]
    assert "identity-based policy" in error["Error"]["Message"]


def test_managed_session_policy(f: Fgac) -> None:
    iam = f.stack.admin("iam")
    arn = iam.create_policy(PolicyName=f"ReadsOnly{secrets.token_hex(3)}",
                            PolicyDocument=json.dumps(_reads_only(f)))["Policy"]["Arn"]
    db = _session(f, PolicyArns=[{"arn": arn}])
    assert db.get_item(TableName=f.table, Key=f.key(f.alice_sub, "n1"),  # type: ignore[attr-defined]
                       ProjectionExpression="title")["Item"]
    f.denied(lambda: db.delete_item(TableName=f.table, Key=f.key(f.alice_sub, "n1")), "DeleteItem")  # type: ignore[attr-defined]
    assert f.item(f.alice_sub, "n1") is not None
