"""The error codes IAM and STS share: one class each, the code, status and fault both models declare."""

from __future__ import annotations

import pytest

from iam_policies.errors import AwsError, MalformedPolicyDocument
from webapp.iam import errors as iam_errors
from webapp.query_protocol import errors
from webapp.sigv4 import (
    ExpiredToken,
    InvalidSignature,
    MissingAuthenticationToken,
    SigV4Error,
    UnrecognizedClient,
)
from webapp.sts import errors as sts_errors

# (class, wire code, HTTP status, fault): AWS API reference "Common Errors"; botocore iam/sts models.
SHARED = [
    (errors.MissingAction, "MissingAction", 400, "Sender"),
    (errors.InvalidAction, "InvalidAction", 400, "Sender"),
    (errors.ValidationError, "ValidationError", 400, "Sender"),
    (errors.MalformedPolicyDocument, "MalformedPolicyDocument", 400, "Sender"),
    (errors.AccessDenied, "AccessDenied", 403, "Sender"),
    (errors.InvalidHttpRequest, "InvalidHttpRequest", 405, "Sender"),
    (errors.InternalFailure, "InternalFailure", 500, "Receiver"),
]


@pytest.mark.parametrize(("cls", "code", "status", "fault"), SHARED, ids=[row[1] for row in SHARED])
def test_each_shared_error_carries_its_wire_code_status_and_fault(
        cls: type[AwsError], code: str, status: int, fault: str) -> None:
    error = cls("some message")
    assert (error.code, error.status, error.fault) == (code, status, fault)
    # MalformedPolicyDocument is the engine's own error: its message names the JSON path.
    assert error.message == ("some message (at $)" if cls is MalformedPolicyDocument else "some message")


def test_the_query_services_answer_the_engines_malformed_policy_error_as_is() -> None:
    assert errors.MalformedPolicyDocument is MalformedPolicyDocument


@pytest.mark.parametrize("name", ["AccessDenied", "InvalidAction", "InvalidHttpRequest", "MalformedPolicyDocument",
                                  "MissingAction", "ValidationError"])
def test_iam_and_sts_raise_the_same_class_for_a_shared_code(name: str) -> None:
    shared = getattr(errors, name)
    assert getattr(iam_errors, name) is shared
    assert getattr(sts_errors, name) is shared


# A SigV4 failure is answered in the Query protocol's words, always 403 (IAM and STS agree).
AUTH_FAILURES = [
    (MissingAuthenticationToken, "MissingAuthenticationToken"),
    (InvalidSignature, "SignatureDoesNotMatch"),
    (UnrecognizedClient, "InvalidClientTokenId"),
    (ExpiredToken, "ExpiredToken"),
]


@pytest.mark.parametrize(("sigv4_error", "query_code"), AUTH_FAILURES, ids=[row[1] for row in AUTH_FAILURES])
def test_a_sigv4_failure_keeps_its_message_under_the_query_code(sigv4_error: type[SigV4Error], query_code: str) -> None:
    error = errors.QueryAuthError(sigv4_error("The security token included in the request is invalid."))
    assert (error.code, error.status, error.message) == (
        query_code, 403, "The security token included in the request is invalid.")
