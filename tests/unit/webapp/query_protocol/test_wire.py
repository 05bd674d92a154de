"""The Query protocol both ways, from botocore's models: what botocore sends parses back to its
input, and what we write botocore's own ``QueryParser`` reads back to the result."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.parsers import QueryParser  # type: ignore[import-untyped]
from botocore.serialize import QuerySerializer  # type: ignore[import-untyped]

from webapp.query_protocol.errors import AccessDenied, InternalFailure
from webapp.query_protocol.wire import ParameterError, error_xml, parse_params, response_xml, service_model

REQUEST_ID = "5f0d3a8e-0000-4000-8000-000000000000"


def _form(service: str, operation: str, params: dict[str, Any]) -> dict[str, str]:
    """The flat form botocore's own serializer sends for ``params``."""
    model = service_model(service).operation_model(operation)
    body = QuerySerializer().serialize_to_request(params, model)["body"]
    return {k: str(v) for k, v in body.items()}


# (service, operation, input): lists, nested structures, integers, booleans, empty lists.
ROUND_TRIPS = [
    ("iam", "CreateRole", {"RoleName": "WebUser", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 7200}),
    ("iam", "CreateOpenIDConnectProvider", {"Url": "https://idp.localhost/dev", "ClientIDList": ["a", "b"],
                                            "ThumbprintList": ["0" * 40]}),
    ("iam", "CreatePolicyVersion", {"PolicyArn": "arn:aws:iam::000000000000:policy/P", "PolicyDocument": "{}",
                                    "SetAsDefault": True}),
    ("iam", "CreateOpenIDConnectProvider", {"Url": "https://idp.localhost/dev", "ThumbprintList": []}),
    ("sts", "AssumeRoleWithWebIdentity", {"RoleArn": "arn:aws:iam::000000000000:role/WebUser",
                                          "RoleSessionName": "alice", "WebIdentityToken": "t.o.k",
                                          "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnly"}]}),
]


@pytest.mark.parametrize(("service", "operation", "params"), ROUND_TRIPS,
                         ids=[f"{row[1]}-{i}" for i, row in enumerate(ROUND_TRIPS)])
def test_what_botocore_sends_parses_back_to_its_input(service: str, operation: str, params: dict[str, Any]) -> None:
    model = service_model(service).operation_model(operation)
    assert parse_params(model, _form(service, operation, params)) == params


@pytest.mark.parametrize(("field", "raw", "expected"), [
    ("MaxSessionDuration", "soon", "an integer"),
    ("SetAsDefault", "yes", "true or false"),
])
def test_a_value_not_of_its_declared_type_names_the_wire_parameter(field: str, raw: str, expected: str) -> None:
    operation = "CreateRole" if field == "MaxSessionDuration" else "CreatePolicyVersion"
    with pytest.raises(ParameterError) as caught:
        parse_params(service_model("iam").operation_model(operation), {field: raw})
    assert (caught.value.name, caught.value.expected) == (field, expected)


def test_a_response_reads_back_through_botocores_parser() -> None:
    result = {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s<&>", "SessionToken": "t",
                              "Expiration": 1_800_000_000},
              "SubjectFromWebIdentityToken": "alice-sub", "PackedPolicySize": 7,
              "AssumedRoleUser": {"Arn": "arn:aws:sts::000000000000:assumed-role/WebUser/alice",
                                  "AssumedRoleId": "AROAEXAMPLE:alice"},
              "Provider": "https://idp.localhost/dev", "Audience": "web"}
    body = response_xml("sts", "AssumeRoleWithWebIdentity", result, REQUEST_ID)
    shape = service_model("sts").operation_model("AssumeRoleWithWebIdentity").output_shape
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": 200}, shape)
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["Credentials"]["SecretAccessKey"] == "s<&>"  # escaped on the wire, intact after parsing
    assert parsed["Credentials"]["Expiration"].timestamp() == 1_800_000_000
    assert parsed["PackedPolicySize"] == 7
    assert parsed["AssumedRoleUser"] == result["AssumedRoleUser"]


def test_an_operation_without_output_still_carries_the_request_id() -> None:
    body = response_xml("iam", "DeleteRole", None, REQUEST_ID)
    root = ET.fromstring(body)
    assert root.tag == "{https://iam.amazonaws.com/doc/2010-05-08/}DeleteRoleResponse"
    assert [child.tag.split("}")[1] for child in root] == ["ResponseMetadata"]


@pytest.mark.parametrize(("service", "error", "fault"), [
    ("sts", AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity"), "Sender"),
    ("iam", AccessDenied("User: <x> & co is not authorized"), "Sender"),
    ("iam", InternalFailure("An internal error occurred; request id 1"), "Receiver"),
])
def test_an_error_renders_as_the_error_response_botocore_reads(service: str, error: Any, fault: str) -> None:
    body = error_xml(service, error, REQUEST_ID)
    parsed = QueryParser().parse({"body": body, "headers": {}, "status_code": error.status}, None)
    assert parsed["Error"] == {"Type": fault, "Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    namespace = service_model(service).metadata["xmlNamespace"]
    assert ET.fromstring(body).tag == f"{{{namespace}}}ErrorResponse"
