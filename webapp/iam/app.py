"""The local IAM endpoint: IAM's Query API over WSGI, behind our SigV4 and our policy engine.

So the admin tooling applies the templates to the local stack exactly as it does to AWS (boto3
``iam`` client, ``endpoint_url`` = port P+3). Each request is:

1. read: form POST (or GET query), ``Action`` + ``Version=2010-05-08``, parameters parsed with the
   botocore model of the action (``webapp.query_protocol.wire.parse_params``);
2. authenticated: ``webapp.sigv4.verify`` with service ``iam`` -> the caller's ``Principal``; a
   failure answers in the Query protocol's words (``SignatureDoesNotMatch``, ``InvalidClientTokenId``,
   403);
3. authorized: ``iam:<Action>`` on the entity's ARN, evaluated with the caller's role policies (and
   session policies) -> ``AccessDenied`` 403 with AWS's text; only the Admin role is allowed;
4. executed on the ``IamRegistry`` by the action's handler (``actions.HANDLERS``; validation with
   ``Policy.parse`` -> ``MalformedPolicyDocument``; every change persisted and the compiled-policy
   cache dropped);
5. answered with the XML botocore expects (``webapp.query_protocol.wire.response_xml``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from iam_policies.authorization import Authorization
from webapp.audit import Audit, AuditLog
from webapp.authorize import Authorizer, RequestFacts, record, request_keys
from webapp.clock import Clock
from webapp.credentials import CredentialAuthority, Principal
from webapp.iam.actions import HANDLERS
from webapp.iam.errors import AccessDenied, ServiceFailure, ValidationError
from webapp.iam.registry import IamRegistry
from webapp.query_protocol.endpoint import action_of, authenticate, query_endpoint, read_params, xml_response
from webapp.query_protocol.wire import ParameterError, parse_params, service_model
from webapp.settings import Settings

VERSION = "2010-05-08"
MAX_BODY_BYTES = 256 * 1024
log = logging.getLogger("webapp.iam")


def create_iam_app(settings: Settings, registry: IamRegistry, credentials: CredentialAuthority,
                   clock: Clock, *, audit: Audit | None = None,
                   ) -> Callable[..., Iterable[bytes]]:
    """The IAM WSGI app (port P+3). Every authorization decision goes to ``audit`` (by default the
    stack's ``<data>/audit.jsonl``), so "who changed the user role?" has an answer."""
    account = settings.account_id
    service_model("iam")  # load botocore's model now, not on the first request
    write = audit if audit is not None else AuditLog(settings.data_dir / "audit.jsonl").record
    authorizer = Authorizer(registry)

    def handle(request: Request, request_id: str) -> Response:
        form = read_params(request, MAX_BODY_BYTES, _too_large)
        principal = authenticate(request, "iam", credentials, clock, settings)
        action = action_of(form, VERSION, HANDLERS)
        operation = service_model("iam").operation_model(action)
        try:
            params = parse_params(operation, form)
        except ParameterError as exc:
            raise ValidationError(
                f"1 validation error detected: Value at '{exc.name}' failed to satisfy constraint: "
                f"Member must be {exc.expected}"
            ) from None
        for name in operation.input_shape.required_members if operation.input_shape else ():
            if name not in params:
                raise ValidationError(
                    f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed to "
                    "satisfy constraint: Member must not be null"
                )
        _authorize(principal, action, _resource(account, registry, action, params), request, request_id)
        result = HANDLERS[action](registry, params)
        return xml_response("iam", action, result, request_id)

    def _authorize(principal: Principal, action: str, resource: str, request: Request, request_id: str) -> None:
        now = clock()
        source_ip = request.remote_addr or ""
        keys = request_keys(source_ip=source_ip, now=now, secure=request.scheme == "https",
                            region=settings.region)
        authorized = authorizer.authorize(principal, [Authorization(f"iam:{action}", resource, {})], keys,
                                          RequestFacts("iam", action, request_id, now, source_ip))
        record(write, authorized.entry, log)  # a failed audit write is logged, never a 500
        if not authorized.allowed:
            raise AccessDenied(authorized.decision.access_denied_message(principal.arn))

    return query_endpoint("iam", handle, ServiceFailure, log)


def _too_large() -> ValidationError:
    return ValidationError("The request body is too large")


# The entity each action is about (its ARN is the Resource IAM authorizes) ----------------------------


def _resource(account: str, registry: IamRegistry, action: str, params: Mapping[str, Any]) -> str:
    if "RoleName" in params:
        role = registry.role_by_name(params["RoleName"])
        if role is not None:
            return role.arn
        return f"arn:aws:iam::{account}:role{params.get('Path', '/')}{params['RoleName']}"
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    if action == "CreatePolicy":
        return f"arn:aws:iam::{account}:policy{params.get('Path', '/')}{params['PolicyName']}"
    if "OpenIDConnectProviderArn" in params:
        return str(params["OpenIDConnectProviderArn"])
    if action == "CreateOpenIDConnectProvider":
        url = str(params["Url"]).split("://", 1)[-1].rstrip("/")
        return f"arn:aws:iam::{account}:oidc-provider/{url}"
    return "*"
