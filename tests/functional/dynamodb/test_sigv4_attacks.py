"""Attack cases S-01..S-25 (layer ``sigv4`` of shared/spec/attack-cases.json) against the running
stack: each forged request gets AWS's error and changes nothing (read back by the admin)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.functional.dynamodb.conftest import Fgac, Raw, send, signed


def get_body(f: Fgac, owner: str | None = None) -> bytes:
    return json.dumps({"TableName": f.table, "Key": f.key(owner or f.alice_sub, "n1"),
                       "ProjectionExpression": "title"}).encode()


def delete_body(f: Fgac) -> bytes:
    return json.dumps({"TableName": f.table, "Key": f.key(f.alice_sub, "n1")}).encode()


def with_creds(c: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(c, **changes)


def test_a_correctly_signed_request_passes(f: Fgac) -> None:
    """The baseline every attack below departs from."""
    raw = send(f.stack.dynamodb_url, signed(f.alice, f.stack.dynamodb_url, "GetItem", get_body(f)), get_body(f))
    assert raw.status == 200, raw.body
    assert raw.json["Item"]["title"] == {"S": "title of n1"}


def _attack(f: Fgac, name: str) -> Raw:
    url, body = f.stack.dynamodb_url, get_body(f)
    alice, bob = f.alice, f.bob
    if name == "S-01":
        return send(url, signed(with_creds(alice, secret_access_key="x" * 40), url, "GetItem", body), body)
    if name == "S-02":
        return send(url, signed(with_creds(alice, access_key_id="ASIAXXXXXXXXXXXXXXXX"), url, "GetItem", body), body)
    if name == "S-03":
        return send(url, signed(with_creds(alice, session_token=None), url, "GetItem", body), body)
    if name == "S-04":
        return send(url, signed(with_creds(alice, session_token=bob.session_token), url, "GetItem", body), body)
    if name == "S-09":
        headers = signed(alice, url, "GetItem", body)
        return send(url, headers, get_body(f, owner=f.bob_sub))
    if name == "S-15":
        return send(url, signed(alice, url, "GetItem", body, region="eu-west-1"), body)
    if name == "S-16-sts":
        return send(url, signed(alice, url, "GetItem", body, service="sts"), body)
    if name == "S-16-s3":
        return send(url, signed(alice, url, "GetItem", body, service="s3"), body)
    raise AssertionError(name)


#: (case, expected code, message fragment)
SIMPLE = [
    ("S-01", "InvalidSignatureException", "The request signature we calculated does not match the signature you provided"),
    ("S-02", "UnrecognizedClientException", "The security token included in the request is invalid."),
    ("S-03", "UnrecognizedClientException", "The security token included in the request is invalid."),
    ("S-04", "UnrecognizedClientException", "The security token included in the request is invalid."),
    ("S-09", "InvalidSignatureException", "does not match the signature you provided"),
    ("S-15", "InvalidSignatureException", "Credential should be scoped to a valid region"),
    ("S-16-sts", "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'"),
    ("S-16-s3", "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'"),
]


@pytest.mark.parametrize("case, code, fragment", SIMPLE, ids=[c[0] for c in SIMPLE])
def test_forged_request_is_refused(case: str, code: str, fragment: str, f: Fgac) -> None:
    raw = _attack(f, case)
    assert (raw.status, raw.code) == (400, code), raw.body
    assert fragment in raw.message
    assert "Item" not in raw.json and "title of" not in raw.body.decode()


def _signed_at(f: Fgac, offset: float, body: bytes) -> dict[str, str]:
    import datetime as dt
    from unittest import mock

    when = dt.datetime.fromtimestamp(time.time() + offset, dt.UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", lambda: when):
        return signed(f.alice, f.stack.dynamodb_url, "GetItem", body)


def test_s06_signed_six_minutes_ago(f: Fgac) -> None:
    raw = send(f.stack.dynamodb_url, _signed_at(f, -360, get_body(f)), get_body(f))
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert raw.message.startswith("Signature expired: ") and raw.message.endswith(" - 5 min.)")
    assert " is now earlier than " in raw.message


def test_s07_signed_six_minutes_ahead(f: Fgac) -> None:
    raw = send(f.stack.dynamodb_url, _signed_at(f, 360, get_body(f)), get_body(f))
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert raw.message.startswith("Signature not yet current: ") and raw.message.endswith(" + 5 min.)")


def test_s11_unsigned_target_cannot_turn_a_read_into_a_delete(f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, delete_body(f)
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url + "/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials(f.alice.access_key_id, f.alice.secret_access_key, f.alice.session_token),
              "dynamodb", "us-east-1").add_auth(request)
    headers = {**dict(request.headers.items()), "X-Amz-Target": "DynamoDB_20120810.DeleteItem"}
    raw = send(url, headers, body)
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert "'X-Amz-Target' must be a 'SignedHeader'" in raw.message
    assert f.item(f.alice_sub, "n1") is not None


def test_s12_host_not_signed(f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, get_body(f)
    headers = signed(f.alice, url, "GetItem", body)
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=content-type;host;",
                                                                "SignedHeaders=content-type;")
    raw = send(url, headers, body)
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert raw.message == "'Host' must be a 'SignedHeader' in the AWS Authorization."


@pytest.mark.parametrize("repeat", ["X-Amz-Target", "X-Amz-Date", "Authorization"])
def test_s14_repeated_headers(repeat: str, f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, delete_body(f)
    headers = signed(f.alice, url, "DeleteItem", body)
    second = {"X-Amz-Target": "DynamoDB_20120810.GetItem", "X-Amz-Date": headers["X-Amz-Date"],
              "Authorization": headers["Authorization"]}[repeat]
    raw = send(url, [*headers.items(), (repeat, second)], body)
    assert raw.status == 400
    assert raw.code in ("UnknownOperationException", "IncompleteSignatureException")
    assert "repeated" in raw.message or "exactly once" in raw.message
    assert f.item(f.alice_sub, "n1") is not None


def test_s17_scope_date_is_not_the_request_date(f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, get_body(f)
    headers = signed(f.alice, url, "GetItem", body)
    today = headers["X-Amz-Date"][:8]
    headers["Authorization"] = headers["Authorization"].replace(f"/{today}/", "/20200101/")
    raw = send(url, headers, body)
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert raw.message.startswith("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                  "version of date from HTTP")


@pytest.mark.parametrize("scheme", ["AWS4-HMAC-SHA1", "AWS4-ECDSA-P256-SHA256"])
def test_s19_other_algorithms(scheme: str, f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, get_body(f)
    headers = signed(f.alice, url, "GetItem", body)
    headers["Authorization"] = headers["Authorization"].replace("AWS4-HMAC-SHA256", scheme)
    raw = send(url, headers, body)
    assert (raw.status, raw.code) == (400, "IncompleteSignatureException")
    assert f"Unsupported AWS 'algorithm': '{scheme}'" in raw.message


def test_s19_sigv2(f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, get_body(f)
    headers = signed(f.alice, url, "GetItem", body)
    headers["Authorization"] = f"AWS {f.alice.access_key_id}:Zm9vYmFy"
    raw = send(url, headers, body)
    assert (raw.status, raw.code) == (400, "IncompleteSignatureException")


def _edit_auth(headers: dict[str, str], edit: Any) -> dict[str, str]:
    return {**headers, "Authorization": edit(headers["Authorization"])}


#: S-20 (a)-(e): (variant, edit of the headers, expected code)
S20 = [
    ("a no Authorization", lambda h: {k: v for k, v in h.items() if k != "Authorization"},
     "MissingAuthenticationTokenException"),
    ("b no Signature", lambda h: _edit_auth(h, lambda a: a.rpartition(", Signature=")[0]),
     "IncompleteSignatureException"),
    ("c no Credential", lambda h: _edit_auth(h, lambda a: "AWS4-HMAC-SHA256 " + a.partition(", ")[2]),
     "IncompleteSignatureException"),
    ("d 63 hex", lambda h: _edit_auth(h, lambda a: a[:-1]), "IncompleteSignatureException"),
    ("e upper-case hex", lambda h: _edit_auth(h, lambda a: a.rpartition("=")[0] + "=" + a.rpartition("=")[2].upper()),
     "InvalidSignatureException"),
]


@pytest.mark.parametrize("variant, edit, code", S20, ids=[v[0] for v in S20])
def test_s20_malformed_or_missing_auth(variant: str, edit: Any, code: str, f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, get_body(f)
    raw = send(url, edit(signed(f.alice, url, "GetItem", body)), body)
    assert (raw.status, raw.code) == (400, code)
    assert "Item" not in raw.json


def test_s24_declared_length_shorter_than_the_body(f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, delete_body(f)
    raw = send(url, signed(f.alice, url, "DeleteItem", body), body, content_length=10)
    assert raw.status == 400 and raw.code in ("SerializationException", "InvalidSignatureException")
    assert f.item(f.alice_sub, "n1") is not None


def test_s24_twenty_megabytes(f: Fgac) -> None:
    url = f.stack.dynamodb_url
    body = json.dumps({"TableName": f.table, "Item": {**f.key(f.alice_sub, "big"),
                                                      "body": {"S": "x" * (20 * 1024 * 1024)}}}).encode()
    raw = send(url, signed(f.alice, url, "PutItem", body), body)
    assert (raw.status, raw.code) == (413, "RequestEntityTooLarge")
    assert f.item(f.alice_sub, "big") is None


def test_expired_session(f: Fgac) -> None:
    """A session that ended an hour ago (minted with the stack's own key, as its STS would have
    done two hours ago) gets ExpiredTokenException, and nothing is deleted."""
    from webapp.credentials import CredentialAuthority

    two_hours_ago = time.time() - 7200
    old = CredentialAuthority.open(f.stack.data_dir, lambda: two_hours_ago).mint_session(
        role_arn=f.role_arn, session_name="alice", duration_seconds=3600,
        variables={"idp.localhost/dev:sub": f.alice_sub})
    url, body = f.stack.dynamodb_url, delete_body(f)
    raw = send(url, signed(old, url, "DeleteItem", body), body)
    assert (raw.status, raw.code) == (400, "ExpiredTokenException")
    assert raw.message == "The security token included in the request is expired"
    assert f.item(f.alice_sub, "n1") is not None


def test_s25_signature_comparison_is_constant_time() -> None:
    import inspect

    from webapp.sigv4 import verify as module

    assert "hmac.compare_digest(expected.encode(), auth.signature.encode())" in inspect.getsource(module)


def _swap(headers: dict[str, str], name: str, value: str | None) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() != name.lower()}
    return kept if value is None else {**kept, name: value}


#: More of the same kind (security-anchors §2.1 steps 1-7): (rule, edit of signed headers of a
#: DeleteItem of alice/n1, expected code, message fragment)
MORE: list[tuple[str, Any, str, str]] = [
    ("target swapped after signing (S-10)", lambda h: _swap(h, "X-Amz-Target", "DynamoDB_20120810.GetItem"),
     "InvalidSignatureException", "does not match"),
    ("no X-Amz-Date (S-08)", lambda h: _swap(h, "X-Amz-Date", None),
     "IncompleteSignatureException", "'X-Amz-Date' or a 'Date' header"),
    ("X-Amz-Date not basic ISO-8601 (S-08)", lambda h: _swap(h, "X-Amz-Date", "2026-01-01T00:00:00Z"),
     "IncompleteSignatureException", "ISO-8601 'basic format'"),
    ("session token left unsigned (S-22)", lambda h: _swap(
        h, "Authorization", h["Authorization"].replace(";x-amz-security-token", "")),
     "InvalidSignatureException", "'X-Amz-Security-Token' must be a 'SignedHeader'"),
    ("scope terminator (S-18)", lambda h: _swap(
        h, "Authorization", h["Authorization"].replace("/aws4_request", "/aws4_requesx")),
     "InvalidSignatureException", "valid terminator: 'aws4_request'"),
    ("credential of 4 parts", lambda h: _swap(
        h, "Authorization", h["Authorization"].replace("/us-east-1/", "/")),
     "IncompleteSignatureException", "exactly 5 slash-delimited elements"),
    ("an extra unsigned x-amz header", lambda h: _swap(h, "X-Amz-Meta-Note", "x"),
     "InvalidSignatureException", "'X-Amz-Meta-Note' must be a 'SignedHeader'"),
    ("a 40 KB Authorization header (S-26)", lambda h: _swap(
        h, "Authorization", h["Authorization"] + ", Junk=" + "a" * 40_000),
     "IncompleteSignatureException", "not a valid key=value pair"),
]


@pytest.mark.parametrize("rule, edit, code, fragment", MORE, ids=[m[0] for m in MORE])
def test_more_forgeries(rule: str, edit: Any, code: str, fragment: str, f: Fgac) -> None:
    url, body = f.stack.dynamodb_url, delete_body(f)
    raw = send(url, edit(signed(f.alice, url, "DeleteItem", body)), body)
    assert (raw.status, raw.code) == (400, code), raw.body[:300]
    assert fragment in raw.message
    assert len(raw.body) < 4096  # a huge header is not echoed back
    assert f.item(f.alice_sub, "n1") is not None


def test_header_and_query_auth_at_once(f: Fgac) -> None:
    """S-21: Authorization in the header and X-Amz-Algorithm in the query is ambiguous."""
    import http.client
    from urllib.parse import urlsplit

    url, body = f.stack.dynamodb_url, delete_body(f)
    headers = signed(f.alice, url, "DeleteItem", body)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", body=body,
                 headers={**headers, "Host": parts.netloc})
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    assert response.status == 400 and data["__type"].endswith("#InvalidSignatureException")
    assert data["message"] == ("Found both 'X-Amz-Algorithm' as a query-string param and "
                               "'Authorization' as HTTP header.")
    assert f.item(f.alice_sub, "n1") is not None


def test_declared_payload_hash_must_match(f: Fgac) -> None:
    """S-13: ``x-amz-content-sha256`` signed for one body, another body sent."""
    url, body = f.stack.dynamodb_url, delete_body(f)
    import hashlib

    other = get_body(f)
    headers = signed(f.alice, url, "DeleteItem", body,
                     extra={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()})
    raw = send(url, headers, other)
    assert (raw.status, raw.code) == (400, "InvalidSignatureException")
    assert f.item(f.alice_sub, "n1") is not None
