"""The endpoint's framing and authentication, over a real socket: every bad input gets the error
DynamoDB gives (code, status, a message a person can act on), never a 500, and never reaches the
backend."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.unit.webapp.dynamodb.conftest import Endpoint
from webapp.dynamodb import wire

GET_ITEM = {"TableName": "Notes", "Key": {"owner": {"S": "alice-sub"}, "noteId": {"S": "n1"}}}
JSON10 = "application/x-amz-json-1.0"


def signed_headers(endpoint: Endpoint, body: bytes, target: str = "DynamoDB_20120810.GetItem",
                   content_type: str = JSON10, creds: Any = None) -> dict[str, str]:
    session = creds or endpoint.session()
    request = AWSRequest(method="POST", url=f"{endpoint.url}/", data=body,
                         headers={"Content-Type": content_type, "X-Amz-Target": target})
    SigV4Auth(Credentials(session.access_key_id, session.secret_access_key, session.session_token),
              "dynamodb", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def error_of(body: bytes) -> tuple[str, str]:
    data = json.loads(body)
    return data["__type"].rsplit("#", 1)[1], data.get("message", data.get("Message", ""))


#: (rule, method, body, headers builder, status, code, message fragment)
BAD_INPUT: list[tuple[str, str, bytes, Any, int, str, str]] = [
    ("malformed JSON", "POST", b'{"TableName": ', lambda e, b: signed_headers(e, b),
     400, "SerializationException", ""),  # DynamoDB's answer is a bare __type
    ("JSON that is not an object", "POST", b"[1, 2]", lambda e, b: signed_headers(e, b),
     400, "SerializationException", "where a JSON object was expected"),
    ("duplicate member smuggling a second key", "POST",
     b'{"TableName":"Notes","Key":{"owner":{"S":"alice-sub"}},"Key":{"owner":{"S":"bob-sub"}}}',
     lambda e, b: signed_headers(e, b), 400, "SerializationException", "duplicate member 'Key'"),
    ("NaN", "POST", b'{"Limit": NaN}', lambda e, b: signed_headers(e, b),
     400, "SerializationException", ""),
    ("not UTF-8", "POST", b'{"TableName": "\xff"}', lambda e, b: signed_headers(e, b),
     400, "SerializationException", "not valid UTF-8"),
    ("empty body", "POST", b"", lambda e, b: signed_headers(e, b),
     400, "SerializationException", ""),
    # a lone surrogate reached the engine's UTF-8 sizing as a 500; a valid pair is one character
    ("unpaired surrogate in a value", "POST",
     b'{"TableName":"Notes","Key":{"owner":{"S":"alice-sub"}},"ProjectionExpression":"\\ud800"}',
     lambda e, b: signed_headers(e, b), 400, "SerializationException", "unpaired UTF-16 surrogate"),
    ("unpaired surrogate in a member name", "POST",
     b'{"TableName":"Notes","Key":{"\\udc00":{"S":"alice-sub"}}}',
     lambda e, b: signed_headers(e, b), 400, "SerializationException", "unpaired UTF-16 surrogate"),
    ("wrong content type", "POST", json.dumps(GET_ITEM).encode(),
     lambda e, b: signed_headers(e, b, content_type="application/x-amz-json-1.1"),
     404, "", ""),
    ("no target", "POST", json.dumps(GET_ITEM).encode(),
     lambda e, b: {k: v for k, v in signed_headers(e, b).items() if k != "X-Amz-Target"},
     400, "UnknownOperationException", ""),
    ("unknown operation", "POST", json.dumps(GET_ITEM).encode(),
     lambda e, b: signed_headers(e, b, target="DynamoDB_20120810.DropEverything"),
     400, "UnknownOperationException", ""),
    ("another service's target", "POST", json.dumps(GET_ITEM).encode(),
     lambda e, b: signed_headers(e, b, target="DynamoDBStreams_20120810.GetRecords"),
     400, "UnknownOperationException", ""),
    ("no Authorization", "POST", json.dumps(GET_ITEM).encode(),
     lambda e, b: {k: v for k, v in signed_headers(e, b).items() if k != "Authorization"},
     400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    ("PUT", "PUT", json.dumps(GET_ITEM).encode(), lambda e, b: signed_headers(e, b),
     404, "", ""),
    ("DELETE", "DELETE", b"", lambda e, b: {}, 404, "", ""),
]


@pytest.mark.parametrize("rule, method, body, build, status, code, fragment", BAD_INPUT,
                         ids=[row[0] for row in BAD_INPUT])
def test_bad_input(rule: str, method: str, body: bytes, build: Any, status: int, code: str,
                   fragment: str, endpoint: Endpoint) -> None:
    got_status, headers, got = endpoint.raw(method, body, build(endpoint, body))
    assert got_status == status
    if status == 404:  # not routed: DynamoDB's bare answer (dynalite test/connection.js, recorded live)
        assert got == b"<UnknownOperationException/>\n" and headers["x-amzn-requestid"]
        assert endpoint.backend.calls == []
        return
    assert error_of(got) == (code, error_of(got)[1]) and fragment in error_of(got)[1]
    assert headers["content-type"] == JSON10 and headers["x-amzn-requestid"]
    assert endpoint.backend.calls == []


def test_a_surrogate_pair_is_one_character_not_an_error() -> None:
    assert wire.parse_body(b'{"a":"\\ud83d\\ude00","\\ud83d\\ude01":1}') == {"a": "\U0001F600", "\U0001F601": 1}


def test_repeated_target_header_is_refused_whichever_copy_was_signed(endpoint: Endpoint) -> None:
    """S-14a: two X-Amz-Target headers never route on one while verifying the other."""
    body = json.dumps(GET_ITEM).encode()
    headers = signed_headers(endpoint, body)
    status, _, got = endpoint.raw("POST", body, headers,
                                  header_list=[("X-Amz-Target", "DynamoDB_20120810.DeleteItem")])
    assert (status, error_of(got)[0]) == (400, "UnknownOperationException")
    assert "exactly once" in error_of(got)[1]
    assert endpoint.backend.calls == []


@pytest.mark.parametrize("name", ["X-Amz-Date", "Authorization", "X-Amz-Security-Token"])
def test_repeated_security_header_is_refused(name: str, endpoint: Endpoint) -> None:
    """S-14b/c: the server joins repeats with ',', which the verifier refuses."""
    body = json.dumps(GET_ITEM).encode()
    headers = signed_headers(endpoint, body)
    status, _, got = endpoint.raw("POST", body, headers, header_list=[(name, headers[name])])
    assert status == 400
    assert error_of(got)[0] in ("IncompleteSignatureException", "UnrecognizedClientException")
    assert endpoint.backend.calls == []


def test_body_over_the_limit_is_refused_before_it_is_read(endpoint: Endpoint) -> None:
    """S-24: a declared 20 MB body is refused from its Content-Length (nothing is hashed)."""
    # the rest of the body never comes
    answer = _post_declaring(endpoint, signed_headers(endpoint, b"{}"), 20 * 1024 * 1024, b"{" + b" " * 1024)
    assert answer == (413, "RequestEntityTooLarge")
    assert endpoint.backend.calls == []


def test_declared_length_shorter_than_the_body(endpoint: Endpoint) -> None:
    """S-24: Content-Length 10 with a 20-byte body: the truncated body does not verify."""
    body = b'{"TableName":"Notes"}'
    assert _post_declaring(endpoint, signed_headers(endpoint, body), 10, body) == (400, "SerializationException")
    assert endpoint.backend.calls == []


def _post_declaring(endpoint: Endpoint, headers: dict[str, str], length: int, sent: bytes) -> tuple[int, str]:
    """A POST whose ``Content-Length`` says ``length`` whatever ``sent`` holds (``http.client``
    sends both as told): the answer's status and error code."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        conn.putrequest("POST", "/")
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        conn.send(sent)
        response = conn.getresponse()
        return response.status, error_of(response.read())[0]
    finally:
        conn.close()


def test_health_check(endpoint: Endpoint) -> None:
    status, _, body = endpoint.raw("GET")
    assert status == 200 and body.startswith(b"healthy: ")


def test_refused_authentication_is_audited(endpoint: Endpoint) -> None:
    body = json.dumps(GET_ITEM).encode()
    headers = signed_headers(endpoint, body)
    headers["X-Amz-Target"] = "DynamoDB_20120810.DeleteItem"
    status, response_headers, got = endpoint.raw("POST", body, headers)
    assert (status, error_of(got)[0]) == (400, "InvalidSignatureException")
    [entry] = endpoint.audit()
    # No policy decided (no deny_type): the SigV4 error code says why.
    assert entry["decision"] == "Deny" and "deny_type" not in entry
    assert entry["error"] == "InvalidSignatureException" and entry["operation"] == "DeleteItem"
    assert entry["request_id"] == response_headers["x-amzn-requestid"]
    assert "principal" not in entry and entry["source_ip"] == "127.0.0.1"


def test_error_response_headers(endpoint: Endpoint) -> None:
    status, headers, body = endpoint.raw("POST", b"{", signed_headers(endpoint, b"{"))
    assert status == 400
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert headers["date"].endswith("GMT") and headers["date"].count("GMT") == 1
    assert len(headers["x-amzn-requestid"]) == 52
    assert int(headers["content-length"]) == len(body)


def test_request_ids_are_distinct_and_in_dynamodbs_alphabet() -> None:
    """``x-amzn-RequestId``: 52 characters of [0-9A-Z] on DynamoDB; ours of [0-9A-F], never repeated."""
    ids = [wire.new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 52 and set(i) <= set("0123456789ABCDEF") for i in ids)
