"""The IAM-enforcing DynamoDB endpoint: every request walks the same steps, and nothing reaches
the backend until every step has said yes.

Order (fgac-semantics §E.1, observed on live DynamoDB; G-14 for derive-before-authorize):

1. framing: method, size, content type, JSON body     404 ``<UnknownOperationException/>``, 413,
                                                      SerializationException
2. ``X-Amz-Target``                                   UnknownOperationException
   attribute values: 32 levels, names ≤ 65,535 bytes   ValidationException (``limits.py``)
3. SigV4 (``webapp.sigv4``)                           the SigV4 errors
4. validate the request (``validation``)             SerializationException, ValidationException
5. derive the authorizations (``iam_policies``)       ValidationException, ResourceNotFoundException
6. evaluate identity and session policies             AccessDeniedException (HTTP 400, ``Message``)
7. execute on the backend                             the backend's own errors

``GET /`` (any path) is DynamoDB's health check; other methods are not routed (HTTP 404), as on
DynamoDB (dynalite test/connection.js, recorded live).

Every decision (and every refused authentication) is written to the audit log. An exception
nobody foresaw becomes the one allowed 500, ``InternalServerError``, logged with the request id;
the functional tests show no input reaches it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from iam_policies.dynamodb import derive
from iam_policies.errors import AwsError
from webapp.audit import Audit, AuditEntry, Verdict, now_iso
from webapp.authorize import Authorizer, PolicyStore, RequestFacts, record, request_keys
from webapp.aws_models import service_model
from webapp.backend import Backend
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, ExpiredCredentials, Principal
from webapp.dynamodb import limits, wire
from webapp.dynamodb.validation import validate, validate_authorized
from webapp.dynamodb.validation.batches import members_before
from webapp.settings import Settings
from webapp.sigv4 import SignedRequest, SigV4Error, verify
from webapp.wsgi import Environ, StartResponse, header_pairs, raw_path, read_body

log = logging.getLogger("webapp.dynamodb")


def _operations() -> frozenset[str]:
    return frozenset(service_model("dynamodb").operation_names)


class Gateway:
    """A WSGI app; ``enforce=False`` skips SigV4 and IAM (only for the benchmark's baseline).

    ``audit`` receives one ``AuditEntry`` per decision (``AuditLog.record``); ``None`` writes none.
    """

    def __init__(self, settings: Settings, registry: PolicyStore, credentials: CredentialAuthority,
                 backend: Backend, audit: Audit | None, clock: Clock, *, enforce: bool = True) -> None:
        self.settings = settings
        self.authorizer = Authorizer(registry)
        self.credentials = credentials
        self.backend = backend
        self.audit = audit
        self.clock = clock
        self.enforce = enforce
        self.operations = _operations()
        self._known: dict[tuple[str, str | None], tuple[str, Principal]] = {}

    # WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request_id = wire.new_request_id()
        try:
            response = self.handle(environ, request_id)
        except Exception:  # the one catch-all: never a traceback on the wire
            log.exception("unexpected error handling DynamoDB request %s", request_id)
            error = wire.InternalServerError("Internal server error")
            response = wire.respond(500, wire.error_payload(error), request_id, self.clock())
        start_response(wire.status_line(response.status), response.headers)
        if response.status == 413:  # an iterator, so the server cannot count it: sent chunked
            return iter((response.body,))
        return [response.body]

    def handle(self, environ: Environ, request_id: str) -> wire.Response:
        method = environ.get("REQUEST_METHOD", "")
        if method in ("GET", "HEAD"):
            return wire.health(self.settings.region, request_id, head=method == "HEAD")
        if method != "POST":
            return wire.not_found(request_id)
        content_type = environ.get("CONTENT_TYPE")
        try:
            raw = _read_body(environ)
        except AwsError as error:
            return wire.streamed(wire.respond(error.status, wire.error_payload(error), request_id, self.clock()))
        if raw and not wire.accepted_content_type(content_type):
            return wire.not_found(request_id)
        answer_type = wire.answer_content_type(content_type)
        try:
            params = wire.parse_body(raw) if raw else None
            operation = wire.parse_target(environ.get("HTTP_X_AMZ_TARGET"), self.operations)
            if params is not None and len(raw) >= limits.SHORTEST_UNSAFE_BODY:
                limits.check(operation, params, earlier=partial(members_before, operation))
            if self.enforce:
                principal = self.authenticate(environ, raw, request_id, operation)
            if params is None:
                raise wire.SerializationException("")
            validate(operation, params, self.backend.table_schema)
            if self.enforce:
                self._authorize(environ, principal, operation, params, request_id)
            validate_authorized(operation, params, self.backend.table_schema)
            result = self.backend.call(operation, params)
        except AwsError as error:
            return wire.respond(error.status, wire.error_payload(error), request_id, self.clock(),
                                content_type=answer_type)
        return wire.respond(200, result, request_id, self.clock(), content_type=answer_type)

    # Steps ---------------------------------------------------------------------------------------

    def authenticate(self, environ: Environ, raw: bytes, request_id: str, operation: str) -> Principal:
        """The principal who signed the request (SigV4); a refusal is audited and raised. A seam
        for the endpoint's other views (``watch.py``), which authenticate as every call does."""
        request = SignedRequest(
            method=environ["REQUEST_METHOD"],
            path=raw_path(environ),
            query=environ.get("QUERY_STRING", ""),
            headers=header_pairs(environ),
            body=raw,
        )
        try:
            verified = verify(request, lookup=self._lookup, clock=self.clock,
                              region=self.settings.region, service="dynamodb",
                              skew=self.settings.sigv4_skew_seconds)
        except SigV4Error as error:
            self.record(AuditEntry(
                now_iso(self.clock()), request_id, "dynamodb", operation, Verdict.DENY,
                source_ip=environ.get("REMOTE_ADDR"), error=error.code,
            ))
            raise
        principal: Principal = verified.principal
        return principal

    def _lookup(self, access_key_id: str, session_token: str | None) -> tuple[str, Principal]:
        """``credentials.secret_for``, remembered: a token's MAC and claims never change, only
        whether it has expired, which is checked on every use (as ``secret_for`` does)."""
        key = (access_key_id, session_token)
        known = self._known.get(key)
        if known is None:
            known = self.credentials.secret_for(access_key_id, session_token)
            if len(self._known) >= 4096:
                self._known.clear()
            self._known[key] = known
        expiration = known[1].expiration
        if expiration is not None and self.clock() >= expiration:
            raise ExpiredCredentials("the session has expired")
        return known

    def _authorize(self, environ: Environ, principal: Principal, operation: str,
                   params: Mapping[str, Any], request_id: str) -> None:
        s = self.settings
        authorizations = derive(operation, params, schemas=self.backend.table_schema,
                                region=s.region, account=s.account_id)
        now = self.clock()
        source_ip = environ.get("REMOTE_ADDR", "")
        keys = request_keys(source_ip=source_ip, now=now, region=s.region,
                            secure=environ.get("wsgi.url_scheme") == "https")
        authorized = self.authorizer.authorize(
            principal, authorizations, keys, RequestFacts("dynamodb", operation, request_id, now, source_ip))
        self.record(authorized.entry)
        if not authorized.allowed:
            raise wire.AccessDeniedException(authorized.decision.access_denied_message(principal.arn))

    def record(self, entry: AuditEntry) -> None:
        """Write one decision to the audit log; a failed write is logged, never answered as a
        500 (``webapp.authorize.record``). The seam every view of this endpoint audits through."""
        record(self.audit, entry, log)


# WSGI helpers -------------------------------------------------------------------------------------


def _read_body(environ: Environ) -> bytes:
    return read_body(environ, wire.MAX_BODY_BYTES, bad_length=_bad_length, too_large=_too_large)


def _bad_length() -> AwsError:
    return wire.SerializationException("Content-Length must be a non-negative integer.")


def _too_large(length: int | None) -> AwsError:
    if length is None:
        return wire.RequestEntityTooLarge(f"Request size exceeded {wire.MAX_BODY_BYTES} bytes.")
    return wire.RequestEntityTooLarge(f"Request size {length} exceeded {wire.MAX_BODY_BYTES} bytes.")
