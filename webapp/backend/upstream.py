"""Forward allowed calls to a DynamoDB-compatible upstream (AWS, DynamoDB Local, Alternator).

The local endpoint has already verified the caller's signature and evaluated IAM; the upstream
gets a *new* request with the same JSON body, signed with SigV4 (botocore's ``SigV4Auth``) for
the backend's own credentials: ``WEBAPP_BACKEND_ACCESS_KEY_ID`` / ``..._SECRET_ACCESS_KEY``
(``..._SESSION_TOKEN``) when set, otherwise botocore's default chain (environment, profile,
container and instance roles). Responses and errors come back unchanged: the body is returned
as parsed JSON, and an error keeps the upstream's ``__type``, status, message and extra members.
No retries here: the SDK in front retries, and a second retry loop would multiply its delays.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import botocore.session  # type: ignore[import-untyped]
from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]
from botocore.httpsession import URLLib3Session  # type: ignore[import-untyped]

from iam_policies.schema import TableSchema
from webapp.backend.errors import DynamoDBError
from webapp.backend.local import SCHEMA_CHANGES
from webapp.backend.moto_engine import TARGET_PREFIX
from webapp.clock import Clock
from webapp.settings import Settings, SettingsError

log = logging.getLogger(__name__)

#: Key schemas rarely change, but other clients of the upstream may change them.
SCHEMA_TTL_SECONDS = 60.0


class UpstreamUnavailable(DynamoDBError):
    code = "ServiceUnavailable"
    status = 503
    namespace = "com.amazon.coral.availability"


def credentials_from(settings: Settings) -> Any:
    """The upstream's credentials: explicit ``WEBAPP_BACKEND_*`` keys, else the default chain."""
    key, secret = settings.backend_access_key_id, settings.backend_secret_access_key
    if key and secret:
        return Credentials(key, secret, settings.backend_session_token or None)
    found = botocore.session.get_session().get_credentials()
    if found is None:
        raise SettingsError(
            "WEBAPP_BACKEND_URL (--backend-url) is set but no credentials were found for it: set "
            "WEBAPP_BACKEND_ACCESS_KEY_ID and WEBAPP_BACKEND_SECRET_ACCESS_KEY, or configure "
            "the AWS default credential chain"
        )
    return found


class UpstreamBackend:
    def __init__(self, url: str, *, region: str, credentials: Any, clock: Clock,
                 timeout: float = 30.0) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.region = region
        self.credentials = credentials
        self.clock = clock
        self._http = URLLib3Session(timeout=timeout, max_pool_connections=32)
        self._schemas: dict[str, tuple[float, TableSchema | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> UpstreamBackend:
        assert settings.backend_url
        return cls(settings.backend_url, region=settings.region,
                   credentials=credentials_from(settings), clock=clock)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params).encode("utf-8")
        request = AWSRequest(method="POST", url=self.url, data=body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": TARGET_PREFIX + operation,
        })
        frozen = self.credentials.get_frozen_credentials()
        SigV4Auth(frozen, "dynamodb", self.region).add_auth(request)
        try:
            response = self._http.send(request.prepare())
        except BotoCoreError as error:
            log.warning("upstream %s unreachable: %s", self.url, error)
            raise UpstreamUnavailable(f"The DynamoDB upstream is unavailable: {error}") from error
        if response.status_code >= 300:
            raise DynamoDBError.from_wire(response.status_code, response.content)
        if operation in SCHEMA_CHANGES:
            with self._lock:
                self._schemas.clear()
        result = json.loads(response.content or b"{}")
        return result if isinstance(result, dict) else {}

    def table_schema(self, name: str) -> TableSchema | None:
        now = self.clock()
        with self._lock:
            cached = self._schemas.get(name)
        if cached is not None and now - cached[0] < SCHEMA_TTL_SECONDS:
            return cached[1]
        try:
            schema: TableSchema | None = TableSchema.from_description(
                self.call("DescribeTable", {"TableName": name})["Table"]
            )
        except DynamoDBError as error:
            if error.code != "ResourceNotFoundException":
                raise
            schema = None
        with self._lock:
            self._schemas[name] = (now, schema)
        return schema

    def close(self) -> None:
        self._http.close()
