"""The local STS endpoint: ``AssumeRoleWithWebIdentity`` (and ``GetCallerIdentity``) over WSGI.

The view only translates HTTP: it reads the Query-protocol parameters (form POST or GET query,
``Version=2011-06-15``), hands them to ``assume.AssumeRole`` (parameters, token, trust policy,
session policy, minting) and writes AWS's XML, or an ``<ErrorResponse>`` with the error's status
(fgac-semantics §D.5, §E.2), with ``x-amzn-RequestId``. The operation is unsigned (botocore marks
it ``noAuth``), so a browser calls it directly; CORS admits the app's origins only
(security-anchors §3.4). ``GetCallerIdentity`` is SigV4-signed (service ``sts``).

The Query-protocol plumbing (parameters, ``Action``, SigV4, XML, no tracebacks: an unexpected
exception becomes ``InternalFailure`` with the request id) is ``webapp.query_protocol.endpoint``,
shared with the local IAM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from webapp.audit import Audit, AuditLog
from webapp.clock import Clock
from webapp.cors import Cors
from webapp.credentials import CredentialAuthority
from webapp.iam.registry import IamRegistry
from webapp.query_protocol.endpoint import action_of, authenticate, query_endpoint, read_params, xml_response
from webapp.query_protocol.wire import service_model
from webapp.settings import Settings
from webapp.sts.assume import AssumeRole
from webapp.sts.errors import InternalFailure, RequestEntityTooLarge
from webapp.sts.jwks import JwksCache

VERSION = "2011-06-15"
ACTIONS = ("AssumeRoleWithWebIdentity", "GetCallerIdentity")
#: STS answers an over-long ``WebIdentityToken`` (more than 20,000 characters, its model's bound)
#: with a 400 ``ValidationError`` naming the member, not with a 413: bodies up to 1 MiB are read
#: and validated so that every token a client could mean gets that answer (issue 11); past that
#: the body is refused unread.
MAX_BODY_BYTES = 1024 * 1024
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
        audit = AuditLog(settings.data_dir / "audit.jsonl").record
    service_model("sts")  # load botocore's model now, not on the first request
    assume = AssumeRole(settings, registry, credentials, JwksCache(jwks_for, clock), clock, audit)

    def handle(request: Request, request_id: str) -> Response:
        params = read_params(request, MAX_BODY_BYTES, _too_large)
        action = action_of(params, VERSION, ACTIONS)
        if action == "GetCallerIdentity":
            principal = authenticate(request, "sts", credentials, clock, settings)
            result: Mapping[str, Any] = {
                "UserId": principal.variables.get("aws:userid"), "Account": settings.account_id,
                "Arn": principal.arn,
            }
        else:
            result = assume(params, source_ip=request.remote_addr or "", request_id=request_id)
        return xml_response("sts", action, result, request_id)

    app = query_endpoint("sts", handle, InternalFailure, log)
    # Browsers reach STS with POST only (the SDK's Query protocol); the Query API's GET stays
    # available to non-browser clients, but no origin is offered it (security-anchors §3.4).
    return Cors(app, settings.allowed_origins, methods=("POST",))


def _too_large() -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes")
