"""Bad input through the running stack: each gets DynamoDB's error (code, status, an actionable
message), never a 500 or a traceback, and nothing reaches storage. Also CORS and the audit log
as the stack serves them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.functional.dynamodb.conftest import Fgac, send, signed


def _post(f: Fgac, target: str, body: bytes, **kw: Any) -> Any:
    url = f.stack.dynamodb_url
    return send(url, signed(f.alice, url, target, body, **kw), body)


#: (rule, target, raw body, expected status, expected code)
FRAMING = [
    ("malformed JSON", "GetItem", b'{"TableName":', 400, "SerializationException"),
    ("a JSON list", "GetItem", b"[]", 400, "SerializationException"),
    ("a JSON string", "GetItem", b'"x"', 400, "SerializationException"),
    ("duplicate Key member", "DeleteItem",
     b'{"TableName":"T","Key":{"owner":{"S":"a"}},"Key":{"owner":{"S":"b"}}}', 400, "SerializationException"),
    ("deep nesting", "GetItem", b'{"a":' * 5000 + b"1" + b"}" * 5000, 400, "SerializationException"),
    ("unpaired surrogate", "PutItem",  # reached the engine's UTF-8 sizing as a 500
     b'{"TableName":"T","Item":{"owner":{"S":"a"},"t":{"S":"\\ud800"}}}', 400, "SerializationException"),
    ("unknown operation", "DropTable", b"{}", 400, "UnknownOperationException"),
    ("lower-case operation", "getItem", b"{}", 400, "UnknownOperationException"),
]


@pytest.mark.parametrize("rule, target, body, status, code", FRAMING, ids=[r[0] for r in FRAMING])
def test_framing(rule: str, target: str, body: bytes, status: int, code: str, f: Fgac) -> None:
    raw = _post(f, target, body)
    assert (raw.status, raw.code) == (status, code), raw.body[:300]
    assert b"Traceback" not in raw.body


def test_wrong_content_type(f: Fgac) -> None:
    """A body in a content type DynamoDB does not read is not routed: 404 and DynamoDB's bare
    ``<UnknownOperationException/>`` (dynalite test/connection.js, recorded live)."""
    url, body = f.stack.dynamodb_url, b'{"TableName":"T"}'
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "text/plain", "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    SigV4Auth(Credentials(f.alice.access_key_id, f.alice.secret_access_key, f.alice.session_token),
              "dynamodb", "us-east-1").add_auth(request)
    raw = send(url, dict(request.headers.items()), body)
    assert (raw.status, raw.body) == (404, b"<UnknownOperationException/>\n")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods(method: str, f: Fgac) -> None:
    raw = send(f.stack.dynamodb_url, {}, b"", method=method)
    assert (raw.status, raw.body) == (404, b"<UnknownOperationException/>\n")


def test_get_is_the_health_check(f: Fgac) -> None:
    raw = send(f.stack.dynamodb_url, {}, b"", method="GET")
    assert raw.status == 200 and raw.body.startswith(b"healthy: ")


#: Well-framed, signed, but wrong parameters: (target, params) -> a 400 from validation.
def _shapes(f: Fgac) -> list[tuple[str, dict[str, Any]]]:
    key = f.key(f.alice_sub, "n1")
    return [
        ("GetItem", {}),
        ("GetItem", {"TableName": f.table}),
        ("GetItem", {"TableName": f.table, "Key": "n1"}),
        ("GetItem", {"TableName": f.table, "Key": {"owner": {"S": f.alice_sub}}}),
        ("GetItem", {"TableName": f.table, "Key": {**key, "extra": {"S": "x"}}}),
        ("GetItem", {"TableName": f.table, "Key": {"owner": {"N": "1"}, "noteId": {"S": "n1"}}}),
        ("GetItem", {"TableName": f.table, "Key": {"owner": {"S": 1}, "noteId": {"S": "n1"}}}),
        ("GetItem", {"TableName": 7, "Key": key}),
        ("GetItem", {"TableName": ["a"], "Key": key}),
        ("GetItem", {"TableName": f.table, "Key": key, "ProjectionExpression": "title,,"}),
        ("GetItem", {"TableName": f.table, "Key": key, "ProjectionExpression": "#missing"}),
        ("GetItem", {"TableName": f.table, "Key": key, "ProjectionExpression": 5}),
        ("Query", {"TableName": f.table}),
        ("Query", {"TableName": f.table, "KeyConditionExpression": "owner = :o"}),
        ("Query", {"TableName": f.table, "KeyConditionExpression": "title = :o",
                   "ExpressionAttributeValues": {":o": {"S": "x"}}}),
        ("Query", {"TableName": f.table, "IndexName": "nope", "KeyConditionExpression": "#o = :o",
                   "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "x"}}}),
        ("UpdateItem", {"TableName": f.table, "Key": key, "UpdateExpression": "SET"}),
        ("UpdateItem", {"TableName": f.table, "Key": key, "UpdateExpression": "SET noteId = :x",
                        "ExpressionAttributeValues": {":x": {"S": "y"}}}),
        ("UpdateItem", {"TableName": f.table, "Key": key, "ReturnValues": "EVERYTHING"}),
        ("PutItem", {"TableName": f.writes, "Item": []}),
        ("BatchGetItem", {"RequestItems": []}),
        ("BatchGetItem", {"RequestItems": {f.table: {"Keys": "x"}}}),
        ("BatchWriteItem", {"RequestItems": {f.writes: [{"Nonsense": {}}]}}),
        ("TransactWriteItems", {"TransactItems": [{}]}),
        ("TransactWriteItems", {"TransactItems": "x"}),
        ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": f.table}}]}),
        ("ExecuteStatement", {"Statement": "SELEC nonsense"}),
        ("ExecuteStatement", {"Statement": 12}),
        ("ExecuteStatement", {}),
        ("Scan", {"TableName": f.table, "Segment": 5, "TotalSegments": 2}),
        ("Scan", {"TableName": f.table, "Limit": "ten"}),
        ("DescribeTable", {"TableName": ""}),
        ("DescribeTable", {"TableName": "arn:aws:dynamodb:eu-west-1:999999999999:table/Other"}),
    ]


def test_wrong_parameters_get_a_400_never_a_500(f: Fgac) -> None:
    failures = []
    for target, params in _shapes(f):
        raw = _post(f, target, json.dumps(params).encode())
        if raw.status != 400 or raw.code not in (
                "ValidationException", "ResourceNotFoundException", "AccessDeniedException",
                "SerializationException"):
            failures.append((target, params, raw.status, raw.body[:200]))
        elif not raw.message:
            failures.append((target, params, "no message"))
    assert failures == []
    assert "unexpected error handling DynamoDB request" not in f.stack.log()
    assert f.item(f.alice_sub, "n1") is not None


#: A caller without the right to the call: DynamoDB validates before it authorizes, so a malformed
#: request gets the validation error, not AccessDenied (fgac-semantics G-14), and a well-formed one
#: AccessDenied. (target, params, expected code, expected message prefix)
VALIDATE_BEFORE_AUTHORIZE = [
    ("Scan", {"TableName": "Forbidden", "Limit": 0}, "ValidationException",
     "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
     "Member must have value greater than or equal to 1"),
    ("Scan", {"TableName": "Forbidden", "Limit": "ten"}, "SerializationException",
     "STRING_VALUE cannot be converted to Integer"),
    ("GetItem", {"TableName": "Forbidden", "Key": {"owner": {"S": "x", "N": "1"}}}, "ValidationException",
     "Supplied AttributeValue has more than one datatypes set"),
    ("DeleteTable", {"TableName": "a;"}, "ValidationException",
     "TableName must be at least 3 characters long and at most 255 characters long"),
    ("Scan", {"TableName": "Forbidden"}, "AccessDeniedException", "User: arn:aws:sts::"),
]


@pytest.mark.parametrize("target, params, code, prefix", VALIDATE_BEFORE_AUTHORIZE,
                         ids=[f"{r[0]}-{r[2]}-{i}" for i, r in enumerate(VALIDATE_BEFORE_AUTHORIZE)])
def test_validation_comes_before_authorization(target: str, params: dict[str, Any], code: str, prefix: str,
                                               f: Fgac) -> None:
    # P1 grants alice neither Scan nor DeleteTable on f.table
    params = {**params, "TableName": f.table if params["TableName"] == "Forbidden" else params["TableName"]}
    raw = _post(f, target, json.dumps(params).encode())
    assert (raw.status, raw.code) == (400, code), raw.body[:300]
    assert raw.message.startswith(prefix), raw.message


def test_no_request_of_this_suite_reached_the_internal_error_path(f: Fgac) -> None:
    assert "InternalServerError" not in f.stack.log()
    assert "unexpected error handling DynamoDB request" not in f.stack.log()


def test_cors_on_the_stack(f: Fgac) -> None:
    app = f.stack.host_url
    raw = send(f.stack.dynamodb_url, {"Origin": app, "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "authorization,x-amz-target"},
               b"", method="OPTIONS")
    assert raw.status == 200 and raw.headers["access-control-allow-origin"] == app
    evil = send(f.stack.dynamodb_url, {"Origin": "http://evil.example",
                                       "Access-Control-Request-Method": "POST"}, b"", method="OPTIONS")
    assert evil.status == 403 and "access-control-allow-origin" not in evil.headers


def test_every_decision_is_in_the_audit_log(f: Fgac) -> None:
    db = f.client("alice")
    response = db.get_item(TableName=f.table, Key=f.key(f.alice_sub, "n1"), ProjectionExpression="title")
    allowed_id = response["ResponseMetadata"]["RequestId"]
    error = f.denied(lambda: db.get_item(TableName=f.table, Key=f.key(f.bob_sub, "b1"),
                                         ProjectionExpression="title"), "GetItem")
    denied_id = error["ResponseMetadata"]["RequestId"]
    entries = audit_entries(f, {allowed_id, denied_id})
    allow, deny = entries[allowed_id], entries[denied_id]
    assert allow["decision"] == "Allow" and allow["subject"] == f.alice_sub
    assert allow["matched"][0]["sid"] == "OwnItemsAllowedAttrs"
    assert allow["authorizations"][0]["leading_keys"] == [f.alice_sub]
    assert allow["authorizations"][0]["attributes"] == ["noteId", "owner", "title"]  # keys count (G-2)
    assert deny["decision"] == "Deny" and deny["deny_type"] == "implicit"
    assert deny["authorizations"][0]["leading_keys"] == [f.bob_sub]
    assert deny["principal"].endswith("/alice") and deny["source_ip"] == "127.0.0.1"


def audit_entries(f: Fgac, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The audit entries of ``wanted`` request ids; the writer thread lags by microseconds."""
    import time

    deadline = time.monotonic() + 5
    while True:
        text = (f.stack.data_dir / "audit.jsonl").read_text()
        entries = {e["request_id"]: e for e in map(json.loads, text.splitlines())}
        if wanted <= entries.keys() or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def test_audit_command_on_the_stack(f: Fgac) -> None:
    import subprocess
    import sys

    f.denied(lambda: f.client("alice").scan(TableName=f.table), "Scan")
    out = subprocess.run([sys.executable, "-m", "webapp", "audit", "--data-dir", str(f.stack.data_dir),
                          "--decision", "Deny", "--action", "Scan", "--table", f.table, "--format", "json"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines and all(e["decision"] == "Deny" and e["operation"] == "Scan" for e in lines)
