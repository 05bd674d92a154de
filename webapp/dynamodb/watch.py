"""``POST /_webapp/watch`` on the DynamoDB endpoint: the capacity watch, for the admin only.

The figures (``webapp.backend.watch``) name the app's busiest partition keys, which are user ids,
so reading them is authorized like every other request: SigV4 with the caller's credentials, then
IAM. The action checked is ``dynamodb:DescribeContributorInsights`` on each table the watch has
seen, the action that guards DynamoDB's own hot-key view (Service Authorization Reference,
"Actions defined by Amazon DynamoDB"); the admin role (``Action: *``) has it, the WebUser role
does not and gets DynamoDB's ``AccessDeniedException``. Every decision goes to the audit log.

Request body (JSON, optional): ``{"seconds": 60, "top": 10, "showKeys": false}``. The answer is
``Watch.snapshot``. A stack that forwards to an upstream DynamoDB has no watch (CloudWatch is
where AWS keeps these figures) and answers ``ValidationException``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from iam_policies.authorization import Authorization
from iam_policies.errors import AwsError, ValidationException
from webapp.authorize import RequestFacts, request_keys
from webapp.backend.watch import Watch
from webapp.dynamodb import wire
from webapp.dynamodb.gateway import Gateway, _read_body
from webapp.wsgi import Environ, StartResponse

log = logging.getLogger("webapp.dynamodb")

WATCH_PATH = "/_webapp/watch"
OPERATION = "WatchCapacity"
ACTION = "dynamodb:DescribeContributorInsights"
MAX_TOP = 100


class WatchView:
    """WSGI: ``WATCH_PATH`` here, every other request to ``gateway``."""

    def __init__(self, gateway: Gateway, watch: Watch | None) -> None:
        self.gateway = gateway
        self.watch = watch

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != WATCH_PATH:
            return self.gateway(environ, start_response)
        request_id = wire.new_request_id()
        clock = self.gateway.clock
        try:
            response = self.handle(environ, request_id)
        except AwsError as refused:
            response = wire.respond(refused.status, wire.error_payload(refused), request_id, clock())
        except Exception:  # never a traceback on the wire
            log.exception("unexpected error handling DynamoDB request %s (capacity watch)", request_id)
            failed = wire.InternalServerError("Internal server error")
            response = wire.respond(500, wire.error_payload(failed), request_id, clock())
        start_response(wire.status_line(response.status), response.headers)
        return [response.body]

    def handle(self, environ: Environ, request_id: str) -> wire.Response:
        if environ.get("REQUEST_METHOD") != "POST":
            return wire.not_found(request_id)
        raw = _read_body(environ)
        options = wire.parse_body(raw) if raw.strip() else {}
        g = self.gateway
        principal = g.authenticate(environ, raw, request_id, OPERATION)
        seconds, top, show = _options(options)
        now = g.clock()
        snapshot = self.watch.snapshot(now, seconds=seconds, top=top, show_keys=show) if self.watch else None
        s = g.settings
        tables = sorted({row["table"] for row in snapshot["tables"]}) if snapshot else []
        arn = f"arn:aws:dynamodb:{s.region}:{s.account_id}:table/"
        authorizations = [Authorization(ACTION, arn + table) for table in tables or ["*"]]
        source_ip = environ.get("REMOTE_ADDR", "")
        keys = request_keys(source_ip=source_ip, now=now, region=s.region,
                            secure=environ.get("wsgi.url_scheme") == "https")
        authorized = g.authorizer.authorize(principal, authorizations, keys,
                                            RequestFacts("dynamodb", OPERATION, request_id, now, source_ip))
        g.record(authorized.entry)
        if not authorized.allowed:
            raise wire.AccessDeniedException(authorized.decision.access_denied_message(principal.arn))
        if snapshot is None:
            raise ValidationException("This stack forwards to an upstream DynamoDB and keeps no capacity "
                                      "watch; read CloudWatch's metrics there")
        return wire.respond(200, snapshot, request_id, now)


def _options(options: dict[str, Any]) -> tuple[int, int, bool]:
    seconds, top, show = options.get("seconds", 60), options.get("top", 10), options.get("showKeys", False)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= 300:
        raise ValidationException("seconds must be a whole number from 1 to 300")
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
        raise ValidationException(f"top must be a whole number from 1 to {MAX_TOP}")
    if not isinstance(show, bool):
        raise ValidationException("showKeys must be true or false")
    return seconds, top, show
