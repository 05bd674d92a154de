"""The verifier against requests signed by botocore with credentials minted by the real
``CredentialAuthority``: each row is one rule of security-anchors §2.1 (cases S-01..S-20)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority, Principal
from webapp.sigv4 import SignedRequest, SigV4Error, VerifiedRequest, verify

HOST = "localhost:8002"
BODY = json.dumps({"TableName": "Notes", "Key": {"owner": {"S": "alice-sub"}}}).encode()
TARGET = "DynamoDB_20120810.GetItem"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def authority(clock: ManualClock) -> CredentialAuthority:
    return CredentialAuthority(b"k" * 32, clock)


@pytest.fixture
def alice(authority: CredentialAuthority) -> Credentials:
    s = authority.mint_session(role_arn="arn:aws:iam::000000000000:role/WebUser",
                               session_name="alice", duration_seconds=3600,
                               variables={"idp.localhost/dev:sub": "alice-sub"})
    return Credentials(s.access_key_id, s.secret_access_key, s.session_token)


@pytest.fixture
def bob(authority: CredentialAuthority) -> Credentials:
    s = authority.mint_session(role_arn="arn:aws:iam::000000000000:role/WebUser",
                               session_name="bob", duration_seconds=3600)
    return Credentials(s.access_key_id, s.secret_access_key, s.session_token)


def sign(creds: Credentials, clock: ManualClock, *, region: str = "us-east-1",
         service: str = "dynamodb", at: float | None = None, body: bytes = BODY,
         extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> SignedRequest:
    """A POST / signed by botocore's SigV4Auth, as boto3 sends DynamoDB calls."""
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET, **(extra or {})}
    headers = {k: v for k, v in headers.items() if k.lower() not in drop}
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=body, headers=headers)
    when = dt.datetime.fromtimestamp(clock() if at is None else at, dt.UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", lambda: when):
        SigV4Auth(creds, service, region).add_auth(request)
    return SignedRequest("POST", "/", "", [("Host", HOST), *request.headers.items()], body)


def run(request: SignedRequest, authority: CredentialAuthority, clock: ManualClock,
        **kw: Any) -> VerifiedRequest[Principal]:
    return verify(request, lookup=authority.secret_for, clock=clock, region="us-east-1",
                  service=kw.pop("service", "dynamodb"), skew=kw.pop("skew", 300))


def header(request: SignedRequest, name: str) -> str:
    return next(v for k, v in request.headers if k.lower() == name)


def with_header(request: SignedRequest, name: str, value: str | None) -> SignedRequest:
    kept = [(k, v) for k, v in request.headers if k.lower() != name.lower()]
    return replace(request, headers=kept if value is None else [*kept, (name, value)])


def test_botocore_signed_request_verifies(authority: CredentialAuthority, clock: ManualClock,
                                          alice: Credentials) -> None:
    verified = run(sign(alice, clock), authority, clock)
    assert verified.principal.arn == "arn:aws:sts::000000000000:assumed-role/WebUser/alice"
    assert verified.principal.web_identity_subject == "alice-sub"
    assert "x-amz-security-token" in verified.signed_headers


def test_service_is_a_parameter(authority: CredentialAuthority, clock: ManualClock,
                                alice: Credentials) -> None:
    assert run(sign(alice, clock, service="iam"), authority, clock, service="iam").service == "iam"


def test_static_service_key_verifies(authority: CredentialAuthority, clock: ManualClock) -> None:
    key = authority.ensure_service_key("arn:aws:iam::000000000000:role/Admin", "admin")
    creds = Credentials(key.access_key_id, key.secret_access_key)
    assert run(sign(creds, clock), authority, clock).principal.session_name == "admin"


def _wrong_secret(r: SignedRequest, a: Credentials, b: Credentials, c: ManualClock) -> SignedRequest:
    return sign(Credentials(a.access_key, "x" * 40, a.token), c)


def _foreign_token(r: SignedRequest, a: Credentials, b: Credentials, c: ManualClock) -> SignedRequest:
    return sign(Credentials(a.access_key, a.secret_key, b.token), c)


def _auth_edit(edit: Callable[[str], str]) -> Callable[..., SignedRequest]:
    return lambda r, a, b, c: with_header(r, "Authorization", edit(header(r, "authorization")))


def _sig(value: Callable[[str], str]) -> Callable[[str], str]:
    def edit(auth: str) -> str:
        head, _, sig = auth.rpartition("Signature=")
        return head + "Signature=" + value(sig)
    return edit


Mutation = Callable[[SignedRequest, Credentials, Credentials, ManualClock], SignedRequest]

#: (rule, mutation, expected code, message fragment)
REFUSALS: list[tuple[str, Mutation, str, str]] = [
    ("S-01 wrong secret", _wrong_secret, "InvalidSignatureException",
     "does not match the signature you provided"),
    ("S-02 access key STS never issued",
     lambda r, a, b, c: sign(Credentials("ASIAXXXXXXXXXXXXXXXX", "s" * 40, a.token), c),
     "UnrecognizedClientException", "The security token included in the request is invalid."),
    ("S-03 temporary key without its session token",
     lambda r, a, b, c: sign(Credentials(a.access_key, a.secret_key), c),
     "UnrecognizedClientException", "The security token included in the request is invalid."),
    ("S-04 another session's token", _foreign_token, "UnrecognizedClientException",
     "security token included in the request is invalid"),
    ("S-06 signed 6 min ago", lambda r, a, b, c: sign(a, c, at=c() - 360),
     "InvalidSignatureException", "Signature expired: 20270115T075400Z is now earlier than "
     "20270115T075500Z (20270115T080000Z - 5 min.)"),
    ("S-07 signed 6 min ahead", lambda r, a, b, c: sign(a, c, at=c() + 360),
     "InvalidSignatureException", "Signature not yet current: 20270115T080600Z is still later "
     "than 20270115T080500Z (20270115T080000Z + 5 min.)"),
    ("S-09 body changed after signing", lambda r, a, b, c: replace(r, body=r.body.replace(b"alice", b"bob")),
     "InvalidSignatureException", "does not match"),
    ("S-10 target changed after signing",
     lambda r, a, b, c: with_header(r, "X-Amz-Target", "DynamoDB_20120810.DeleteItem"),
     "InvalidSignatureException", "does not match"),
    ("S-11 x-amz-target left out of SignedHeaders",
     lambda r, a, b, c: with_header(sign(a, c, drop=("x-amz-target",)), "X-Amz-Target", TARGET),
     "InvalidSignatureException", "'X-Amz-Target' must be a 'SignedHeader'"),
    ("S-12 host left out of SignedHeaders",
     _auth_edit(lambda v: v.replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;")),
     "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization."),
    ("decision 6.4 session token unsigned",
     _auth_edit(lambda v: v.replace(";x-amz-security-token", "")),
     "InvalidSignatureException", "'X-Amz-Security-Token' must be a 'SignedHeader'"),
    ("S-14a X-Amz-Target repeated", lambda r, a, b, c: replace(r, headers=[*r.headers, ("X-Amz-Target", TARGET)]),
     "IncompleteSignatureException", "must not be repeated"),
    ("S-14b X-Amz-Date repeated (joined by the server)",
     lambda r, a, b, c: with_header(r, "X-Amz-Date", header(r, "x-amz-date") + "," + header(r, "x-amz-date")),
     "IncompleteSignatureException", "must not be repeated"),
    ("S-14c Authorization repeated",
     lambda r, a, b, c: replace(r, headers=[*r.headers, ("Authorization", header(r, "authorization"))]),
     "IncompleteSignatureException", "must not be repeated"),
    ("S-15 scoped to eu-west-1", lambda r, a, b, c: sign(a, c, region="eu-west-1"),
     "InvalidSignatureException", "Credential should be scoped to a valid region, not 'eu-west-1'."),
    ("S-16 scoped to sts", lambda r, a, b, c: sign(a, c, service="sts"),
     "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'."),
    ("S-16 scoped to s3", lambda r, a, b, c: sign(a, c, service="s3"),
     "InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'."),
    ("S-17 scope date yesterday", _auth_edit(lambda v: v.replace("/20270115/", "/20270114/")),
     "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
     "version of date from HTTP: '20270114' != '20270115'"),
    ("scope terminator", _auth_edit(lambda v: v.replace("/aws4_request", "/aws4_reqest")),
     "InvalidSignatureException", "Credential should be scoped with a valid terminator: 'aws4_request'"),
    ("S-19 HMAC-SHA1", _auth_edit(lambda v: v.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")),
     "IncompleteSignatureException", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'"),
    ("S-19 SigV4a", _auth_edit(lambda v: v.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
     "IncompleteSignatureException", "Unsupported AWS 'algorithm'"),
    ("S-19 SigV2", lambda r, a, b, c: with_header(r, "Authorization", "AWS AKID:c2lnbmF0dXJl"),
     "IncompleteSignatureException", "Unsupported AWS 'algorithm': 'AWS'"),
    ("S-20a no Authorization", lambda r, a, b, c: with_header(r, "Authorization", None),
     "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    ("S-20b no Signature=", _auth_edit(lambda v: v.rpartition(", Signature=")[0]),
     "IncompleteSignatureException", "Authorization header requires 'Signature' parameter."),
    ("S-20c no Credential=", _auth_edit(lambda v: "AWS4-HMAC-SHA256 " + v.partition(", ")[2]),
     "IncompleteSignatureException", "Authorization header requires 'Credential' parameter."),
    ("S-20d 63 hex signature", _auth_edit(_sig(lambda s: s[:63])),
     "IncompleteSignatureException", "Signature must be 64 hexadecimal characters"),
    ("S-20e upper-case signature", _auth_edit(_sig(str.upper)),
     "InvalidSignatureException", "does not match"),
    ("no date at all", lambda r, a, b, c: with_header(r, "X-Amz-Date", None),
     "IncompleteSignatureException", "requires existence of either a 'X-Amz-Date' or a 'Date' header"),
    ("malformed date", lambda r, a, b, c: with_header(r, "X-Amz-Date", "2027-01-15T08:00:00Z"),
     "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'"),
    ("credential with 4 parts", _auth_edit(lambda v: v.replace("/us-east-1/", "/")),
     "IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements"),
    ("header and query auth both",
     lambda r, a, b, c: replace(r, query="X-Amz-Algorithm=AWS4-HMAC-SHA256"),
     "InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and "
     "'Authorization' as HTTP header."),
    ("declared payload hash differs",
     lambda r, a, b, c: replace(sign(a, c, extra={"X-Amz-Content-SHA256": "0" * 64}), body=BODY),
     "InvalidSignatureException", "'x-amz-content-sha256' header does not match"),
    ("a signed header that was not sent",
     _auth_edit(lambda v: v.replace("SignedHeaders=", "SignedHeaders=accept;")),
     "InvalidSignatureException", "Signed header 'accept' is not present"),
]


@pytest.mark.parametrize("rule, mutate, code, fragment", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal(rule: str, mutate: Mutation, code: str, fragment: str,
                 authority: CredentialAuthority, clock: ManualClock,
                 alice: Credentials, bob: Credentials) -> None:
    with pytest.raises(SigV4Error) as caught:
        run(mutate(sign(alice, clock), alice, bob, clock), authority, clock)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert fragment in caught.value.message


def test_expired_session(authority: CredentialAuthority, clock: ManualClock,
                         alice: Credentials) -> None:
    clock.advance(3601)
    with pytest.raises(SigV4Error) as caught:
        run(sign(alice, clock), authority, clock)
    assert (caught.value.code, caught.value.message) == (
        "ExpiredTokenException", "The security token included in the request is expired")


@pytest.mark.parametrize("offset", [-299, 0, 299])
def test_inside_the_window(offset: int, authority: CredentialAuthority, clock: ManualClock,
                           alice: Credentials) -> None:
    assert run(sign(alice, clock, at=clock() + offset), authority, clock).access_key_id == alice.access_key


def test_window_comes_from_settings(authority: CredentialAuthority, clock: ManualClock,
                                    alice: Credentials) -> None:
    request = sign(alice, clock, at=clock() - 600)
    assert run(request, authority, clock, skew=900).access_key_id == alice.access_key
    with pytest.raises(SigV4Error, match=r"- 5 min\.\)"):
        run(request, authority, clock, skew=300)


def test_date_header_instead_of_x_amz_date(authority: CredentialAuthority, clock: ManualClock,
                                           alice: Credentials) -> None:
    """A request dated by ``Date`` alone is not incomplete (this one then fails as its
    SignedHeaders still name the x-amz-date it no longer sends)."""
    request = sign(alice, clock)
    date = dt.datetime.fromtimestamp(clock(), dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    request = with_header(with_header(request, "X-Amz-Date", None), "Date", date)
    with pytest.raises(SigV4Error) as caught:
        run(request, authority, clock)
    assert caught.value.code == "InvalidSignatureException"
    assert "Signed header 'x-amz-date' is not present" in caught.value.message


def test_signature_is_compared_in_constant_time() -> None:
    """S-25: the comparison is ``hmac.compare_digest`` (code review made executable)."""
    import inspect

    from webapp.sigv4 import verify as module

    source = inspect.getsource(module)
    assert "hmac.compare_digest(expected.encode(), auth.signature.encode())" in source
    assert "expected ==" not in source and "== auth.signature" not in source


def test_presigned_request_verifies(authority: CredentialAuthority, clock: ManualClock,
                                    alice: Credentials) -> None:
    from botocore.auth import SigV4QueryAuth

    request = AWSRequest(method="GET", url=f"http://{HOST}/", headers={})
    signer = SigV4QueryAuth(alice, "dynamodb", "us-east-1", expires=60)
    when = dt.datetime.fromtimestamp(clock(), dt.UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", lambda: when):
        signer.add_auth(request)
    query = request.url.split("?", 1)[1]
    signed = SignedRequest("GET", "/", query, [("Host", HOST)], b"")
    assert run(signed, authority, clock).presigned
    clock.advance(61)
    with pytest.raises(SigV4Error, match="Signature expired"):
        run(signed, authority, clock)


#: ``Authorization`` headers in the form the SDKs write, read in one match (``_SDK_HEADER``), and
#: what must not be read that way. A leading space makes the same header take the general reading
#: (which strips it), so each pair shows that the two readings agree or refuse alike.
SDK_FORM_HEADERS = [
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request,"
    "SignedHeaders=host;x-amz-date;x-amz-security-token,Signature=" + "0F" * 32,
    "AWS4-HMAC-SHA256 Credential=A/B, SignedHeaders=;;, Signature=short",
    "AWS4-HMAC-SHA256 Credential=A/B=C, SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=A, SignedHeaders=host, Signature=" + "a" * 64 + " ",
    "AWS4-HMAC-SHA256 Credential=A,  SignedHeaders=host, Signature=" + "a" * 64,
    "AWS4-HMAC-SHA256 Credential=A, SignedHeaders=host, Signature=",
]


@pytest.mark.parametrize("header", SDK_FORM_HEADERS)
def test_the_sdk_form_of_the_header_reads_as_the_general_form_does(header: str) -> None:
    import importlib

    module = importlib.import_module("webapp.sigv4.verify")

    headers = {"authorization": header, "x-amz-date": "20150830T123600Z", "host": "h"}

    def read(text: str) -> object:
        try:
            return module._parse_header(text, headers)
        except SigV4Error as error:
            return (type(error).__name__, str(error).replace(text, "<header>"))

    assert read(header) == read(" " + header)
