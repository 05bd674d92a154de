"""The client side of ``POST /_webapp/watch``: a SigV4-signed read of the capacity watch.

One owner for the two readers of the watch: ``python -m webapp top`` (``webapp/cli/top.py``) and the
host's admin page (``webapp/host/admin.py``), so the host no longer imports a CLI module. The
request is signed for ``dynamodb`` with botocore's ``SigV4Auth``, as the SDKs sign DynamoDB calls,
and the endpoint decides it like any other request (``webapp/dynamodb/watch.py``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from webapp.dynamodb.watch import WATCH_PATH


class WatchError(Exception):
    """The watch could not be read: one sentence for the user (no stack, refused, not the stack)."""


class Signer:
    """Signs a watch request with ``credentials`` (botocore ``Credentials``) for ``region``."""

    def __init__(self, credentials: Any, region: str) -> None:
        self.credentials, self.region = credentials, region

    def sign(self, url: str, body: bytes) -> dict[str, str]:
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]

        request = AWSRequest(method="POST", url=url, data=body,
                             headers={"Content-Type": "application/x-amz-json-1.0"})
        SigV4Auth(self.credentials, "dynamodb", self.region).add_auth(request)
        return dict(request.headers.items())


def fetch(endpoint: str, signer: Signer, *, top: int, show_keys: bool) -> dict[str, Any]:
    """``Watch.snapshot`` from the stack's DynamoDB ``endpoint``; raises ``WatchError``."""
    url = endpoint.rstrip("/") + WATCH_PATH
    body = json.dumps({"seconds": 60, "top": top, "showKeys": show_keys}).encode()
    request = urllib.request.Request(url, data=body, headers=signer.sign(url, body), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http(s) URL of the stack
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            raise WatchError(f"{url} answered HTTP {error.code}: is this the local stack's DynamoDB "
                             "endpoint (port P+2)?") from None
        code = str(payload.get("__type", "")).rsplit("#", 1)[-1]
        message = payload.get("Message") or payload.get("message") or ""
        raise WatchError(f"{code}: {message}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise WatchError(f"no local stack at {endpoint} ({reason}); start one with ./dev serve "
                         "or pass --endpoint-url") from None
