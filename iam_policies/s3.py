"""Derive the IAM authorizations an S3 REST request needs, from the request itself.

S3's API names are not its IAM actions (Service Authorization Reference, "Actions, resources,
and condition keys for Amazon S3"; S3 User Guide, "Required permissions for Amazon S3 API
operations"): ``ListObjectsV2`` and ``HeadBucket`` are ``s3:ListBucket`` on the bucket ARN
``arn:aws:s3:::bucket``; ``GetObject`` and ``HeadObject`` are ``s3:GetObject`` on the object ARN
``arn:aws:s3:::bucket/key``; the multipart steps are ``s3:PutObject``; ``DeleteObjects`` is one
``s3:DeleteObject`` per key; ``CopyObject`` needs ``s3:GetObject`` on the source as well. S3 ARNs
have no region and no account. ``ListBucket`` carries the condition keys ``s3:prefix``,
``s3:delimiter`` and ``s3:max-keys`` (absent when the request has no such parameter, so a
``StringLike`` on ``s3:prefix`` fails closed).

``derive`` fails closed: a request whose operation it does not know is ``NotImplemented``, so
nothing reaches storage without an authorization. The evaluator (``iam_policies.evaluate``) is
the one DynamoDB requests use; only the derivation is S3's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree import ElementTree

from iam_policies.authorization import Authorization, ContextValue
from iam_policies.errors import AwsError


class NotImplementedOperation(AwsError):
    """S3's ``NotImplemented`` (501): the request names functionality this endpoint lacks."""

    code = "NotImplemented"
    status = 501


class MalformedXML(AwsError):
    code = "MalformedXML"
    status = 400


@dataclass(frozen=True)
class S3Operation:
    """The S3 API operation a request is, and every check AWS makes for it."""

    name: str
    authorizations: tuple[Authorization, ...]
    bucket: str
    key: str | None


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def object_arn(bucket: str, key: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}/{key}"


#: Bucket sub-resources (query parameters) this endpoint serves, by method: operation name, action.
_BUCKET_READS = {"location": ("GetBucketLocation", "s3:GetBucketLocation"),
                 "uploads": ("ListMultipartUploads", "s3:ListBucketMultipartUploads")}
#: Query parameters that name a sub-resource S3 has and this endpoint does not serve.
_SUBRESOURCES = frozenset({
    "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
    "requestPayment", "restore", "retention", "select", "tagging", "torrent", "versioning",
    "versions", "website", "metadataTable", "renameObject", "session",
})


def derive(method: str, bucket: str, key: str | None, query: Mapping[str, str],
           headers: Mapping[str, str], body: bytes = b"", *, partition: str = "aws") -> S3Operation:
    """The operation of a path-style request ``METHOD /bucket[/key]?query`` and its authorizations.

    ``headers`` are lower-cased; ``body`` is the decoded payload (read for ``DeleteObjects``,
    whose keys are in it)."""
    unsupported = sorted(set(query) & _SUBRESOURCES)
    if unsupported:
        raise NotImplementedOperation(
            f"The {unsupported[0]} sub-resource is not implemented by this local S3 endpoint "
            "(objects and buckets only).")
    if not bucket:
        if method == "GET":
            return S3Operation("ListBuckets", (Authorization("s3:ListAllMyBuckets", "*"),), "", None)
        raise _not_implemented(method, "the service")
    if key is None or key == "":
        return _bucket_operation(method, bucket, query, body, partition)
    return _object_operation(method, bucket, key, query, headers, partition)


def _bucket_operation(method: str, bucket: str, query: Mapping[str, str], body: bytes,
                      partition: str) -> S3Operation:
    arn = bucket_arn(bucket, partition)

    def one(name: str, action: str, context: Mapping[str, ContextValue] | None = None) -> S3Operation:
        return S3Operation(name, (Authorization(action, arn, dict(context or {})),), bucket, None)

    if method == "GET":
        for parameter, (name, action) in _BUCKET_READS.items():
            if parameter in query:
                return one(name, action)
        name = "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
        return one(name, "s3:ListBucket", list_context(query))
    if method == "HEAD":
        return one("HeadBucket", "s3:ListBucket")
    if method == "PUT":
        return one("CreateBucket", "s3:CreateBucket")
    if method == "DELETE":
        return one("DeleteBucket", "s3:DeleteBucket")
    if method == "POST" and "delete" in query:
        keys = delete_keys(body)
        return S3Operation("DeleteObjects", tuple(
            Authorization("s3:DeleteObject", object_arn(bucket, k, partition)) for k in keys
        ), bucket, None)
    raise _not_implemented(method, "a bucket")


def _object_operation(method: str, bucket: str, key: str, query: Mapping[str, str],
                      headers: Mapping[str, str], partition: str) -> S3Operation:
    arn = object_arn(bucket, key, partition)

    def one(name: str, action: str) -> S3Operation:
        return S3Operation(name, (Authorization(action, arn),), bucket, key)

    if method == "GET":
        return one("ListParts", "s3:ListMultipartUploadParts") if "uploadId" in query else one("GetObject", "s3:GetObject")
    if method == "HEAD":
        return one("HeadObject", "s3:GetObject")
    if method == "PUT":
        if "partNumber" in query and "uploadId" in query:
            if "x-amz-copy-source" in headers:
                raise NotImplementedOperation("UploadPartCopy is not implemented by this local S3 endpoint.")
            return one("UploadPart", "s3:PutObject")
        source = headers.get("x-amz-copy-source")
        if source is not None:
            source_bucket, source_key = copy_source(source)
            return S3Operation("CopyObject", (
                Authorization("s3:GetObject", object_arn(source_bucket, source_key, partition)),
                Authorization("s3:PutObject", arn), *_write_extras(arn, headers),
            ), bucket, key)
        return S3Operation("PutObject", (Authorization("s3:PutObject", arn), *_write_extras(arn, headers)),
                           bucket, key)
    if method == "DELETE":
        return one("AbortMultipartUpload", "s3:AbortMultipartUpload") if "uploadId" in query else one("DeleteObject", "s3:DeleteObject")
    if method == "POST":
        if "uploads" in query:
            return S3Operation("CreateMultipartUpload", (Authorization("s3:PutObject", arn),
                                                         *_write_extras(arn, headers)), bucket, key)
        if "uploadId" in query:
            return one("CompleteMultipartUpload", "s3:PutObject")
    raise _not_implemented(method, "an object")


def _write_extras(arn: str, headers: Mapping[str, str]) -> tuple[Authorization, ...]:
    """What a write's headers need beyond ``s3:PutObject`` (PutObject API Reference: "To successfully
    set the tag-set with your PutObject request, you must have the s3:PutObjectTagging", and
    s3:PutObjectAcl to set an ACL with ``x-amz-acl`` or an ``x-amz-grant-*`` header)."""
    extras: list[Authorization] = []
    if "x-amz-tagging" in headers:
        extras.append(Authorization("s3:PutObjectTagging", arn))
    if "x-amz-acl" in headers or any(name.startswith("x-amz-grant-") for name in headers):
        extras.append(Authorization("s3:PutObjectAcl", arn))
    return tuple(extras)


def list_context(query: Mapping[str, str]) -> dict[str, ContextValue]:
    """``s3:prefix``, ``s3:delimiter``, ``s3:max-keys`` of a ListObjects(V2) request, when sent
    (SAR: "Filters access by key name prefix" etc.; a missing parameter is a missing key)."""
    context: dict[str, ContextValue] = {}
    for parameter, name in (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")):
        if parameter in query:
            context[name] = query[parameter]
    return context


def copy_source(header: str) -> tuple[str, str]:
    """``x-amz-copy-source: /bucket/key[?versionId=...]`` (URL-encoded) as (bucket, key)."""
    path = unquote(header.split("?", 1)[0]).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
    return bucket, key


class InvalidArgument(AwsError):
    """S3's ``InvalidArgument`` (400), e.g. an ``x-amz-copy-source`` without a key."""

    code = "InvalidArgument"
    status = 400


def delete_keys(body: bytes) -> Sequence[str]:
    """The ``<Key>`` of every ``<Object>`` in a ``DeleteObjects`` body. A document type
    declaration is refused before parsing: S3's schema has none, ElementTree would expand its
    entities (the billion-laughs shape), and moto's parser raised on them, an HTTP 500 (issue 11,
    found by fuzzing the S3 endpoint)."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise MalformedXML("The XML you provided was not well-formed or did not validate against our "
                           "published schema")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise MalformedXML("The XML you provided was not well-formed or did not validate against our "
                           "published schema") from None
    keys = [el.text or "" for el in root.iter() if _local(el.tag) == "Key"]
    if not keys:
        raise MalformedXML("The XML you provided was not well-formed or did not validate against our "
                           "published schema")
    return keys


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _not_implemented(method: str, what: str) -> NotImplementedOperation:
    return NotImplementedOperation(f"{method} on {what} is not implemented by this local S3 endpoint.")
