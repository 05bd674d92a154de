"""S3 requests as IAM authorizations, and policies on S3 ARNs decided by the shared evaluator.

Expected actions and resources: S3 User Guide, "Required permissions for Amazon S3 API
operations" and the Service Authorization Reference for Amazon S3 (ListObjectsV2 and HeadBucket
are s3:ListBucket on the bucket; HeadObject is s3:GetObject; the multipart steps are s3:PutObject;
DeleteObjects is s3:DeleteObject per key; CopyObject reads the source). Condition keys
``s3:prefix``/``s3:delimiter``/``s3:max-keys`` from the same reference.
"""

from __future__ import annotations

import json

import pytest

from iam_policies.authorization import Authorization
from iam_policies.deployment import DeploymentParams
from iam_policies.evaluate import evaluate
from iam_policies.policy import Policy
from iam_policies.render import render
from iam_policies.s3 import NotImplementedOperation, derive

B = "arn:aws:s3:::exports"
DELETE_BODY = (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a/1</Key></Object>'
               b"<Object><Key>a/2</Key></Object></Delete>")

CASES = [
    # method, bucket, key, query, headers, body -> operation, [(action, resource, context)]
    ("GET", "", None, {}, {}, b"", "ListBuckets", [("s3:ListAllMyBuckets", "*", {})]),
    ("PUT", "exports", None, {}, {}, b"", "CreateBucket", [("s3:CreateBucket", B, {})]),
    ("HEAD", "exports", None, {}, {}, b"", "HeadBucket", [("s3:ListBucket", B, {})]),
    ("GET", "exports", None, {"list-type": "2", "prefix": "photos/", "encoding-type": "url"}, {}, b"",
     "ListObjectsV2", [("s3:ListBucket", B, {"s3:prefix": "photos/"})]),
    ("GET", "exports", None, {"delimiter": "/", "max-keys": "10"}, {}, b"", "ListObjects",
     [("s3:ListBucket", B, {"s3:delimiter": "/", "s3:max-keys": "10"})]),
    ("GET", "exports", None, {"location": ""}, {}, b"", "GetBucketLocation", [("s3:GetBucketLocation", B, {})]),
    ("DELETE", "exports", None, {}, {}, b"", "DeleteBucket", [("s3:DeleteBucket", B, {})]),
    ("POST", "exports", None, {"delete": ""}, {}, DELETE_BODY, "DeleteObjects",
     [("s3:DeleteObject", f"{B}/a/1", {}), ("s3:DeleteObject", f"{B}/a/2", {})]),
    ("PUT", "exports", "p/segment-0000.jsonl", {}, {}, b"x", "PutObject", [("s3:PutObject", f"{B}/p/segment-0000.jsonl", {})]),
    ("GET", "exports", "p/a b:c", {}, {}, b"", "GetObject", [("s3:GetObject", f"{B}/p/a b:c", {})]),
    ("HEAD", "exports", "k", {}, {}, b"", "HeadObject", [("s3:GetObject", f"{B}/k", {})]),
    ("DELETE", "exports", "k", {}, {}, b"", "DeleteObject", [("s3:DeleteObject", f"{B}/k", {})]),
    ("POST", "exports", "k", {"uploads": ""}, {}, b"", "CreateMultipartUpload", [("s3:PutObject", f"{B}/k", {})]),
    ("PUT", "exports", "k", {"partNumber": "1", "uploadId": "u"}, {}, b"x", "UploadPart", [("s3:PutObject", f"{B}/k", {})]),
    ("POST", "exports", "k", {"uploadId": "u"}, {}, b"<x/>", "CompleteMultipartUpload", [("s3:PutObject", f"{B}/k", {})]),
    ("DELETE", "exports", "k", {"uploadId": "u"}, {}, b"", "AbortMultipartUpload", [("s3:AbortMultipartUpload", f"{B}/k", {})]),
    ("GET", "exports", "k", {"uploadId": "u"}, {}, b"", "ListParts", [("s3:ListMultipartUploadParts", f"{B}/k", {})]),
    ("PUT", "exports", "k", {}, {"x-amz-tagging": "team=data"}, b"x", "PutObject",
     [("s3:PutObject", f"{B}/k", {}), ("s3:PutObjectTagging", f"{B}/k", {})]),
    ("PUT", "exports", "k", {}, {"x-amz-acl": "public-read"}, b"x", "PutObject",
     [("s3:PutObject", f"{B}/k", {}), ("s3:PutObjectAcl", f"{B}/k", {})]),
    ("POST", "exports", "k", {"uploads": ""}, {"x-amz-grant-read": "id=x"}, b"", "CreateMultipartUpload",
     [("s3:PutObject", f"{B}/k", {}), ("s3:PutObjectAcl", f"{B}/k", {})]),
    ("PUT", "exports", "copy", {}, {"x-amz-copy-source": "/other/src%20key"}, b"", "CopyObject",
     [("s3:GetObject", "arn:aws:s3:::other/src key", {}), ("s3:PutObject", f"{B}/copy", {})]),
]


@pytest.mark.parametrize(("method", "bucket", "key", "query", "headers", "body", "operation", "expected"), CASES,
                         ids=[c[6] for c in CASES])
def test_derivation(method: str, bucket: str, key: str | None, query: dict[str, str], headers: dict[str, str],
                    body: bytes, operation: str, expected: list[tuple[str, str, dict[str, str]]]) -> None:
    derived = derive(method, bucket, key, query, headers, body)
    assert derived.name == operation
    assert [(a.action, a.resource, dict(a.context)) for a in derived.authorizations] == expected


@pytest.mark.parametrize(("method", "key", "query"), [
    ("GET", None, {"acl": ""}), ("PUT", "k", {"tagging": ""}), ("GET", None, {"versions": ""}),
    ("PATCH", "k", {}), ("POST", None, {}),
])
def test_what_is_not_derived_is_refused_before_anything_runs(method: str, key: str | None, query: dict[str, str]) -> None:
    with pytest.raises(NotImplementedOperation):
        derive(method, "exports", key, query, {})


EXPORT_ROLE = Policy.parse(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::exports/tables/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::exports",
     "Condition": {"StringLike": {"s3:prefix": "tables/*"}}},
]}))


@pytest.mark.parametrize(("method", "key", "query", "allowed"), [
    ("PUT", "tables/photos/segment-0000.jsonl", {}, True),
    ("GET", "tables/photos/manifest.json", {}, True),
    ("PUT", "other/x", {}, False),                         # outside the granted prefix
    ("DELETE", "tables/photos/manifest.json", {}, False),  # an action not granted
    ("GET", None, {"list-type": "2", "prefix": "tables/photos/"}, True),
    ("GET", None, {"list-type": "2", "prefix": "other/"}, False),
    ("GET", None, {"list-type": "2"}, False),               # no prefix: the condition key is absent
], ids=["put-in-prefix", "get-in-prefix", "put-elsewhere", "delete", "list-prefix", "list-elsewhere",
        "list-everything"])
def test_object_and_prefix_grants_are_decided_by_the_shared_evaluator(
        method: str, key: str | None, query: dict[str, str], allowed: bool) -> None:
    derived = derive(method, "exports", key, query, {}, b"x")
    assert evaluate(derived.authorizations, identity=[EXPORT_ROLE]).allowed is allowed


def test_a_bucket_grant_is_not_an_object_grant() -> None:
    """``arn:aws:s3:::exports`` names the bucket only: objects need ``exports/*``."""
    bucket_only = Policy.parse(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::exports"}]}))
    assert not evaluate([Authorization("s3:GetObject", f"{B}/k")], identity=[bucket_only]).allowed
    assert evaluate([Authorization("s3:ListBucket", B)], identity=[bucket_only]).allowed


SHIPPED = DeploymentParams(account="123456789012")


def shipped(template: str) -> Policy:
    return Policy.parse(json.dumps(render(template, SHIPPED.template_params())))


@pytest.mark.parametrize(("template", "method", "key", "query", "allowed"), [
    ("admin-role", "PUT", "tables/Photos/segment-0000.jsonl", {}, True),
    ("admin-role", "GET", "tables/Photos/manifest.json", {}, True),
    ("admin-role", "GET", None, {"list-type": "2", "prefix": "tables/"}, True),
    ("user-role", "PUT", "tables/Photos/segment-0000.jsonl", {}, False),
    ("user-role", "GET", "tables/Photos/manifest.json", {}, False),
    ("user-role", "GET", None, {"list-type": "2"}, False),
    ("host-role", "GET", "tables/Photos/manifest.json", {}, False),
])
def test_the_shipped_roles_on_the_export_bucket(template: str, method: str, key: str | None,
                                               query: dict[str, str], allowed: bool) -> None:
    """The admin role (``Action: *``) reaches the export bucket; the browser's and the host's
    roles get nothing on S3 (their templates name no s3: action)."""
    derived = derive(method, "webapp-exports", key, query, {}, b"x")
    assert evaluate(derived.authorizations, identity=[shipped(template)]).allowed is allowed


PAGED_LISTING = Policy.parse(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::exports",
     "Condition": {"NumericLessThanEquals": {"s3:max-keys": "100"}, "StringEquals": {"s3:delimiter": "/"}}}]}))


@pytest.mark.parametrize(("query", "allowed"), [
    ({"max-keys": "10", "delimiter": "/"}, True),
    ({"max-keys": "1000", "delimiter": "/"}, False),  # numeric comparison of the query's text
    ({"delimiter": "/"}, False),                      # no max-keys sent: the key is absent
    ({"max-keys": "10", "delimiter": ","}, False),
])
def test_numeric_and_string_conditions_on_listing_keys(query: dict[str, str], allowed: bool) -> None:
    assert evaluate(derive("GET", "exports", None, query, {}).authorizations, identity=[PAGED_LISTING]).allowed is allowed
