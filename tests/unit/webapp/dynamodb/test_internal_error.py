"""The one allowed 500: an exception nobody foresaw becomes DynamoDB's InternalServerError JSON,
with no traceback on the wire, logged with the request id the client sees."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from werkzeug.test import Client

from tests.unit.webapp.dynamodb.conftest import NoPolicies, RecordingBackend
from webapp.clock import system_clock
from webapp.credentials import CredentialAuthority
from webapp.dynamodb import create_dynamodb_app
from webapp.settings import Settings


class Broken(RecordingBackend):
    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("dictionary changed size during iteration")


def test_unexpected_error_is_an_internal_server_error(caplog: pytest.LogCaptureFixture) -> None:
    app = create_dynamodb_app(Settings(), NoPolicies(), CredentialAuthority(b"z" * 32), Broken(), None,
                              system_clock, enforce=False)
    with caplog.at_level(logging.ERROR, logger="webapp.dynamodb"):
        response = Client(app).post("/", data=b'{"TableName": "Notes"}', headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.Scan"})
    assert response.status_code == 500
    body = json.loads(response.data)
    assert body == {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                    "message": "Internal server error"}
    assert b"Traceback" not in response.data and b"dictionary" not in response.data
    request_id = response.headers["x-amzn-RequestId"]
    assert any(request_id in record.getMessage() for record in caplog.records)
