"""The IAM-enforcing S3 endpoint: every request walks the same steps, and nothing reaches storage
until every step has said yes.

1. framing: the path-style address ``/bucket/key``,                               EntityTooLarge,
   the body (``Content-Length`` or chunked, at most ``MAX_BODY_BYTES``)          MethodNotAllowed
2. SigV4 with S3's rules (``webapp.sigv4``, service ``s3``)                      SignatureDoesNotMatch,
                                                                                InvalidAccessKeyId, ...
3. the payload: an ``aws-chunked`` body decoded, every chunk signature and the  SignatureDoesNotMatch,
   trailing checksum verified (``webapp.s3.streaming``); ``x-amz-checksum-*``     IncompleteBody,
   and ``Content-MD5`` headers checked against the data                         BadDigest
4. the operation and its authorizations (``iam_policies.s3``)                   NotImplemented
5. identity and session policies (``webapp.authorize``, the evaluator DynamoDB  AccessDenied (403)
   requests use)
6. moto's S3 (``engine``), durable before the answer                             NoSuchBucket, NoSuchKey ...

Every decision and every refused authentication goes to the audit log. An exception nobody
foresaw becomes S3's ``InternalError`` (500), logged with the request id, never a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote

from iam_policies.errors import AwsError
from iam_policies.s3 import derive
from webapp import wsgi
from webapp.audit import Audit, AuditEntry, Verdict, now_iso
from webapp.authorize import Authorizer, PolicyStore, RequestFacts, record, request_keys
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, Principal
from webapp.s3 import errors, streaming
from webapp.s3.engine import MotoS3
from webapp.settings import Settings
from webapp.sigv4 import SignedRequest, SigV4Error, verify
from webapp.sigv4.verify import VerifiedRequest
from webapp.wsgi import Environ, StartResponse

log = logging.getLogger("webapp.s3")

#: Bodies past this are refused (the stack's server stops at 64 MiB): boto3 uploads files over
#: 8 MB in parts (``upload_file``/``upload_fileobj``), so only a single PutObject is bounded.
MAX_BODY_BYTES = 64 * 1024 * 1024 - 1
#: Headers only this endpoint reads: moto gets the decoded body without them.
_CHUNKING_HEADERS = ("content-encoding", "x-amz-decoded-content-length", "x-amz-trailer",
                     "x-amz-content-sha256", "content-md5")
_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
#: The object checksums a request may carry (S3 User Guide, "Checking object integrity").
_CHECKSUM_HEADERS = frozenset(f"x-amz-checksum-{name}" for name in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256"))


class S3Gateway:
    """A WSGI app: the local S3 endpoint (port P+4)."""

    def __init__(self, settings: Settings, registry: PolicyStore, credentials: CredentialAuthority,
                 engine: MotoS3, audit: Audit | None, clock: Clock) -> None:
        self.settings = settings
        self.authorizer = Authorizer(registry)
        self.credentials = credentials
        self.engine = engine
        self.audit = audit
        self.clock = clock

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request_id = uuid.uuid4().hex[:16].upper()
        method = environ.get("REQUEST_METHOD", "")
        try:
            status, headers, body = self.handle(environ, request_id)
        except AwsError as error:
            status, headers, body = _error(error, request_id, environ)
        except Exception:  # the one catch-all: never a traceback on the wire
            log.exception("unexpected error handling S3 request %s", request_id)
            status, headers, body = _error(errors.InternalError(
                f"We encountered an internal error; request id {request_id}"), request_id, environ)
        headers = {**headers, "x-amz-request-id": request_id, "x-amz-id-2": request_id}
        if method == "HEAD":
            body = b""
        if "content-length" not in {k.lower() for k in headers} or method != "HEAD":
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Content-Length"] = str(len(body))
        start_response(f"{status} {_REASONS.get(status, 'Status')}", list(headers.items()))
        return [body]

    def handle(self, environ: Environ, request_id: str) -> tuple[int, dict[str, str], bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method not in _METHODS:
            raise errors.MethodNotAllowed("The specified method is not allowed against this resource.")
        raw_path = wsgi.raw_path(environ)
        raw_query = environ.get("QUERY_STRING", "")
        headers = _headers(environ)
        bucket, key = _address(raw_path)
        body = _read_body(environ)
        verified = self._authenticate(environ, method, raw_path, raw_query, body, request_id)
        principal: Principal = verified.principal
        data, headers = _payload(verified, headers, body)
        query = dict(parse_qsl(raw_query, keep_blank_values=True))
        operation = derive(method, bucket, key, query, headers, data)
        now = self.clock()
        source_ip = environ.get("REMOTE_ADDR", "")
        keys = request_keys(source_ip=source_ip, now=now, region=self.settings.region,
                            secure=environ.get("wsgi.url_scheme") == "https")
        authorized = self.authorizer.authorize(
            principal, operation.authorizations, keys,
            RequestFacts("s3", operation.name, request_id, now, source_ip))
        self._record(authorized.entry)
        if not authorized.allowed:
            raise errors.AccessDenied(authorized.decision.access_denied_message(principal.arn))
        delete_keys = tuple(a.resource.split("/", 1)[1] for a in operation.authorizations
                            if operation.name == "DeleteObjects")
        reply = self.engine.call(operation.name, method, bucket, key, raw_query, headers, data,
                                 amz_date=verified.amz_date, delete_keys=delete_keys)
        return reply.status, reply.headers, reply.body

    def _authenticate(self, environ: Environ, method: str, raw_path: str, raw_query: str, body: bytes,
                      request_id: str) -> VerifiedRequest[Principal]:
        request = SignedRequest(method=method, path=raw_path, query=raw_query,
                                headers=wsgi.header_pairs(environ), body=body)
        try:
            return verify(request, lookup=self.credentials.secret_for, clock=self.clock,
                          region=self.settings.region, service="s3", skew=self.settings.sigv4_skew_seconds)
        except SigV4Error as error:
            s3_error = errors.s3_error_of(error)
            self._record(AuditEntry(now_iso(self.clock()), request_id, "s3", method, Verdict.DENY,
                                    source_ip=environ.get("REMOTE_ADDR"), error=s3_error.code))
            raise s3_error from None

    def _record(self, entry: AuditEntry) -> None:
        record(self.audit, entry, log)


# Steps ----------------------------------------------------------------------------------------------


def _payload(verified: VerifiedRequest[Principal], headers: dict[str, str],
             body: bytes) -> tuple[bytes, dict[str, str]]:
    """The decoded, verified body, and the headers moto gets with it (checksums as headers)."""
    mode = verified.content_sha256
    data = body
    trailers: Mapping[str, str] = {}
    if mode in streaming.MODES:
        length_text = headers.get("x-amz-decoded-content-length")
        if length_text is not None and not length_text.strip().isdigit():
            raise errors.InvalidArgument("x-amz-decoded-content-length must be a non-negative integer.")
        seed = streaming.Seed(verified.signature, verified.amz_date, verified.scope, verified.signing_key)
        decoded = streaming.decode(body, mode, seed=seed, decoded_length=int(length_text) if length_text else None,
                                   declared_trailer=headers.get("x-amz-trailer"))
        data, trailers = decoded.data, decoded.trailers
    for name, value in headers.items():
        if name in _CHECKSUM_HEADERS:
            streaming.check_checksum(name, value, data)
    md5 = headers.get("content-md5")
    if md5 is not None:
        try:
            given = base64.b64decode(md5, validate=True)
        except ValueError:
            raise errors.InvalidDigest("The Content-MD5 you specified was invalid.") from None
        if not hmac.compare_digest(given, hashlib.md5(data).digest()):
            raise errors.BadDigest("The Content-MD5 you specified did not match what we received.")
    content_encoding = ",".join(e for e in (p.strip() for p in headers.get("content-encoding", "").split(","))
                                if e and e != "aws-chunked")
    sent = {k: v for k, v in headers.items() if k not in _CHUNKING_HEADERS}
    if content_encoding:
        sent["content-encoding"] = content_encoding
    sent.update(trailers)
    sent["content-length"] = str(len(data))
    sent.pop("transfer-encoding", None)
    return data, sent


def _address(raw_path: str) -> tuple[str, str | None]:
    """(bucket, key) of a path-style address ``/bucket/key`` (what boto3 sends to a ``localhost``
    endpoint; virtual-host style needs DNS for ``bucket.localhost`` and is not served)."""
    path = unquote(raw_path)
    bucket, _, key = path[1:].partition("/")
    return bucket, key or None


def _read_body(environ: Environ) -> bytes:
    return wsgi.read_body(environ, MAX_BODY_BYTES, bad_length=_bad_length, too_large=lambda _length: _too_large())


def _bad_length() -> AwsError:
    return errors.InvalidArgument("Content-Length must be a non-negative integer.")


def _too_large() -> errors.EntityTooLarge:
    return errors.EntityTooLarge(
        f"Your proposed upload exceeds the maximum allowed size of this local endpoint ({MAX_BODY_BYTES} "
        "bytes in one request); upload larger objects in parts (boto3's upload_file does).")


def _headers(environ: Environ) -> dict[str, str]:
    return dict(wsgi.header_pairs(environ))


def _error(error: AwsError, request_id: str, environ: Environ) -> tuple[int, dict[str, str], bytes]:
    return error.status, {"Content-Type": "application/xml"}, errors.error_xml(
        error, request_id, resource=wsgi.raw_path(environ))


_REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 304: "Not Modified", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
            412: "Precondition Failed", 416: "Requested Range Not Satisfiable", 500: "Internal Server Error",
            501: "Not Implemented"}
