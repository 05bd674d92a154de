"""HTTP framing as DynamoDB answers it: methods, content types, the target header, ``GET /``.

Source for every row: architect/dynalite ``test/connection.js`` (run against live DynamoDB), and
the API Reference's "Common Errors" for the exception names.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pytest

from tests.conformance.conftest import SERIALIZATION, UNKNOWN_OPERATION, Answer, Endpoint

#: DynamoDB's answer to a request it has no route for: HTTP 404 and this exact XML-ish body.
NOT_FOUND_BODY = b"<UnknownOperationException/>\n"


@dataclass(frozen=True)
class Framing:
    id: str
    method: str
    target: str
    content_type: str | None
    body: bytes
    status: int
    #: ``__type`` of the JSON answer, or None when the answer is :data:`NOT_FOUND_BODY`.
    type: str | None
    #: Content-Type DynamoDB answers with (it echoes ``application/json``).
    answer_type: str | None = None
    source: str = "dynalite: test/connection.js"


ROWS = [
    Framing("PUT is not routed", "PUT", "", None, b"", 404, None),
    Framing("DELETE is not routed", "DELETE", "", None, b"", 404, None),
    Framing("OPTIONS without Origin is not routed", "OPTIONS", "", None, b"", 404, None),
    Framing("body without content type", "POST", "", None, b"hi", 404, None),
    Framing("body with another content type", "POST", "", "whatever", b"hi", 404, None),
    Framing("body with application/x-amz-json-1.1", "POST", "", "application/x-amz-json-1.1", b"hi", 404, None),
    Framing("body with application/jsonasdf", "POST", "", "application/jsonasdf", b"hi", 404, None),
    Framing("application/json, not JSON", "POST", "", "application/json", b"hi", 400, SERIALIZATION,
            "application/json"),
    Framing("application/json; nonsense, not JSON", "POST", "", "application/json;blahblah", b"hi", 400,
            SERIALIZATION, "application/json"),
    Framing("x-amz-json-1.0, not JSON", "POST", "", "application/x-amz-json-1.0", b"hi", 400, SERIALIZATION,
            "application/x-amz-json-1.0"),
    Framing("application/json, no target", "POST", "", "application/json", b"{}", 400, UNKNOWN_OPERATION,
            "application/json"),
    Framing("x-amz-json-1.0, no target", "POST", "", "application/x-amz-json-1.0", b"{}", 400, UNKNOWN_OPERATION,
            "application/x-amz-json-1.0"),
    Framing("unknown operation", "POST", "ListTable", "application/x-amz-json-1.0", b"{}", 400, UNKNOWN_OPERATION),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_framing(row: Framing, endpoint: Endpoint) -> None:
    answer = _send_unsigned(endpoint, row)
    assert answer.status == row.status, answer.raw[:300]
    assert len(answer.headers.get("x-amzn-requestid", "")) == 52
    if row.type is None:
        assert answer.raw == NOT_FOUND_BODY
        assert answer.headers["x-amz-crc32"] == str(zlib.crc32(NOT_FOUND_BODY))
    else:
        assert answer.type == row.type, answer.raw[:300]
        assert answer.headers["x-amz-crc32"] == str(zlib.crc32(answer.raw) & 0xFFFFFFFF)
    if row.answer_type:
        assert answer.headers["content-type"] == row.answer_type


def _send_unsigned(endpoint: Endpoint, row: Framing) -> Answer:
    """The request exactly as the row gives it, unsigned (http.client adds no Content-Type)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(row.method, "/")
        if row.target:
            conn.putheader("X-Amz-Target", "DynamoDB_20120810." + row.target)
        if row.content_type is not None:
            conn.putheader("Content-Type", row.content_type)
        conn.putheader("Content-Length", str(len(row.body)))
        conn.endheaders(row.body)
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def test_get_is_the_health_check(endpoint: Endpoint) -> None:
    """``GET /`` answers ``healthy: dynamodb.<region>.amazonaws.com `` (trailing space included)."""
    answer = endpoint.send("", b"", method="GET", sign=False, headers={})
    assert answer.status == 200
    assert answer.raw == f"healthy: dynamodb.{endpoint.region}.amazonaws.com ".encode()
    assert answer.headers["content-length"] == str(len(answer.raw))
    assert answer.headers["x-amz-crc32"].isdigit()
    assert len(answer.headers["x-amzn-requestid"]) == 52


@pytest.mark.parametrize("content_type", ["application/json", "application/x-amz-json-1.0"])
def test_signed_call_in_either_content_type(content_type: str, endpoint: Endpoint) -> None:
    """dynalite test/listTables.js: ListTables answers 200 under both content types, and answers
    in the content type it was asked in."""
    answer = endpoint.send("ListTables", b"{}", headers={"Content-Type": content_type})
    assert answer.status == 200, answer.raw[:300]
    assert isinstance(answer.json["TableNames"], list)
    assert answer.headers["content-type"] == content_type
    assert answer.headers["content-length"] == str(len(answer.raw))


LIST_TABLES = {"X-Amz-Target": "DynamoDB_20120810.ListTables"}
MISSING = ("com.amazon.coral.service#MissingAuthenticationTokenException", "Request is missing Authentication Token")
INCOMPLETE = "com.amazon.coral.service#IncompleteSignatureException"
#: (id, path, headers, __type, message): dynalite test/connection.js, recorded against DynamoDB.
AUTH = [
    ("no Authorization", "/", {}, *MISSING),
    ("Authorization 'AWS4'", "/", {"Authorization": "AWS4"}, *MISSING),
    ("query without X-Amz-Algorithm", "/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
     {}, *MISSING),
    ("Authorization and X-Amz-Algorithm", "/?X-Amz-Algorithm", {"Authorization": "X"},
     "com.amazon.coral.service#InvalidSignatureException",
     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."),
    ("Authorization 'AWS4-'", "/", {"Authorization": "AWS4-"}, INCOMPLETE,
     "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
     "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either "
     "a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"),
    ("pairs separated by a space", "/", {"Authorization": "AWS4- Signature=b Credential=a", "Date": "a"}, INCOMPLETE,
     "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b Credential=a"),
    ("empty X-Amz-Algorithm", "/?X-Amz-Algorithm", {}, INCOMPLETE,
     "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include "
     "'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters "
     "must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the "
     "query-string parameters."),
    ("no X-Amz-SignedHeaders", "/?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d", {},
     INCOMPLETE, "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string "
     "parameters."),
]


@pytest.mark.parametrize("path, headers, kind, message", [a[1:] for a in AUTH], ids=[a[0] for a in AUTH])
def test_authentication_errors(path: str, headers: dict[str, str], kind: str, message: str,
                               endpoint: Endpoint) -> None:
    """No content type sent: DynamoDB answers in ``application/json``, with the CRC32 of its body."""
    answer = endpoint.send("", b"", method="POST", sign=False, path=path,
                           headers={**LIST_TABLES, "Content-Type": "", **headers})
    assert answer.status == 400, answer.raw[:300]
    assert answer.json == {"__type": kind, "message": message}
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-amz-crc32"] == str(zlib.crc32(answer.raw) & 0xFFFFFFFF)


def test_too_large_is_sent_chunked(endpoint: Endpoint) -> None:
    """A body over 16 MB is refused unread: 413, ``Transfer-Encoding: chunked`` (connection.js)."""
    answer = endpoint.send("", b"a" * (16 * 1024 * 1024 + 1), sign=False, headers={"Content-Type": ""})
    assert answer.status == 413
    assert answer.headers.get("transfer-encoding") == "chunked"
