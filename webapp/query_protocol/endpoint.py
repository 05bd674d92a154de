"""The WSGI plumbing every Query-protocol endpoint shares (the local IAM and STS).

Both read a request the same way (POST form body, or GET query; AWS "Query API request"
docs), name the operation with ``Action`` + ``Version``, authenticate signed calls with
``webapp.sigv4.verify`` and answer with ``<{Action}Response>`` XML or an ``<ErrorResponse>`` with
the error's status, always with an ``x-amzn-RequestId`` header (fgac-semantics §E.2). Keeping that
in one place means the two endpoints cannot drift apart on the wire; what differs (which actions,
the size limit and its error, who may call) stays in ``webapp.iam.app`` and ``webapp.sts.app``.

Nothing here answers 500 with a traceback: an unexpected exception is logged with the request id
(never the parameters: an STS request carries a token) and becomes the service's internal error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from iam_policies.errors import AwsError
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, Principal
from webapp.query_protocol.errors import InvalidAction, InvalidHttpRequest, MissingAction, QueryAuthError
from webapp.query_protocol.wire import error_xml, response_xml
from webapp.settings import Settings
from webapp.sigv4 import SignedRequest, SigV4Error, verify

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: ``handle(request, request_id)`` -> the response; raises ``AwsError`` for an error response.
Handler = Callable[[Request, str], Response]


def query_endpoint(service: str, handle: Handler, internal_error: Callable[[str], AwsError],
                   log: logging.Logger) -> WsgiApp:
    """A WSGI app that gives each request an id and renders whatever ``handle`` raises."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            response = handle(request, request_id)
        except AwsError as error:
            response = error_response(service, error, request_id)
        except Exception:
            log.exception("%s request %s failed", service.upper(), request_id)
            failure = internal_error(f"An internal error occurred; request id {request_id}")
            response = error_response(service, failure, request_id)
        return response(environ, start_response)

    return app


def read_params(request: Request, max_bytes: int, too_large: Callable[[], AwsError]) -> dict[str, str]:
    """The request's parameters: the query string, then (for POST) the form body over it.

    Only GET and POST are Query-protocol requests (``InvalidHttpRequest`` 405 otherwise); a body
    over ``max_bytes`` raises ``too_large()`` before it is parsed.
    """
    if request.method not in ("GET", "POST"):
        raise InvalidHttpRequest(f"{request.method} is not supported; use POST with a form-encoded body")
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large()
    params = dict(parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True))
    if request.method == "POST":
        body = request.get_data(cache=True)
        if len(body) > max_bytes:
            raise too_large()
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def action_of(params: Mapping[str, str], version: str, actions: Container[str]) -> str:
    """The ``Action`` to run: ``MissingAction`` without one, ``InvalidAction`` for one this
    endpoint does not implement at ``version`` (the wording of AWS's answer)."""
    action = params.get("Action")
    if not action:
        raise MissingAction("Missing Action")
    if params.get("Version") != version or action not in actions:
        raise InvalidAction(f"Could not find operation {action} for version {params.get('Version', 'NO_VERSION')}")
    return action


def authenticate(request: Request, service: str, credentials: CredentialAuthority, clock: Clock,
                 settings: Settings) -> Principal:
    """The principal who signed ``request`` for ``service`` (SigV4), or ``QueryAuthError`` 403."""
    signed = SignedRequest(
        method=request.method,
        path=request.environ.get("RAW_URI", request.path).split("?", 1)[0] or "/",
        query=request.query_string.decode("latin-1"),
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
    )
    try:
        verified = verify(signed, lookup=credentials.secret_for, clock=clock, region=settings.region,
                          service=service, skew=settings.sigv4_skew_seconds)
    except SigV4Error as error:
        raise QueryAuthError(error) from None
    principal: Principal = verified.principal
    return principal


def xml_response(service: str, action: str, result: Mapping[str, Any] | None, request_id: str) -> Response:
    """``<{action}Response>`` with ``result`` serialized per botocore's model of ``service``."""
    return Response(response_xml(service, action, result, request_id), 200, _headers(request_id))


def error_response(service: str, error: AwsError, request_id: str) -> Response:
    """``<ErrorResponse>`` with the error's code, message and HTTP status."""
    return Response(error_xml(service, error, request_id), error.status, _headers(request_id))


def _headers(request_id: str) -> dict[str, str]:
    return {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
