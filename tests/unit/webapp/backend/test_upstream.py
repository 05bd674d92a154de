"""Upstream mode: allowed calls forwarded to another DynamoDB-compatible server, re-signed.

Two legitimate peers, both real HTTP on loopback:
* moto's ``ThreadedMotoServer``: the same call sequence through the upstream backend and
  through the in-process backend must give the same bodies and the same errors (code,
  namespace, status, message, extra members) - the SDK cannot tell them apart;
* a server that verifies SigV4 with the project's verifier (``webapp.sigv4``) before answering
  from a local backend: the forwarded request is signed with the backend's own credentials.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend
from webapp.backend.upstream import UpstreamBackend
from webapp.clock import ManualClock, system_clock
from webapp.credentials import UnknownCredentials
from webapp.sigv4 import SignedRequest, SigV4Error, verify

TABLE = "Upstream"
VOLATILE = ("CreationDateTime", "TableArn", "LatestStreamArn", "TableId")

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    }),
    ("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": "AAEC"}}}),
    ("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    ("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    ("Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    ("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ]}),
    ("GetItem", {"TableName": "Missing", "Key": {"pk": {"S": "a"}}}),
    ("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                    "UpdateExpression": "SET c = :c", "ExpressionAttributeValues": {":c": {"N": "5"}},
                    "ReturnValues": "ALL_NEW"}),
]


def outcome(backend: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        body = backend.call(operation, json.loads(json.dumps(params)))
    except DynamoDBError as error:
        return {"error": error.body(), "status": error.status}
    description = body.get("TableDescription", {})
    for volatile in VOLATILE:
        description.pop(volatile, None)
    # The time a table went on demand is its creation time here, as volatile (and moto's server
    # leaves it out).
    description.get("BillingModeSummary", {}).pop("LastUpdateToPayPerRequestDateTime", None)
    # moto's server (the upstream here) answers ACTIVE with empty index lists; the local backend
    # answers as DynamoDB does (CREATING, no empty lists: webapp.backend.lifecycle)
    if description.get("TableStatus") in ("ACTIVE", "CREATING"):
        description["TableStatus"] = "CREATING"
    for index in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        if description.get(index) == []:
            del description[index]
    if "ReturnConsumedCapacity" not in params:
        # moto adds figures nobody asked for; DynamoDB (and the local backend) do not
        body.pop("ConsumedCapacity", None)
    return {"ok": body}


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_upstream_answers_exactly_like_the_local_backend(moto_server: str, tmp_path: Path) -> None:
    clock = ManualClock()
    upstream = UpstreamBackend(moto_server, region="us-east-1",
                               credentials=Credentials("AKIDUPSTREAMEXAMPLE1", "upstream-secret"), clock=clock)
    local = LocalBackend(tmp_path, region="us-east-1", account_id="123456789012", clock=clock)
    try:
        for operation, params in CALLS:
            assert outcome(upstream, operation, params) == outcome(local, operation, params), operation
        schema = upstream.table_schema(TABLE)
        assert schema is not None and schema.key_names == ("pk", "sk")
        assert upstream.table_schema("Missing") is None
    finally:
        upstream.close()
        local.close()


def test_an_unreachable_upstream_is_a_503_not_a_traceback() -> None:
    upstream = UpstreamBackend("http://127.0.0.1:9", region="us-east-1",
                               credentials=Credentials("AKIDX", "s"), clock=system_clock, timeout=2)
    with pytest.raises(DynamoDBError) as caught:
        upstream.call("ListTables", {})
    assert (caught.value.code, caught.value.status) == ("ServiceUnavailable", 503)


@pytest.fixture
def verifying_upstream(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An upstream that checks SigV4 against its own key before answering."""
    peer = LocalBackend(tmp_path, region="us-east-1", account_id="000000000000", clock=system_clock)
    signers: list[str] = []

    def lookup(access_key_id: str, session_token: str | None) -> tuple[str, str]:
        if access_key_id != "AKIDUPSTREAMEXAMPLE1":
            raise UnknownCredentials(access_key_id)
        return "upstream-secret", access_key_id

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        raw = request.get_data()
        signed = SignedRequest(request.method, environ.get("RAW_URI", "/").split("?")[0] or "/",
                               request.query_string.decode(), list(request.headers.items()), raw)
        try:
            who = verify(signed, lookup=lookup, clock=time.time, region="us-east-1", service="dynamodb")
            signers.append(str(who.principal))
            operation = request.headers["X-Amz-Target"].split(".", 1)[1]
            response = Response(json.dumps(peer.call(operation, json.loads(raw))), 200)
        except (SigV4Error, DynamoDBError) as error:
            body = error.body() if isinstance(error, DynamoDBError) else {
                "__type": error.dynamodb_type, "message": error.message}
            response = Response(json.dumps(body), error.status)
        response.content_type = "application/x-amz-json-1.0"
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", signers
    server.shutdown()
    peer.close()


def test_forwarded_calls_are_signed_with_the_backend_credentials(verifying_upstream: tuple[str, list[str]]) -> None:
    url, signers = verifying_upstream
    good = UpstreamBackend(url, region="us-east-1",
                           credentials=Credentials("AKIDUPSTREAMEXAMPLE1", "upstream-secret"), clock=system_clock)
    assert good.call("ListTables", {}) == {"TableNames": []}
    assert signers == ["AKIDUPSTREAMEXAMPLE1"]

    forged = UpstreamBackend(url, region="us-east-1",
                             credentials=Credentials("AKIDUPSTREAMEXAMPLE1", "wrong-secret"), clock=system_clock)
    with pytest.raises(DynamoDBError) as caught:
        forged.call("CreateTable", CALLS[0][1])
    assert (caught.value.code, caught.value.status) == ("InvalidSignatureException", 400)
    assert good.table_schema(TABLE) is None, "the refused call created nothing"
    good.close()
    forged.close()
