"""Hostile and careless input against the running stack, beyond the bob-against-alice oracle
(``test_fuzz_oracle.py``): what the long runs of ``benchmarks/fuzz.py --hostile`` found, kept as
rows, and a short run of the generator itself.

* ``FOUND``: requests that reached a 500 (or hung the endpoint) before, with the answer DynamoDB
  (or DynamoDB Local, for operations the local stack lacks) gives; each row says where its
  expected answer comes from.
* ``test_generated_requests_never_reach_a_500``: Hypothesis-generated requests of every operation
  (``hostile.py``: botocore's model with edge-case and wrong-typed values), sent by the admin so
  that validation and the engine answer, not IAM: no 5xx, no traceback, an AWS error body.
  ``WEBAPP_HOSTILE_EXAMPLES`` sets how many (150 by default); ``benchmarks/fuzz.py --hostile N``
  runs it long.
* ``HTTP``: framing a careless client sends (bad lengths, chunking, encodings, huge headers,
  odd methods and paths) to every port of the stack: never a 5xx or a traceback.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.functional.dynamodb.conftest import Raw, send, signed
from tests.functional.dynamodb.hostile import check_answer, requests_for

EXAMPLES = int(os.environ.get("WEBAPP_HOSTILE_EXAMPLES", "150"))


@pytest.fixture(scope="module")
def table(stack: Any) -> Iterator[str]:
    """A table of this module's own in the session's stack: HASH ``pk`` (S), RANGE ``sk`` (N)."""
    name = f"Hostile{secrets.token_hex(4)}"
    stack.admin("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    stack.admin("dynamodb").get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    yield name


def admin_call(stack: Any, operation: str, body: bytes) -> Raw:
    url = stack.dynamodb_url
    return send(url, signed(stack.admin_credentials(), url, operation, body), body)


Params = Callable[[str], dict[str, Any]]
#: (what broke, operation, params for the table, status, code, words the message holds)
FOUND: list[tuple[str, str, Params, int, str, str]] = [
    # moto's NotImplementedError was a 500; DynamoDB Local answers an operation it lacks with
    # UnknownOperationException, HTTP 400 (terraform-provider-aws issue 1059, localstack 6909)
    *[(f"{op}, which moto lacks", op, params, 400, "UnknownOperationException", f"does not implement {op}")
      for op, params in [
          ("ListImports", lambda t: {}),
          ("ListGlobalTables", lambda t: {}),
          ("ListContributorInsights", lambda t: {"MaxResults": 25}),
          ("DescribeContributorInsights", lambda t: {"TableName": t}),
          ("DescribeGlobalTable", lambda t: {"GlobalTableName": t}),
          ("DescribeTableReplicaAutoScaling", lambda t: {"TableName": t}),
          ("DescribeKinesisStreamingDestination", lambda t: {"TableName": t}),
      ]],
    # moto's KeyError('TableArn'); TableArn is optional (API Reference, ListExports)
    ("ListExports without TableArn", "ListExports", lambda t: {}, 200, "", ""),
    # moto's KeyError('TimeToLiveSpecification'); Coral's words for a missing required member
    ("UpdateTimeToLive without its specification", "UpdateTimeToLive", lambda t: {"TableName": t}, 400,
     "ValidationException", "Value null at 'timeToLiveSpecification' failed to satisfy constraint"),
    # a timestamp is epoch seconds in the JSON protocol; text reached moto's dateutil (a 500)
    ("a timestamp as text", "ListBackups", lambda t: {"TimeRangeLowerBound": "yesterday"}, 400,
     "SerializationException", "STRING_VALUE cannot be converted to Date"),
    # Python's Decimal reads PEP 515 underscores and stored 1_000 as 1000; Java's BigDecimal
    # and dynalite's Big.js refuse it
    ("a number with an underscore", "PutItem", lambda t: {"TableName": t, "Item": {"pk": {"S": "u"}, "sk": {"N": "1_000"}}},
     400, "ValidationException", "The parameter cannot be converted to a numeric value: 1_000"),
    # moto re-summed the whole item on every attribute it set: n²/2 sizings under the table's
    # lock (2,000 attributes: two minutes; 10,000 held the endpoint for most of an hour)
    ("3,000 attributes in one item", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "many"}, "sk": {"N": "1"}, **{f"a{i}": {"N": str(i)} for i in range(3000)}}},
     200, "", ""),
    # moto nested an update's actions one level per action: ~160 of them were a RecursionError (a
    # 500); DynamoDB takes any number within the 4 KB expression (and AttributeUpdates)
    ("SET with 300 actions", "UpdateItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "acts"}, "sk": {"N": "1"}}, "ExpressionAttributeValues": {":v": {"N": "1"}},
                "UpdateExpression": "SET " + ", ".join(f"a{i} = :v" for i in range(300))}, 200, "", ""),
    ("REMOVE with 500 actions", "UpdateItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "acts"}, "sk": {"N": "1"}},
                "UpdateExpression": "REMOVE " + ", ".join(f"a{i}" for i in range(1, 501))}, 200, "", ""),
    ("3,000 AttributeUpdates", "UpdateItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "many"}, "sk": {"N": "2"}},
                "AttributeUpdates": {f"u{i}": {"Value": {"S": "v"}, "Action": "PUT"} for i in range(3000)}}, 200, "", ""),
    # the limits at their exact boundaries (Developer Guide, "Constraints"; texts as DynamoDB's,
    # recorded by dynalite and ScyllaDB's test_limits.py)
    ("an item of exactly 400 KB", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "b": {"S": "x" * (409600 - 8)}}}, 200, "", ""),
    ("an item of 400 KB and one byte", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "b": {"S": "x" * (409600 - 7)}}}, 400,
     "ValidationException", "Item size has exceeded the maximum allowed size"),
    ("an update past 400 KB", "UpdateItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "grow"}, "sk": {"N": "1"}}, "UpdateExpression": "SET a = :a, b = :b",
                "ExpressionAttributeValues": {":a": {"S": "x" * 300000}, ":b": {"S": "y" * 300000}}}, 400,
     "ValidationException", "Item size to update has exceeded the maximum allowed size"),
    ("a partition key of 2,048 bytes", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "\u00e9" * 1024}, "sk": {"N": "1"}}}, 200, "", ""),
    ("a partition key of 2,049 bytes", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "p" * 2049}, "sk": {"N": "1"}}}, 400, "ValidationException",
     "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ("a condition of exactly 4 KB", "DeleteItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "q"}, "sk": {"N": "1"}}, "ExpressionAttributeValues": {":v": {"S": "1"}},
                "ConditionExpression": "attribute_not_exists(a) OR " + "b" * (4096 - 32) + " = :v"}, 200, "", ""),
    ("a condition of 4 KB and one byte", "DeleteItem",
     lambda t: {"TableName": t, "Key": {"pk": {"S": "q"}, "sk": {"N": "1"}}, "ExpressionAttributeValues": {":v": {"S": "1"}},
                "ConditionExpression": "attribute_not_exists(a) OR " + "b" * (4096 - 31) + " = :v"}, 400,
     "ValidationException", "Expression size has exceeded the maximum allowed size; expression size: 4097"),
    ("the largest number", "PutItem",
     lambda t: {"TableName": t, "Item": {"pk": {"S": "n"}, "sk": {"N": "9.9999999999999999999999999999999999999E+125"}}},
     200, "", ""),
    ("1e126", "PutItem", lambda t: {"TableName": t, "Item": {"pk": {"S": "n"}, "sk": {"N": "1e126"}}}, 400,
     "ValidationException", "Number overflow"),
    ("-0 as a key", "PutItem", lambda t: {"TableName": t, "Item": {"pk": {"S": "n"}, "sk": {"N": "-0"}}}, 200, "", ""),
]


@pytest.mark.parametrize("what, operation, params, status, code, words", FOUND, ids=[row[0] for row in FOUND])
def test_what_the_long_runs_found(what: str, operation: str, params: Params, status: int, code: str, words: str,
                                  stack: Any, table: str) -> None:
    raw = admin_call(stack, operation, json.dumps(params(table)).encode())
    assert raw.status == status, raw.body[:300]
    if status != 200:
        assert (raw.code, words in raw.message) == (code, True), raw.body[:300]


def test_the_boundary_items_were_stored_as_sent(stack: Any, table: str) -> None:
    """The rows above that DynamoDB accepts stored what they said (read back by the admin), and
    the refused ones stored nothing."""
    db = stack.admin("dynamodb")
    many = db.get_item(TableName=table, Key={"pk": {"S": "many"}, "sk": {"N": "1"}}, ConsistentRead=True)["Item"]
    assert len(many) == 3002 and many["a2999"] == {"N": "2999"}
    updated = db.get_item(TableName=table, Key={"pk": {"S": "many"}, "sk": {"N": "2"}}, ConsistentRead=True)["Item"]
    assert len(updated) == 3002 and updated["u2999"] == {"S": "v"}
    acts = db.get_item(TableName=table, Key={"pk": {"S": "acts"}, "sk": {"N": "1"}}, ConsistentRead=True)["Item"]
    assert sorted(acts) == ["a0", "pk", "sk"]  # SET a0..a299, then REMOVE a1..a500
    assert len(db.get_item(TableName=table, Key={"pk": {"S": "k"}, "sk": {"N": "1"}})["Item"]["b"]["S"]) == 409600 - 8
    assert "Item" not in db.get_item(TableName=table, Key={"pk": {"S": "grow"}, "sk": {"N": "1"}}, ConsistentRead=True)
    assert "Item" not in db.get_item(TableName=table, Key={"pk": {"S": "u"}, "sk": {"N": "1000"}}, ConsistentRead=True)


def test_generated_requests_never_reach_a_500(stack: Any, table: str) -> None:
    seen: dict[int, int] = {}
    failures: list[str] = []

    # One well-formed request always runs (the generated ones are mostly refused, and a run of 150
    # once held no 200): the final assertion then checks that the harness's signed requests can
    # succeed at all, whatever the draw.
    valid = json.dumps({"TableName": table, "Item": {"pk": {"S": "valid"}, "sk": {"N": "1"}}}).encode()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(request=requests_for([table, "NoSuchTable"]))  # never the app's tables: other tests read them
    @example(request=("PutItem", valid))
    def one(request: tuple[str, bytes]) -> None:
        operation, body = request
        raw = admin_call(stack, operation, body)
        seen[raw.status] = seen.get(raw.status, 0) + 1
        problem = check_answer(raw.status, raw.body, lambda: f"{operation} {body[:300]!r} -> {raw.body[:300]!r}")
        if problem:
            failures.append(problem)

    one()
    print(f"\nhostile requests: {sum(seen.values())}, answers by HTTP status {dict(sorted(seen.items()))}")
    assert failures == []
    assert sum(seen.values()) >= EXAMPLES and seen.get(200) and seen.get(400), seen
    assert "INTERNAL ERROR in the DynamoDB engine" not in stack.log()


#: Framing a careless client sends: (what, method, path, headers, body). Sent to every port.
HTTP: list[tuple[str, str, str, list[tuple[str, str]], bytes]] = [
    ("two Content-Lengths", "POST", "/", [("Content-Length", "5"), ("Content-Length", "6")], b"abcdef"),
    ("a negative Content-Length", "POST", "/", [("Content-Length", "-1")], b""),
    ("a Content-Length past 64 MiB", "POST", "/", [("Content-Length", "99999999999999999999")], b""),
    ("a bad chunk size", "POST", "/", [("Transfer-Encoding", "chunked")], b"zz\r\nhello\r\n0\r\n\r\n"),
    ("chunked and a Content-Length", "POST", "/", [("Transfer-Encoding", "chunked"), ("Content-Length", "3")],
     b"5\r\nhello\r\n0\r\n\r\n"),
    ("gzip content that is not gzip", "POST", "/", [("Content-Encoding", "gzip"), ("Content-Length", "2")], b"{}"),
    ("a bogus content encoding", "POST", "/", [("Content-Encoding", "bogus"), ("Content-Length", "2")], b"{}"),
    ("a 100 KB header", "GET", "/", [("X-Big", "a" * 100_000)], b""),
    ("2,000 headers", "GET", "/", [(f"X-H{i}", "v") for i in range(2000)], b""),
    ("a control character in a header", "GET", "/", [("Cookie", "session=\x01")], b""),
    ("a 20,000-character path", "GET", "/" + "a" * 20000, [], b""),
    ("percent-encoded garbage", "POST", "/%ff%fe/%00?a=%ZZ&Action=%ff", [("Content-Length", "0")], b""),
    ("an unknown method", "PROPFIND", "/", [], b""),
    ("an absolute-form target", "GET", "http://evil.example/", [], b""),
    ("a signature of slashes", "POST", "/", [("Authorization", "AWS4-HMAC-SHA256 Credential=" + "/" * 500
                                               + ", SignedHeaders=, Signature="), ("Content-Length", "2")], b"{}"),
    ("an impossible X-Amz-Date", "POST", "/", [("Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, "
                                                 "SignedHeaders=host;x-amz-date, Signature=zz"),
                                                ("X-Amz-Date", "99999999T999999Z"), ("Content-Length", "2")], b"{}"),
    ("a form of 100,000 fields", "POST", "/", [("Content-Type", "application/x-www-form-urlencoded")],
     b"&".join(b"a%d=b" % i for i in range(100_000))),
]


def _raw(port: int, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("localhost", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"localhost:{port}")
        for name, value in headers:
            conn.putheader(name, value)
        if not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in headers) and body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("what, method, path, headers, body", HTTP, ids=[row[0] for row in HTTP])
def test_careless_framing_on_every_port_is_a_clean_answer(what: str, method: str, path: str,
                                                          headers: list[tuple[str, str]], body: bytes, stack: Any) -> None:
    ports = {"host": stack.port, "sts": stack.port + 1, "dynamodb": stack.port + 2, "iam": stack.port + 3,
             "s3": stack.port + 4}
    answers = {name: _raw(port, method, path, headers, body) for name, port in ports.items()}
    bad = {name: (status, text[:200]) for name, (status, text) in answers.items()
           if status >= 500 or b"Traceback" in text or b'File "' in text}
    assert bad == {}


def test_slow_and_abandoned_clients_tie_up_no_port(stack: Any) -> None:
    """Sixty connections per port that stop mid-body, mid-header or send nothing (the server
    reads requests whole before a worker thread sees them, ``webapp.serving``) leave every port
    answering the next client."""
    ports = [stack.port + offset for offset in range(5)]
    stalled = []
    try:
        for port in ports:
            for i in range(60):
                sock = socket.create_connection(("localhost", port), timeout=30)
                stalled.append(sock)
                if i % 3 == 0:
                    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
                elif i % 3 == 1:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answers = [_raw(port, "GET", "/", [], b"")[0] for port in ports]
    finally:
        for sock in stalled:
            sock.close()
    assert all(status < 500 for status in answers), answers
