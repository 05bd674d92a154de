"""Every wire error class: one class per code per protocol, and each body as the SDK reads it.

The test walks every ``AwsError`` subclass in ``iam_policies`` and ``webapp``, serializes each as
the service that answers with it does (DynamoDB: AWS JSON 1.0 ``{"__type", "message"}``; IAM and
STS: the Query protocol's ``<ErrorResponse>``), parses the body back with botocore's own parser
for that service, and checks it against botocore's service model: the error shape exists with that
code and HTTP status, and the message member is spelled as the shape spells it. Codes the model
does not declare (the protocols' common errors) must be in ``NOT_MODELLED``, each with its source.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser

import iam_policies
import webapp
from iam_policies import errors as engine
from iam_policies import s3 as s3_derive
from iam_policies.dynamodb.keys import InvalidKeyValue
from iam_policies.errors import AwsError
from webapp.backend import errors as backend
from webapp.backend.semantics.writes import ConditionalCheckFailed
from webapp.backend.upstream import UpstreamUnavailable
from webapp.dynamodb import wire as dynamodb_wire
from webapp.iam import errors as iam
from webapp.query_protocol import errors as query
from webapp.query_protocol.wire import error_xml
from webapp.s3 import errors as s3
from webapp.sigv4 import errors as sigv4
from webapp.sts import errors as sts

BOTH = ("iam", "sts")

#: Which services answer with each class.
SERVICES: dict[type[AwsError], tuple[str, ...]] = {
    engine.InvalidIdentityToken: ("sts",),
    engine.MalformedPolicyDocument: BOTH,
    engine.RequestEntityTooLarge: ("dynamodb", "sts"),
    engine.ResourceNotFoundException: ("dynamodb",),
    engine.TransactionCanceledException: ("dynamodb",),
    InvalidKeyValue: ("dynamodb",),
    engine.UnknownOperationException: ("dynamodb",),
    engine.ValidationException: ("dynamodb",),
    backend.DynamoDBResourceNotFoundException: ("dynamodb",),
    backend.DynamoDBValidationException: ("dynamodb",),
    backend.IdempotentParameterMismatchException: ("dynamodb",),
    backend.ResourceInUseException: ("dynamodb",),
    backend.LimitExceededException: ("dynamodb",),
    backend.InternalServerError: ("dynamodb",),
    backend.ProvisionedThroughputExceededException: ("dynamodb",),
    ConditionalCheckFailed: ("dynamodb",),
    UpstreamUnavailable: ("dynamodb",),
    dynamodb_wire.AccessDeniedException: ("dynamodb",),
    dynamodb_wire.SerializationException: ("dynamodb",),
    sigv4.ExpiredToken: ("dynamodb",),
    sigv4.IncompleteSignature: ("dynamodb",),
    sigv4.InvalidSignature: ("dynamodb",),
    sigv4.MissingAuthenticationToken: ("dynamodb",),
    sigv4.UnrecognizedClient: ("dynamodb",),
    iam.DeleteConflict: ("iam",),
    iam.EntityAlreadyExists: ("iam",),
    iam.InvalidInput: ("iam",),
    iam.LimitExceeded: ("iam",),
    iam.NoSuchEntity: ("iam",),
    iam.ServiceFailure: ("iam",),
    query.AccessDenied: BOTH,
    query.InternalFailure: BOTH,
    query.InvalidAction: BOTH,
    query.InvalidHttpRequest: BOTH,
    query.MissingAction: BOTH,
    query.ValidationError: BOTH,
    sts.ExpiredTokenException: ("sts",),
    sts.IDPCommunicationError: ("sts",),
    sts.PackedPolicyTooLarge: ("sts",),
    **{cls: ("s3",) for cls in (
        s3.AccessDenied, s3.SignatureDoesNotMatch, s3.InvalidAccessKeyId, s3.ExpiredToken,
        s3.AuthorizationHeaderMalformed, s3.AuthorizationQueryParametersError, s3.RequestTimeTooSkewed, s3.InvalidRequest, s3.InvalidArgument,
        s3.InvalidDigest, s3.BadDigest, s3.IncompleteBody, s3.ContentSha256Mismatch, s3.EntityTooLarge,
        s3.BucketAlreadyOwnedByYou, s3.MethodNotAllowed, s3.InternalError, s3.NoSuchUpload,
        s3_derive.NotImplementedOperation, s3_derive.MalformedXML, s3_derive.InvalidArgument,
    )},
}
#: Carriers whose code is chosen per instance, checked through the classes above:
#: ``DynamoDBError`` (any code rebuilt from the wire), ``SigV4Error`` (a base),
#: ``QueryAuthError`` (a SigV4 failure in the Query protocol's words, below).
CARRIERS = {backend.DynamoDBError, sigv4.SigV4Error, query.QueryAuthError, s3.S3Error,
            # S3's payload-hash refusals, decided by the verifier and answered by ``s3.s3_error_of``
            # as s3.InvalidRequest, s3.InvalidArgument and s3.ContentSha256Mismatch (tested there)
            sigv4.MissingContentSha256, sigv4.BadContentSha256, sigv4.ContentSha256Mismatch,
            # presigned-URL time and lifetime refusals: InvalidSignature / IncompleteSignature on the
            # JSON and Query services, s3.AccessDenied / s3.AuthorizationQueryParametersError on S3
            sigv4.PresignedExpired, sigv4.PresignedNotYetValid, sigv4.PresignedLifetimeTooLong}

COMMON = "AWS API reference, Common Errors"
#: (service, code) -> (HTTP status, message member, where the code and status are documented).
NOT_MODELLED: dict[tuple[str, str], tuple[int, str, str]] = {
    ("dynamodb", "ValidationException"): (400, "message", COMMON),
    ("dynamodb", "AccessDeniedException"): (400, "Message", "fgac-semantics §E.1, G-13 (live bodies)"),
    ("dynamodb", "UnknownOperationException"): (400, "message", "fgac-semantics O1 (dynalite's live tests)"),
    ("dynamodb", "SerializationException"): (400, "Message", "AWS JSON 1.0 protocol front end, " + COMMON
                                             + "; 'Message' as dynalite test/helpers.js recorded it live"),
    ("dynamodb", "RequestEntityTooLarge"): (413, "message", "DynamoDB DG Service quotas (16 MB); attack case S-24"),
    ("dynamodb", "ServiceUnavailable"): (503, "message", COMMON),
    ("dynamodb", "MissingAuthenticationTokenException"): (400, "message", "fgac-semantics §E.1 (O1, all 400)"),
    ("dynamodb", "IncompleteSignatureException"): (400, "message", "fgac-semantics §E.1 (O1, all 400)"),
    ("dynamodb", "InvalidSignatureException"): (400, "message", "fgac-semantics §E.1 (O1, all 400)"),
    ("dynamodb", "UnrecognizedClientException"): (400, "message", "fgac-semantics §E.1 (O1, all 400)"),
    ("dynamodb", "ExpiredTokenException"): (400, "message", "fgac-semantics §E.1 [O]"),
    ("sts", "RequestEntityTooLarge"): (413, "Message", "the AWS front end's 413 (as DynamoDB's)"),
    **{("s3", code): (status, "Message", "S3 API Reference, Error responses: List of error codes")
       for code, status in (
        ("AccessDenied", 403), ("SignatureDoesNotMatch", 403), ("InvalidAccessKeyId", 403), ("ExpiredToken", 400),
        ("AuthorizationHeaderMalformed", 400), ("AuthorizationQueryParametersError", 400), ("RequestTimeTooSkewed", 403), ("InvalidRequest", 400),
        ("InvalidArgument", 400), ("InvalidDigest", 400), ("BadDigest", 400), ("IncompleteBody", 400),
        ("XAmzContentSHA256Mismatch", 400), ("EntityTooLarge", 400), ("BucketAlreadyOwnedByYou", 409),
        ("MethodNotAllowed", 405), ("InternalError", 500), ("NoSuchUpload", 404), ("NotImplemented", 501), ("MalformedXML", 400),
    )},
    **{(service, code): (status, "Message", source) for service in BOTH for code, status, source in (
        ("AccessDenied", 403, "botocore iam/sts operation docs; fgac-semantics §D.4"),
        ("InternalFailure", 500, COMMON),
        ("InvalidAction", 400, COMMON),
        ("MissingAction", 400, COMMON),
        ("ValidationError", 400, COMMON),
        ("InvalidHttpRequest", 405, "ours: the Query protocol takes POST or GET"),
        ("ServiceFailure", 500, "IAM API reference, errors of every action"),
        ("MissingAuthenticationToken", 403, COMMON),
        ("SignatureDoesNotMatch", 403, "security-anchors §5: XML 403 [probe]; " + COMMON),
        ("InvalidClientTokenId", 403, "security-anchors §5: XML 403 [probe]; " + COMMON),
        ("IncompleteSignature", 403, "security-anchors §5 (IAM-shaped 403) [probe]"),
        ("ExpiredToken", 403, COMMON),
    )},
}

#: How a class is built when it does not take just a message.
SPECIAL = {
    backend.IdempotentParameterMismatchException: lambda: backend.IdempotentParameterMismatchException(),
    backend.ProvisionedThroughputExceededException: lambda: backend.ProvisionedThroughputExceededException(),
    ConditionalCheckFailed: lambda: ConditionalCheckFailed(),
    engine.TransactionCanceledException: lambda: engine.TransactionCanceledException([{"Code": "None"}]),
}
#: JSON error shapes carry no HTTP status: DynamoDB answers 400 for every client error and 500
#: for a server fault (DynamoDB DG, "Error handling with DynamoDB": 5xx InternalServerError).
SERVER_FAULTS = {("dynamodb", "InternalServerError")}


def every_error_class() -> set[type[AwsError]]:
    for package in (iam_policies, webapp):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith(("__main__", ".wsgi")):
                importlib.import_module(module.name)

    def below(cls: type[AwsError]) -> Iterator[type[AwsError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return set(below(AwsError))


@cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def modelled(service: str, code: str) -> Any:
    """The error shape of ``code`` in the service model, or ``None``."""
    for shape in model(service).error_shapes:
        if shape.metadata.get("error", {}).get("code", shape.name) == code:
            return shape
    return None


def serialize(error: AwsError, service: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body the service sends (as a plain value) and what botocore's parser reads from it."""
    if service == "dynamodb":
        payload = dynamodb_wire.error_payload(error)
        raw = json.dumps(payload).encode()
        headers = {"content-type": "application/x-amz-json-1.0"}
    elif service == "s3":
        raw = s3.error_xml(error, "R1", resource="/bucket/key")
        payload = {"xml": raw.decode()}
        headers = {"content-type": "application/xml"}
    else:
        raw = error_xml(service, error, "R1")
        payload = {"xml": raw.decode()}
        headers = {"content-type": "text/xml"}
    operation = model(service).operation_model(model(service).operation_names[0])
    parsed = create_parser(model(service).protocol).parse(
        {"status_code": error.status, "headers": headers, "body": raw}, operation.output_shape)
    return payload, parsed["Error"]


def build(cls: type[AwsError]) -> AwsError:
    make = SPECIAL.get(cls)
    return make() if make is not None else cls("an actionable message")


def cases() -> list[tuple[type[AwsError], str]]:
    return [(cls, service) for cls, services in SERVICES.items() for service in services]


def test_every_error_class_is_in_the_table() -> None:
    assert every_error_class() - CARRIERS == set(SERVICES)


def test_each_code_has_one_class_per_protocol() -> None:
    """A class that declares a code is its only declaration in each service; subclasses may only
    adapt it (the backend's wire-rebuilt variants)."""
    declared: dict[tuple[str, str], list[str]] = {}
    for cls, services in SERVICES.items():
        if "code" in vars(cls):
            for service in services:
                declared.setdefault((service, cls.code), []).append(cls.__qualname__)
    assert {key: names for key, names in declared.items() if len(names) > 1} == {}


@pytest.mark.parametrize(("cls", "service"), cases(), ids=[f"{s}:{c.__name__}" for c, s in cases()])
def test_the_body_is_what_botocore_reads_for_that_service(cls: type[AwsError], service: str) -> None:
    error = build(cls)
    payload, parsed = serialize(error, service)
    assert (parsed["Code"], parsed["Message"]) == (error.code, error.message)
    shape = modelled(service, error.code)
    if shape is None:
        assert (service, error.code) in NOT_MODELLED, f"{error.code} is neither in the {service} model nor documented here"
        status, member, _ = NOT_MODELLED[(service, error.code)]
    else:
        fault = (service, error.code) in SERVER_FAULTS
        status = shape.metadata.get("error", {}).get("httpStatusCode") or (500 if fault else 400)
        member = next((m for m in shape.members if m.lower() == "message"), "message")
    assert error.status == status
    if service == "dynamodb":
        assert member in payload and payload["__type"].endswith("#" + error.code)
    else:
        assert f"<Code>{error.code}</Code>" in payload["xml"]


AUTH = [sigv4.MissingAuthenticationToken, sigv4.IncompleteSignature, sigv4.InvalidSignature,
        sigv4.UnrecognizedClient, sigv4.ExpiredToken]


@pytest.mark.parametrize("service", BOTH)
@pytest.mark.parametrize("sigv4_error", AUTH, ids=[c.__name__ for c in AUTH])
def test_a_sigv4_failure_in_the_query_protocol(sigv4_error: type[sigv4.SigV4Error], service: str) -> None:
    error = query.QueryAuthError(sigv4_error("The security token included in the request is invalid."))
    _, parsed = serialize(error, service)
    assert (parsed["Code"], parsed["Message"]) == (sigv4_error.query_code, error.message)
    assert modelled(service, error.code) is None
    assert error.status == NOT_MODELLED[(service, error.code)][0]
