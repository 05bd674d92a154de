"""The request checks moto's S3 lacks, made before it runs, in S3's words.

moto answers these malformed requests with a Python exception (``KeyError`` on an unknown
upload id, ``ValueError`` on ``max-keys=abc``, an expat error on a broken XML body), which the
endpoint would have to answer with ``InternalError``. S3 answers them as client errors (S3 API
Reference: UploadPart, CompleteMultipartUpload and ListObjectsV2 "Errors"; "Error responses"):

- an upload id the bucket does not have: ``NoSuchUpload`` (404);
- ``partNumber`` not an integer from 1 to 10,000: ``InvalidArgument``;
- ``max-keys`` not a non-negative integer: ``InvalidArgument``;
- a ``continuation-token`` this endpoint did not hand out: ``InvalidArgument``;
- an XML body that does not parse (CreateBucket's configuration, CompleteMultipartUpload's
  part list): ``MalformedXML``.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree

from moto.s3.models import S3Backend

from iam_policies.s3 import InvalidArgument, MalformedXML
from webapp.s3.errors import NoSuchUpload

_MALFORMED = ("The XML you provided was not well-formed or did not validate against our published schema")


def check(backend: S3Backend, operation: str, bucket: str, query: Mapping[str, str], body: bytes) -> None:
    """Raise the error S3 gives ``operation`` if moto would fail on it; the caller holds the lock."""
    if operation in ("ListObjectsV2", "ListObjects"):
        _list_parameters(backend, bucket, query)
    if operation in ("UploadPart", "CompleteMultipartUpload"):
        fake = backend.buckets.get(bucket)
        if fake is not None and query.get("uploadId") not in fake.multiparts:
            raise NoSuchUpload("The specified upload does not exist. The upload ID may be invalid, or the upload "
                               "may have been aborted or completed.")
    if operation == "UploadPart":
        number = query.get("partNumber", "")
        if not number.isdigit() or not 1 <= int(number) <= 10000:
            raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
    if operation in ("CompleteMultipartUpload", "CreateBucket") and (body.strip() or operation != "CreateBucket"):
        try:
            ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise MalformedXML(_MALFORMED) from None


def _list_parameters(backend: S3Backend, bucket: str, query: Mapping[str, str]) -> None:
    max_keys = query.get("max-keys")
    if max_keys is not None and not max_keys.isdigit():
        raise InvalidArgument("Provided max-keys not an integer or within integer range")
    token = query.get("continuation-token")
    # moto remembers each token it handed out (``S3Backend._pagination_tokens``: token -> key)
    if token and bucket in backend.buckets and token not in getattr(backend, "_pagination_tokens", {}):
        raise InvalidArgument("The continuation token provided is incorrect")
