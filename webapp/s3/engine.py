"""moto's S3, in process, as storage behind the S3 endpoint's own checks.

Each request that passed SigV4 and IAM is handed to moto's own ``S3Response`` handler (the one
``moto_server`` serves), so moto parses the REST request, answers with S3's XML and its errors
(``NoSuchBucket``, ``NoSuchKey``, ``BucketNotEmpty`` ...), ranges, listings and multipart uploads.
The handler is bound to a *private* ``S3Backend`` (no ``mock_aws``, nothing patched); it only ever
sees verified requests, with a stand-in ``Authorization`` header (moto reads the region from it
and skips its own anonymous-access rules for signed requests; it checks no signature).

moto's models are not thread-safe: calls are serialised by one lock, and each write is made
durable (``storage.DiskStore``) under the same lock before the answer leaves, so the files follow
the order of the writes. At start the files are loaded back into the backend.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from botocore.awsrequest import AWSPreparedRequest, HeadersDict  # type: ignore[import-untyped]
from moto.s3.exceptions import BucketAlreadyExists, MissingBucket
from moto.s3.models import FakeBucket, FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response

from webapp.s3 import checks
from webapp.s3.storage import DiskStore, StoredBucket, StoredObject, now_iso

log = logging.getLogger(__name__)

#: The operations that change what is stored, and so are written to disk after moto applied them.
WRITES = frozenset({"CreateBucket", "DeleteBucket", "PutObject", "CopyObject", "DeleteObject",
                    "DeleteObjects", "CompleteMultipartUpload"})
_MOTO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


class PrivateS3Backend(S3Backend):
    """moto's ``S3Backend`` whose buckets are its own.

    moto keeps a process-wide ``bucket name -> account`` registry (S3's global bucket namespace)
    and looks buckets up there when they are not in the backend at hand; two private backends
    in one process (tests; a stack restarted in process) would then see, or refuse, each other's
    buckets. Here a bucket exists when this backend holds it, and nowhere else."""

    def create_bucket(self, bucket_name: str, region_name: str, bucket_namespace: str | None = None) -> FakeBucket:
        if bucket_name in self.buckets:
            raise BucketAlreadyExists(bucket=bucket_name)
        s3_backends.bucket_accounts.pop(bucket_name, None)
        return super().create_bucket(bucket_name, region_name, bucket_namespace)

    def get_bucket(self, bucket_name: str) -> FakeBucket:
        bucket = self.buckets.get(bucket_name)
        if bucket is None:
            raise MissingBucket(bucket=bucket_name)
        return bucket


class Reply:
    """moto's answer: status, headers, body."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = dict(headers)
        self.body = body


class MotoS3:
    """One private moto S3 backend, its disk store, and the lock that serialises both."""

    def __init__(self, store: DiskStore, region: str, account_id: str) -> None:
        self.store = store
        self.region = region
        self.backend = PrivateS3Backend(region, account_id)
        self.lock = threading.Lock()
        backend = self.backend

        class _Handler(S3Response):
            @property
            def backend(self) -> S3Backend:
                return backend

        self._handler = _Handler
        self._load()

    def call(self, operation: str, method: str, bucket: str, key: str | None, raw_query: str,
             headers: Mapping[str, str], body: bytes, *, amz_date: str, delete_keys: tuple[str, ...] = ()
             ) -> Reply:
        """Run one verified, authorized request; writes are durable when this returns."""
        path = "/" + quote(bucket, safe="")
        if key:
            path += "/" + quote(key, safe="/~")
        url = f"http://localhost{path}" + (f"?{raw_query}" if raw_query else "")
        sent = HeadersDict({k: v for k, v in headers.items() if k not in ("authorization", "host")})
        sent["host"] = "localhost"
        sent["authorization"] = (f"AWS4-HMAC-SHA256 Credential=verified/{amz_date[:8]}/{self.region}/s3/"
                                 "aws4_request, SignedHeaders=host, Signature=verified")
        request = AWSPreparedRequest(method, url, sent, body, False)
        with self.lock:
            if operation == "CreateBucket" and bucket in self.backend.buckets:
                return self._already_owned(bucket)
            checks.check(self.backend, operation, bucket, dict(parse_qsl(raw_query, keep_blank_values=True)), body)
            handler = self._handler()
            if key:
                status, out_headers, out_body = handler.key_response(request, url, sent)
            else:
                status, out_headers, out_body = handler.bucket_response(request, url, sent)
            if 200 <= status < 300 and operation in WRITES:
                self._persist(operation, bucket, key, delete_keys)
        if isinstance(out_body, str):
            out_body = out_body.encode()
        return Reply(status, {str(k): str(v) for k, v in out_headers.items()}, out_body or b"")

    def ensure_bucket(self, name: str) -> None:
        """Create bucket ``name`` (durably) unless it exists: the stack's export bucket."""
        with self.lock:
            if name in self.backend.buckets:
                return
            self.backend.create_bucket(name, self.region)
            self.store.put_bucket(StoredBucket(name, self.region, now_iso()))

    def _already_owned(self, bucket: str) -> Reply:
        """S3 API Reference, CreateBucket: re-creating a bucket you own is ``BucketAlreadyOwnedByYou``
        (409) "in all AWS Regions except in the North Virginia Region", where it is 200 OK."""
        if self.region == "us-east-1":
            return Reply(200, {"Location": f"/{bucket}"}, b"")
        from webapp.s3.errors import BucketAlreadyOwnedByYou, error_xml

        error = BucketAlreadyOwnedByYou("Your previous request to create the named bucket succeeded and you "
                                        "already own it.")
        return Reply(error.status, {"Content-Type": "application/xml"}, error_xml(error, "", resource=bucket))

    # Disk ------------------------------------------------------------------------------------------

    def _persist(self, operation: str, bucket: str, key: str | None, delete_keys: tuple[str, ...]) -> None:
        if operation == "CreateBucket":
            fake = self.backend.buckets.get(bucket)
            if fake is not None:
                self.store.put_bucket(StoredBucket(bucket, fake.region_name, now_iso()))
        elif operation == "DeleteBucket":
            if bucket not in self.backend.buckets:
                self.store.delete_bucket(bucket)
        elif operation in ("DeleteObject",):
            assert key is not None
            self._sync_key(bucket, key)
        elif operation == "DeleteObjects":
            for name in delete_keys:
                self._sync_key(bucket, name)
        else:
            assert key is not None
            self._sync_key(bucket, key)

    def _sync_key(self, bucket: str, key: str) -> None:
        """Make the file of ``key`` say what moto now holds for it."""
        fake_bucket = self.backend.buckets.get(bucket)
        current: FakeKey | None = fake_bucket.keys.get(key) if fake_bucket is not None else None
        if current is None or not isinstance(current, FakeKey):
            self.store.delete_object(bucket, key)
            return
        self.store.put_object(StoredObject(
            bucket, key, bytes(current.value), current.etag.strip('"'),
            current.last_modified.strftime(_MOTO_TIME), dict(current.metadata),
            current.checksum_algorithm, current.checksum_value,
        ))

    def _load(self) -> None:
        loaded = 0
        for stored_bucket in self.store.buckets():
            fake = self.backend.create_bucket(stored_bucket.name, stored_bucket.region)
            for stored in self.store.objects(stored_bucket.name):
                key = self.backend.put_object(stored.bucket, stored.key, stored.value,
                                              etag=stored.etag or None, checksum_value=stored.checksum_value,
                                              disable_notification=True)
                key.set_metadata(dict(stored.metadata))
                key.checksum_algorithm = stored.checksum_algorithm
                key.last_modified = _parse_time(stored.last_modified) or key.last_modified
                loaded += 1
            del fake
        if loaded:
            log.info("S3: %d objects loaded from %s", loaded, self.store.root)


def _parse_time(text: str) -> Any:
    try:
        return dt.datetime.strptime(text, _MOTO_TIME)
    except ValueError:
        return None
