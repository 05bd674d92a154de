"""The local S3 endpoint over HTTP with boto3: S3's answers, SigV4 with S3's payload modes, IAM.

What boto3 1.44 sends over plain HTTP (checked by capturing it): PutObject and upload_fileobj with
the body's hex SHA-256 in ``x-amz-content-sha256`` and a CRC32 in ``x-amz-checksum-crc32``;
GetObject and ListObjectsV2 with the empty body's hash. Over HTTPS it would send
``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (aws-chunked with a CRC32 trailer), which the test below
produces with botocore's own encoder and signer. Every refusal also checks nothing was written.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from tests.conftest import Credentials, RunningStack

BUCKET = "webapp-exports"


def s3(stack: RunningStack, credentials: Credentials, **config: Any) -> Any:
    return boto3.client("s3", region_name=stack.region, endpoint_url=stack.s3_url,
                        aws_access_key_id=credentials.access_key_id,
                        aws_secret_access_key=credentials.secret_access_key,
                        aws_session_token=credentials.session_token,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, **config))


def keys(stack: RunningStack, prefix: str) -> list[str]:
    listing = stack.admin("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture(scope="module")
def alice(stack: RunningStack) -> Any:
    """An S3 client signed with alice's web-identity session (the browser's user role)."""
    return s3(stack, stack.login("alice"))


@pytest.fixture
def prefix() -> str:
    return f"t-{uuid.uuid4().hex[:8]}/"


def test_the_admin_writes_lists_reads_and_deletes(stack: RunningStack, prefix: str) -> None:
    admin = stack.admin("s3")
    admin.put_object(Bucket=BUCKET, Key=prefix + "a b+c.jsonl", Body=b"one\n", ContentType="application/x-ndjson")
    admin.upload_fileobj(io.BytesIO(b"x" * 9 * 1024 * 1024), BUCKET, prefix + "big")  # multipart: 2 parts
    admin.put_object(Bucket=BUCKET, Key=prefix + "empty", Body=b"")
    assert sorted(keys(stack, prefix)) == [prefix + "a b+c.jsonl", prefix + "big", prefix + "empty"]
    got = admin.get_object(Bucket=BUCKET, Key=prefix + "a b+c.jsonl")
    assert (got["Body"].read(), got["ContentType"]) == (b"one\n", "application/x-ndjson")
    assert admin.head_object(Bucket=BUCKET, Key=prefix + "big")["ContentLength"] == 9 * 1024 * 1024
    assert admin.get_object(Bucket=BUCKET, Key=prefix + "big", Range="bytes=0-2")["Body"].read() == b"xxx"
    admin.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": prefix + "big"}, {"Key": prefix + "empty"}]})
    admin.delete_object(Bucket=BUCKET, Key=prefix + "a b+c.jsonl")
    assert keys(stack, prefix) == []


@pytest.mark.parametrize(("call", "expected"), [
    (lambda c, p: c.get_object(Bucket=BUCKET, Key=p + "missing"), "NoSuchKey"),
    (lambda c, p: c.list_objects_v2(Bucket="no-such-bucket-here"), "NoSuchBucket"),
    (lambda c, p: c.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x"), "NoSuchBucket"),
    (lambda c, p: c.get_bucket_acl(Bucket=BUCKET), "NotImplemented"),
    (lambda c, p: c.put_object(Bucket=BUCKET, Key=p + "k", Body=b"x", ChecksumCRC32="AAAAAA=="), "BadDigest"),
    # the MD5 of the empty body, sent with one byte
    (lambda c, p: c.put_object(Bucket=BUCKET, Key=p + "k", Body=b"x", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="), "BadDigest"),
], ids=["no-such-key", "no-such-bucket", "put-no-bucket", "unsupported-subresource", "wrong-checksum", "wrong-md5"])
def test_errors_are_s3s_xml(stack: RunningStack, prefix: str, call: Any, expected: str) -> None:
    with pytest.raises(ClientError) as caught:
        call(stack.admin("s3"), prefix)
    assert code(caught.value) == expected
    assert keys(stack, prefix) == []


@pytest.mark.parametrize(("call", "action"), [
    (lambda c, p: c.put_object(Bucket=BUCKET, Key=p + "k", Body=b"x"), "s3:PutObject"),
    (lambda c, p: c.upload_fileobj(io.BytesIO(b"x" * 100), BUCKET, p + "k"), "s3:PutObject"),
    (lambda c, p: c.get_object(Bucket=BUCKET, Key=p + "k"), "s3:GetObject"),
    (lambda c, p: c.list_objects_v2(Bucket=BUCKET, Prefix=p), "s3:ListBucket"),
    (lambda c, p: c.create_bucket(Bucket="alice-bucket"), "s3:CreateBucket"),
], ids=["put", "upload", "get", "list", "create-bucket"])
def test_the_user_role_gets_nothing_on_s3(stack: RunningStack, alice: Any, prefix: str, call: Any,
                                          action: str) -> None:
    with pytest.raises(Exception) as caught:
        call(alice, prefix)
    error = caught.value
    cause = error if isinstance(error, ClientError) else error.__context__
    assert isinstance(cause, ClientError) and code(cause) == "AccessDenied", error
    assert action in cause.response["Error"]["Message"]
    assert keys(stack, prefix) == []
    assert "alice-bucket" not in [b["Name"] for b in stack.admin("s3").list_buckets()["Buckets"]]


def test_a_bad_signature_is_refused_and_writes_nothing(stack: RunningStack, prefix: str) -> None:
    admin = stack.admin_credentials()
    forged = s3(stack, Credentials(admin.access_key_id, "not-the-secret"))
    with pytest.raises(ClientError) as caught:
        forged.put_object(Bucket=BUCKET, Key=prefix + "forged", Body=b"x")
    assert code(caught.value) == "SignatureDoesNotMatch"
    unknown = s3(stack, Credentials("AKIAUNKNOWNKEY000000", "secret"))
    with pytest.raises(ClientError) as caught:
        unknown.put_object(Bucket=BUCKET, Key=prefix + "unknown", Body=b"x")
    assert code(caught.value) == "InvalidAccessKeyId"
    anonymous = requests.put(f"{stack.s3_url}/{BUCKET}/{prefix}anonymous", data=b"x", timeout=30)
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content
    assert keys(stack, prefix) == []


def chunked_put(stack: RunningStack, key: str, data: bytes, *, tamper: bool = False) -> requests.Response:
    """A PutObject as boto3 sends it over HTTPS: aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER,
    CRC32 trailer, encoded by botocore's AwsChunkedWrapper and signed by botocore's S3 signer."""
    body = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum,
                             checksum_name="x-amz-checksum-crc32", chunk_size=64).read()
    if tamper:
        body = body.replace(data[:8], b"XXXXXXXX", 1)
    admin = stack.admin_credentials()
    request = AWSRequest("PUT", f"{stack.s3_url}/{BUCKET}/{key}", data=body, headers={
        "Content-Encoding": "aws-chunked", "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    })
    # what botocore's httpchecksum sets for a trailer checksum: the signer then declares the payload
    # STREAMING-UNSIGNED-PAYLOAD-TRAILER
    request.context["checksum"] = {"request_algorithm": {"in": "trailer", "name": "x-amz-checksum-crc32",
                                                         "algorithm": "crc32"}}
    S3SigV4Auth(BotoCredentials(admin.access_key_id, admin.secret_access_key), "s3", stack.region).add_auth(request)
    prepared = request.prepare()
    assert prepared.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    return requests.put(prepared.url, data=body, headers=dict(prepared.headers), timeout=30)


def test_an_aws_chunked_upload_with_a_checksum_trailer(stack: RunningStack, prefix: str) -> None:
    data = b"".join(b'{"Item": {"pk": {"S": "%d"}}}\n' % n for n in range(20))
    bad = chunked_put(stack, prefix + "tampered", data, tamper=True)
    assert bad.status_code == 400 and b"<Code>BadDigest</Code>" in bad.content
    assert keys(stack, prefix) == []
    good = chunked_put(stack, prefix + "chunked", data)
    assert good.status_code == 200, good.text
    assert stack.admin("s3").get_object(Bucket=BUCKET, Key=prefix + "chunked")["Body"].read() == data


def test_presigned_urls(stack: RunningStack, prefix: str) -> None:
    """Query-string SigV4 with S3's rules: the payload is UNSIGNED-PAYLOAD; the URL names its key.
    (boto3 presigns with SigV4 when asked; its default for a custom endpoint is SigV2's query
    string, which this endpoint, like S3 in every region opened since 2014, does not accept.)"""
    admin = s3(stack, stack.admin_credentials(), signature_version="s3v4")
    v2 = stack.admin("s3").generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": prefix + "x"})
    refused = requests.get(v2, timeout=30)
    assert refused.status_code == 403 and b"<Code>AccessDenied</Code>" in refused.content
    admin.put_object(Bucket=BUCKET, Key=prefix + "shared", Body=b"presigned")
    url = admin.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": prefix + "shared"},
                                       ExpiresIn=60)
    assert requests.get(url, timeout=30).content == b"presigned"
    other = requests.get(url.replace(prefix + "shared", prefix + "other"), timeout=30)
    assert other.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in other.content
    upload = admin.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": prefix + "put"}, ExpiresIn=60)
    assert requests.put(upload, data=b"uploaded", timeout=30).status_code == 200
    assert admin.get_object(Bucket=BUCKET, Key=prefix + "put")["Body"].read() == b"uploaded"


def signed(stack: RunningStack, method: str, path: str, body: bytes = b"") -> requests.Response:
    """A request signed by botocore's S3 signer with the admin's key, sent as written."""
    admin = stack.admin_credentials()
    request = AWSRequest(method, stack.s3_url + path, data=body)
    S3SigV4Auth(BotoCredentials(admin.access_key_id, admin.secret_access_key), "s3", stack.region).add_auth(request)
    prepared = request.prepare()
    return requests.request(method, prepared.url, data=body, headers=dict(prepared.headers), timeout=30)


@pytest.mark.parametrize(("method", "path", "body", "status", "expected"), [
    ("POST", "/webapp-exports/k?uploadId=never-created", b"<CompleteMultipartUpload/>", 404, "NoSuchUpload"),
    ("PUT", "/webapp-exports/k?partNumber=1&uploadId=never-created", b"x", 404, "NoSuchUpload"),
    ("GET", "/webapp-exports?list-type=2&max-keys=many", b"", 400, "InvalidArgument"),
    ("GET", "/webapp-exports?list-type=2&continuation-token=forged", b"", 400, "InvalidArgument"),
    ("PUT", "/new-bucket-malformed", b"<CreateBucketConfiguration", 400, "MalformedXML"),
    ("POST", "/webapp-exports?delete", b"<Delete></Delete>", 400, "MalformedXML"),
    ("PATCH", "/webapp-exports/k", b"", 405, "MethodNotAllowed"),
], ids=["complete-unknown-upload", "part-of-unknown-upload", "max-keys-not-a-number", "forged-token",
        "malformed-bucket-configuration", "delete-nothing", "patch"])
def test_malformed_requests_are_client_errors(stack: RunningStack, method: str, path: str, body: bytes,
                                              status: int, expected: str) -> None:
    """What moto would crash on is answered as S3 does (webapp.s3.checks); never an InternalError."""
    answer = signed(stack, method, path, body)
    assert (answer.status_code, f"<Code>{expected}</Code>" in answer.text) == (status, True), answer.text
    assert "new-bucket-malformed" not in [b["Name"] for b in stack.admin("s3").list_buckets()["Buckets"]]
