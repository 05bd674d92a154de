"""The local STS endpoint: ``AssumeRoleWithWebIdentity`` (and ``GetCallerIdentity``) over WSGI.

The view only translates HTTP: it reads the Query-protocol parameters (form POST or GET query,
``Version=2011-06-15``), hands them to ``assume.assume_role_with_web_identity`` (parameters, token,
trust policy, session policy, minting) and writes AWS's XML, or an ``<ErrorResponse>`` with the
error's status (fgac-semantics §D.5, §E.2), with ``x-amzn-RequestId``. The operation is unsigned
(botocore marks it ``noAuth``), so a browser calls it directly; CORS admits the app's origins only
(security-anchors §3.4). ``GetCallerIdentity`` is SigV4-signed (service ``sts``).

Nothing here can answer 500 with a traceback: unexpected exceptions become ``InternalFailure``
with the request id, logged without the request's parameters (a token is a credential).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from iam_policies.errors import AwsError
from webapp.audit import AuditLog
from webapp.clock import Clock
from webapp.cors import Cors
from webapp.credentials import CredentialAuthority
from webapp.iam.query import error_xml, response_xml, service_model
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings
from webapp.sigv4 import SignedRequest, SigV4Error, verify
from webapp.sts.assume import AssumeRole, Audit
from webapp.sts.errors import (
    InternalFailure,
    InvalidAction,
    InvalidHttpRequest,
    MissingAction,
    RequestEntityTooLarge,
)
from webapp.sts.jwks import JwksCache

VERSION = "2011-06-15"
MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("webapp.sts")


def create_sts_app(
    settings: Settings,
    registry: IamRegistry,
    credentials: CredentialAuthority,
    jwks_for: Callable[[str], Mapping[str, Any]],
    clock: Clock,
    *,
    audit: Audit | None = None,
) -> Callable[..., Iterable[bytes]]:
    """The STS WSGI app (port P+1)."""
    if audit is None:
        audit = _default_audit(settings)
    service_model("sts")  # load botocore's model now, not on the first request
    assume = AssumeRole(settings, registry, credentials, JwksCache(jwks_for, clock), clock, audit)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            response = _handle(request, request_id)
        except AwsError as error:
            response = _error(error, request_id)
        except Exception:
            log.exception("STS request %s failed", request_id)
            response = _error(InternalFailure("An internal error occurred; request id " + request_id), request_id)
        return response(environ, start_response)

    def _handle(request: Request, request_id: str) -> Response:
        if request.method not in ("GET", "POST"):
            raise InvalidHttpRequest(f"{request.method} is not supported; use POST with a form-encoded body")
        params = _params(request)
        action = params.get("Action")
        if not action:
            raise MissingAction("Missing Action")
        if params.get("Version") != VERSION or action not in ("AssumeRoleWithWebIdentity", "GetCallerIdentity"):
            raise InvalidAction(f"Could not find operation {action} for version {params.get('Version', 'NO_VERSION')}")
        if action == "GetCallerIdentity":
            principal = _caller(request, params)
            result: Mapping[str, Any] = {
                "UserId": principal.variables.get("aws:userid"), "Account": settings.account_id,
                "Arn": principal.arn,
            }
        else:
            result = assume(params, source_ip=request.remote_addr or "", request_id=request_id)
        return Response(response_xml("sts", action, result, request_id), 200, _headers(request_id))

    def _caller(request: Request, params: Mapping[str, str]) -> Any:
        signed = SignedRequest(
            method=request.method, path=request.environ.get("RAW_URI", request.path).split("?", 1)[0],
            query=request.query_string.decode("latin-1"),
            headers=[(k, v) for k, v in request.headers.items()], body=request.get_data(cache=True),
        )
        try:
            return verify(signed, lookup=credentials.secret_for, clock=clock, region=settings.region,
                          service="sts", skew=settings.sigv4_skew_seconds).principal
        except SigV4Error as error:
            raise _QueryAuthError(error) from None

    return Cors(app, settings.allowed_origins, methods=("POST", "GET"))


class _QueryAuthError(AwsError):
    """A SigV4 failure in the Query protocol's words (``SignatureDoesNotMatch``, ...)."""

    def __init__(self, error: SigV4Error) -> None:
        super().__init__(error.message)
        self.code = error.query_code
        self.status = 403


def _params(request: Request) -> dict[str, str]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise RequestEntityTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes")
    params = dict(parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True))
    if request.method == "POST":
        body = request.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            raise RequestEntityTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes")
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}


def _error(error: AwsError, request_id: str) -> Response:
    return Response(error_xml("sts", error, request_id), error.status, _headers(request_id))


def _default_audit(settings: Settings) -> Audit:
    return AuditLog(settings.data_dir / "audit.jsonl").record
