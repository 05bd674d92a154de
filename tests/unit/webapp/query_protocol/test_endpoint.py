"""The plumbing IAM and STS share: parameters, ``Action``, SigV4, and errors that never leak."""

from __future__ import annotations

import io
import logging
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request, Response

from iam_policies.errors import AwsError
from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority
from webapp.query_protocol.endpoint import (
    action_of,
    authenticate,
    error_response,
    query_endpoint,
    read_params,
    xml_response,
)
from webapp.query_protocol.errors import (
    AccessDenied,
    InternalFailure,
    InvalidAction,
    InvalidHttpRequest,
    MissingAction,
    QueryAuthError,
    ValidationError,
)
from webapp.settings import Settings

ROLE = "arn:aws:iam::000000000000:role/Admin"
NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def _too_large() -> AwsError:
    return ValidationError("The request body is too large")


def _request(method: str = "POST", query: str = "", body: bytes = b"") -> Request:
    return Request(EnvironBuilder(method=method, path="/", query_string=query, data=body,
                                  content_type="application/x-www-form-urlencoded").get_environ())


# Reading parameters ---------------------------------------------------------------------------


def test_a_post_body_is_read_over_the_query_string() -> None:
    request = _request("POST", query="Action=FromQuery&Version=1", body=b"Action=FromBody&Empty=")
    assert read_params(request, 1024, _too_large) == {"Action": "FromBody", "Version": "1", "Empty": ""}


def test_a_get_reads_the_query_string_only() -> None:
    request = _request("GET", query="Action=GetCallerIdentity&Version=2011-06-15")
    assert read_params(request, 1024, _too_large) == {"Action": "GetCallerIdentity", "Version": "2011-06-15"}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_only_get_and_post_are_query_requests(method: str) -> None:
    with pytest.raises(InvalidHttpRequest, match=f"{method} is not supported; use POST"):
        read_params(_request(method, body=b"Action=GetCallerIdentity"), 1024, _too_large)


def test_a_body_over_the_limit_gets_the_services_own_error() -> None:
    with pytest.raises(ValidationError, match="too large"):
        read_params(_request("POST", body=b"Action=" + b"x" * 1024), 1024, _too_large)


# Naming the operation -------------------------------------------------------------------------

ACTIONS = ("GetCallerIdentity",)


@pytest.mark.parametrize(("params", "error", "message"), [
    ({}, MissingAction, "Missing Action"),
    ({"Action": "", "Version": "2011-06-15"}, MissingAction, "Missing Action"),
    ({"Action": "DeleteEverything", "Version": "2011-06-15"}, InvalidAction,
     "Could not find operation DeleteEverything for version 2011-06-15"),
    ({"Action": "GetCallerIdentity"}, InvalidAction, "Could not find operation GetCallerIdentity for version NO_VERSION"),
    ({"Action": "GetCallerIdentity", "Version": "2010-05-08"}, InvalidAction,
     "Could not find operation GetCallerIdentity for version 2010-05-08"),
])
def test_an_action_must_be_named_and_implemented_at_the_version(
        params: dict[str, str], error: type[AwsError], message: str) -> None:
    with pytest.raises(error) as caught:
        action_of(params, "2011-06-15", ACTIONS)
    assert caught.value.message == message


def test_an_implemented_action_at_the_version_is_returned() -> None:
    assert action_of({"Action": "GetCallerIdentity", "Version": "2011-06-15"}, "2011-06-15", ACTIONS) == \
        "GetCallerIdentity"


# Authentication ---------------------------------------------------------------------------------


@pytest.fixture
def authority(tmp_path: Path) -> tuple[CredentialAuthority, ManualClock]:
    clock = ManualClock(time.time())  # botocore signs with the wall clock
    return CredentialAuthority.open(tmp_path, clock), clock


def _signed(secret: str, access_key: str, body: str) -> Request:
    aws = AWSRequest(method="POST", url="http://localhost/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access_key, secret), "sts", "us-east-1").add_auth(aws)
    prepared = aws.prepare()
    return Request(EnvironBuilder(method="POST", path="/", headers=dict(prepared.headers),
                                  data=prepared.body).get_environ())


def test_a_signed_request_yields_its_principal(
        authority: tuple[CredentialAuthority, ManualClock], tmp_path: Path) -> None:
    credentials, clock = authority
    key = credentials.ensure_service_key(ROLE, "admin")
    request = _signed(key.secret_access_key, key.access_key_id, "Action=GetCallerIdentity&Version=2011-06-15")
    principal = authenticate(request, "sts", credentials, clock, Settings(data_dir=tmp_path))
    assert principal.arn == "arn:aws:sts::000000000000:assumed-role/Admin/admin"


@pytest.mark.parametrize(("tamper", "code"), [
    ("body", "SignatureDoesNotMatch"),
    ("key", "InvalidClientTokenId"),
])
def test_a_failed_signature_is_a_403_in_the_query_protocols_words(
        authority: tuple[CredentialAuthority, ManualClock], tmp_path: Path, tamper: str, code: str) -> None:
    credentials, clock = authority
    key = credentials.ensure_service_key(ROLE, "admin")
    access_key = "AKIA" + "Z" * 16 if tamper == "key" else key.access_key_id
    request = _signed(key.secret_access_key, access_key, "Action=GetCallerIdentity&Version=2011-06-15")
    if tamper == "body":
        environ = dict(request.environ)
        tampered = b"Action=GetCallerIdentity&Version=2011-06-16"
        environ["wsgi.input"] = io.BytesIO(tampered)
        request = Request(environ)
    with pytest.raises(QueryAuthError) as caught:
        authenticate(request, "sts", credentials, clock, Settings(data_dir=tmp_path))
    assert (caught.value.code, caught.value.status) == (code, 403)


def test_an_unsigned_request_is_missing_its_authentication_token(
        authority: tuple[CredentialAuthority, ManualClock], tmp_path: Path) -> None:
    credentials, clock = authority
    with pytest.raises(QueryAuthError) as caught:
        authenticate(_request(body=b"Action=GetCallerIdentity"), "sts", credentials, clock,
                     Settings(data_dir=tmp_path))
    assert (caught.value.code, caught.value.status) == ("MissingAuthenticationToken", 403)


# The WSGI app: every answer is XML with a request id, never a traceback ----------------------------


def _app(handle: object) -> Client:
    return Client(query_endpoint("sts", handle, InternalFailure, logging.getLogger("test.query")))  # type: ignore[arg-type]


def test_a_result_is_the_actions_xml_with_the_request_id_header() -> None:
    def handle(request: Request, request_id: str) -> Response:
        return xml_response("sts", "GetCallerIdentity", {"Account": "000000000000"}, request_id)

    response = _app(handle).post("/", data={"Action": "GetCallerIdentity"})
    root = ET.fromstring(response.data)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/xml")
    assert root.find(f"{NS}GetCallerIdentityResult/{NS}Account").text == "000000000000"  # type: ignore[union-attr]
    assert root.find(f"{NS}ResponseMetadata/{NS}RequestId").text == response.headers["x-amzn-RequestId"]  # type: ignore[union-attr]


def test_an_aws_error_is_its_status_and_error_response() -> None:
    def handle(request: Request, request_id: str) -> Response:
        raise AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")

    response = _app(handle).post("/")
    root = ET.fromstring(response.data)
    assert response.status_code == 403
    assert root.find(f"{NS}Error/{NS}Code").text == "AccessDenied"  # type: ignore[union-attr]
    assert root.find(f"{NS}RequestId").text == response.headers["x-amzn-RequestId"]  # type: ignore[union-attr]


def test_an_unexpected_exception_is_an_internal_failure_that_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    def handle(request: Request, request_id: str) -> Response:
        raise RuntimeError("secret-token-value in a bug")

    with caplog.at_level(logging.ERROR, logger="test.query"):
        response = _app(handle).post("/", data={"WebIdentityToken": "secret-token-value"})
    request_id = response.headers["x-amzn-RequestId"]
    assert response.status_code == 500
    assert ET.fromstring(response.data).find(f"{NS}Error/{NS}Code").text == "InternalFailure"  # type: ignore[union-attr]
    assert b"secret-token-value" not in response.data and b"Traceback" not in response.data
    assert request_id.encode() in response.data
    assert [r.getMessage() for r in caplog.records] == [f"STS request {request_id} failed"]


def test_each_request_gets_its_own_id() -> None:
    def handle(request: Request, request_id: str) -> Response:
        return error_response("sts", MissingAction("Missing Action"), request_id)

    client = _app(handle)
    ids = {client.post("/", data=urlencode({})).headers["x-amzn-RequestId"] for _ in range(3)}
    assert len(ids) == 3
