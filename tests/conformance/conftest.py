"""The DynamoDB conformance suite: requests and the answers DynamoDB documents for them.

Each ``test_<operation>.py`` holds a table of :class:`Row` values: a raw request (the JSON body
an SDK would send, or bytes when the framing itself is under test) and DynamoDB's answer (HTTP
status, the full ``__type`` with its namespace, and the message where DynamoDB's text is known),
with the ``source`` of that answer: an API Reference page, a Developer Guide section, or a cited
observation of real DynamoDB (the test suites of DynamoDB engines that were run against AWS,
issue threads of DynamoDB clients). The rows are run over HTTP, signed with SigV4 by botocore,
exactly as an SDK sends them.

Where they run:

* by default against the local stack (``tests/conftest.py``'s ``stack``), signed with the
  admin's key, so IAM allows everything and only DynamoDB's own behaviour is under test;
* with ``--backend-url URL`` (or ``CONFORMANCE_BACKEND_URL``) against any DynamoDB-compatible
  endpoint instead: AWS, DynamoDB Local, moto's server, ScyllaDB Alternator. Its region comes
  from ``--backend-region`` / ``CONFORMANCE_REGION`` (default ``us-east-1``) and its key from
  ``CONFORMANCE_ACCESS_KEY_ID`` / ``CONFORMANCE_SECRET_ACCESS_KEY`` (default a dummy key, which
  local engines accept). Tables the suite creates are named ``conformance_<random>`` and
  deleted at the end.

      .venv/bin/python -m pytest tests/conformance -q                          # the local stack
      .venv/bin/python -m pytest tests/conformance -q --backend-url http://localhost:8000

A row the local stack does not answer as DynamoDB does yet carries ``gap="why"``: it is then a
strict ``xfail`` against the local stack only (so fixing it makes the suite say so), and an
ordinary test against an upstream.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

TARGET = "DynamoDB_20120810."
VALIDATE = "com.amazon.coral.validate#ValidationException"
SERIALIZATION = "com.amazon.coral.service#SerializationException"
NOT_FOUND = "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
IN_USE = "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
UNKNOWN_OPERATION = "com.amazon.coral.service#UnknownOperationException"

#: Sources cited by the rows (short names, so rows stay one line each).
SOURCES = {
    "api": "DynamoDB API Reference, the operation's page (Request Parameters, Errors)",
    "common-errors": "DynamoDB API Reference, Common Errors",
    "dg-errors": "DynamoDB Developer Guide, Error handling with DynamoDB",
    "dg-naming": "DynamoDB Developer Guide, Supported data types and naming rules",
    "dg-quotas": "DynamoDB Developer Guide, Service, account, and table quotas",
    "dynalite": "architect/dynalite test/*.js, written and checked against live DynamoDB (REMOTE=1)",
    "botocore": "botocore's DynamoDB service model (the shapes and constraints the SDKs are built from)",
    "alternator": "scylladb/scylladb test/alternator/*.py, written and run against DynamoDB (--aws); issue "
                  "threads there quote DynamoDB's texts",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "DynamoDB conformance suite (tests/conformance)")
    group.addoption("--backend-url", default=os.environ.get("CONFORMANCE_BACKEND_URL"),
                    help="run tests/conformance against this DynamoDB-compatible endpoint instead of "
                         "the local stack (env CONFORMANCE_BACKEND_URL)")
    group.addoption("--backend-region", default=os.environ.get("CONFORMANCE_REGION", "us-east-1"),
                    help="region of --backend-url (env CONFORMANCE_REGION; default us-east-1)")


@dataclass(frozen=True)
class Row:
    """One request and DynamoDB's answer to it."""

    id: str
    target: str
    #: The JSON body (a dict, serialised compactly) or the exact bytes to send.
    request: Mapping[str, Any] | bytes
    status: int
    #: The full ``__type`` (namespace#Code); ``None`` for a success.
    type: str | None
    #: DynamoDB's message: exact text; a tuple of the constraint failures of an "N validation
    #: errors detected" message where the source pins them but not their order; ``None`` where
    #: only the type is documented.
    message: str | tuple[str, ...] | None
    source: str
    #: Set while the local stack still answers otherwise: why (a strict xfail there).
    gap: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        if isinstance(self.request, bytes):
            return self.request
        return json.dumps(self.request, separators=(",", ":")).encode()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def type(self) -> str | None:
        try:
            data = self.json
        except ValueError:
            return None
        return data.get("__type") if isinstance(data, dict) else None

    @property
    def message(self) -> str | None:
        data = self.json
        return data.get("message", data.get("Message")) if isinstance(data, dict) else None


class Endpoint:
    """A DynamoDB endpoint and a key it accepts: raw signed requests and a boto3 client."""

    def __init__(self, url: str, region: str, credentials: Credentials, *, local: bool) -> None:
        self.url = url.rstrip("/")
        self.region = region
        self.credentials = credentials
        self.local = local
        self.created: list[str] = []

    def send(self, target: str, body: bytes, *, headers: Mapping[str, str] | None = None,
             method: str = "POST", sign: bool = True, path: str = "/") -> Answer:
        """One request, exactly as given, on a fresh connection."""
        import http.client
        from urllib.parse import urlsplit

        all_headers = {"Content-Type": "application/x-amz-json-1.0"}
        if target:
            all_headers["X-Amz-Target"] = TARGET + target
        all_headers.update(headers or {})
        if sign:
            request = AWSRequest(method=method, url=self.url + path, data=body, headers=all_headers)
            SigV4Auth(self.credentials, "dynamodb", self.region).add_auth(request)
            all_headers = dict(request.headers.items())
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def call(self, target: str, params: Mapping[str, Any]) -> Answer:
        return self.send(target, json.dumps(params, separators=(",", ":")).encode())

    def client(self) -> Any:
        return boto3.client(
            "dynamodb", region_name=self.region, endpoint_url=self.url,
            aws_access_key_id=self.credentials.access_key, aws_secret_access_key=self.credentials.secret_key,
            config=Config(retries={"max_attempts": 2}),
        )

    def create_table(self, **params: Any) -> str:
        """A table of our own, ACTIVE before it is returned, deleted at the end of the session."""
        name = params.setdefault("TableName", f"conformance_{secrets.token_hex(6)}")
        params.setdefault("BillingMode", "PAY_PER_REQUEST")
        client = self.client()
        client.create_table(**params)
        self.created.append(name)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return str(name)

    def cleanup(self) -> None:
        client = self.client()
        for name in self.created:
            for _ in range(60):
                try:
                    client.delete_table(TableName=name)
                    break
                except client.exceptions.ResourceNotFoundException:
                    break
                except client.exceptions.ResourceInUseException:
                    time.sleep(1)


@pytest.fixture(scope="session")
def endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    url = request.config.getoption("--backend-url")
    if url:
        creds = Credentials(os.environ.get("CONFORMANCE_ACCESS_KEY_ID", "conformance"),
                            os.environ.get("CONFORMANCE_SECRET_ACCESS_KEY", "conformance"),
                            os.environ.get("CONFORMANCE_SESSION_TOKEN"))
        found = Endpoint(url, request.config.getoption("--backend-region"), creds, local=False)
    else:
        stack = request.getfixturevalue("stack")
        admin = stack.admin_credentials()
        found = Endpoint(stack.dynamodb_url, stack.region,
                         Credentials(admin.access_key_id, admin.secret_access_key), local=True)
    yield found
    found.cleanup()


@pytest.fixture(scope="session")
def hash_table(endpoint: Endpoint) -> str:
    """A table keyed by ``a`` (S), as dynalite's ``testHashTable``."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
    )


@pytest.fixture(scope="session")
def range_table(endpoint: Endpoint) -> str:
    """A table keyed by ``a`` (S) and ``b`` (S)."""
    return endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                              {"AttributeName": "b", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
    )


def check(endpoint: Endpoint, row: Row, request: pytest.FixtureRequest,
          substitutions: Mapping[str, str] | None = None) -> Answer:
    """Send ``row`` and compare the answer with DynamoDB's; a known gap is a strict xfail locally.

    ``substitutions`` replace placeholders such as ``{hash_table}`` in a JSON request."""
    assert row.source.split(":", 1)[0] in SOURCES, f"unknown source {row.source!r}"
    if row.gap and endpoint.local:
        request.applymarker(pytest.mark.xfail(strict=True, reason=row.gap))
    body = row.body
    for name, value in (substitutions or {}).items():
        body = body.replace(("{" + name + "}").encode(), value.encode())
    answer = endpoint.send(row.target, body, headers=row.headers)
    assert answer.status < 500, answer.raw[:500]
    assert b"Traceback" not in answer.raw
    expected: Any = row.message
    got_message: Any = answer.message if row.message is not None else None
    if isinstance(row.message, tuple) and isinstance(got_message, str):
        expected = (len(row.message), sorted(row.message))
        prefix, _, rest = got_message.partition(" detected: ")
        count = int(prefix.split(" ", 1)[0]) if prefix.split(" ", 1)[0].isdigit() else -1
        got_message = (count, sorted(rest.split("; ")))
    got = (answer.status, answer.type, got_message)
    assert got == (row.status, row.type, expected), answer.raw[:1000]
    return answer


def ids(rows: list[Row]) -> list[str]:
    return [row.id for row in rows]
