"""DynamoDB's wire protocol (AWS JSON 1.0), both ways: what a request must look like before anyone
reads it, and how a response or an error is written.

Sources: the botocore DynamoDB service model (``protocol: json``, ``jsonVersion: 1.0``,
``targetPrefix: DynamoDB_20120810``); fgac-semantics §E.1 (error bodies, ``x-amzn-RequestId``,
``x-amz-crc32``; AccessDenied uses ``Message`` and HTTP 400, G-13); DynamoDB Developer Guide,
"Service quotas" (a request is at most 16 MB).
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from iam_policies.errors import AwsError
from iam_policies.errors import RequestEntityTooLarge as RequestEntityTooLarge
from iam_policies.errors import UnknownOperationException as UnknownOperationException
from webapp.backend.errors import InternalServerError as InternalServerError
from webapp.backend.errors import json_body

TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
#: Content types the SDKs send to a JSON 1.0 service (1.1 is accepted by AWS's front end too).
ACCEPTED_CONTENT_TYPES = frozenset({"application/x-amz-json-1.0", "application/x-amz-json-1.1"})
#: DynamoDB's request-size limit ("The maximum size of any request is 16 MB"). A declared or
#: streamed body beyond it is refused before it is read, hashed or parsed (attack case S-24).
MAX_BODY_BYTES = 16 * 1024 * 1024

_OPERATION = re.compile(r"[A-Z][A-Za-z]{1,63}")


class SerializationException(AwsError):
    """The body is not a JSON object DynamoDB can read (AWS JSON protocol, Coral front end)."""

    code = "SerializationException"
    status = 400
    namespace = "com.amazon.coral.service"


class MethodNotAllowed(UnknownOperationException):
    """Anything but ``POST`` (and the CORS preflight, and the ``GET`` health check): DynamoDB's
    ``UnknownOperationException`` code, with HTTP 405."""

    status = 405


class AccessDeniedException(AwsError):
    """IAM refused the request; nothing was executed. ``Message`` with a capital M (G-13;
    ``webapp.backend.errors.message_member`` decides the spelling)."""

    code = "AccessDeniedException"
    status = 400
    namespace = "com.amazon.coral.service"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


def new_request_id() -> str:
    """52 upper-case characters of [0-9A-F], inside the alphabet of DynamoDB's
    ``x-amzn-RequestId`` (52 of [0-9A-Z]); ``hex`` is C-fast where ``b32encode`` is not."""
    return os.urandom(26).hex().upper()


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 413: "Payload Too Large",
            500: "Internal Server Error"}


def respond(status: int, payload: Mapping[str, Any], request_id: str, now: float, *,
            include_date: bool = False) -> Response:
    """The response; ``Date`` (which the SDKs use to correct clock skew) is added by the HTTP
    server (Werkzeug's and gunicorn's both send it), so the app adds it only when asked: two
    ``Date`` headers would be joined into one the SDKs cannot parse."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
        ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
    ]
    if include_date:
        headers.append(("Date", formatdate(now, usegmt=True)))
    return Response(status, body, headers)


def error_payload(error: AwsError) -> dict[str, Any]:
    """``{"__type": "<namespace>#<Code>", "message": ...}`` with the error shape's other members
    (the backend's ``CancellationReasons``, ``Item``); ``backend.errors.json_body`` spells it."""
    return json_body(error)


def check_content_type(value: str | None) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if media not in ACCEPTED_CONTENT_TYPES:
        shown = (value or "")[:80] or "none"
        raise SerializationException(
            f"Content-Type must be {CONTENT_TYPE} (got {shown})."
        )


def parse_target(value: str | None, known: frozenset[str]) -> str:
    """``DynamoDB_20120810.GetItem`` -> ``GetItem``; anything else is an unknown operation."""
    if not value:
        raise UnknownOperationException("Missing X-Amz-Target header: expected DynamoDB_20120810.<Operation>.")
    if "," in value:
        raise UnknownOperationException("X-Amz-Target must be sent exactly once.")
    prefix, _, operation = value.strip().partition(".")
    if prefix + "." != TARGET_PREFIX or not _OPERATION.fullmatch(operation) or operation not in known:
        raise UnknownOperationException(f"Unknown operation: {value.strip()[:100]}")
    return operation


def parse_body(raw: bytes) -> dict[str, Any]:
    """A JSON object, strictly: UTF-8, no duplicate members (a second ``Key`` must not be able
    to hide behind the first), no NaN/Infinity."""
    if not raw.strip():
        raise SerializationException("The request body is empty; DynamoDB takes a JSON object.")
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise SerializationException("The request body is not valid UTF-8.") from None
    except ValueError as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}"[:300]) from None
    except RecursionError:
        raise SerializationException("The request body nests too deeply.") from None
    if not isinstance(value, dict):
        raise SerializationException(
            f"Start of {type(value).__name__} found where a JSON object was expected."
        )
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise ValueError(f"duplicate member {name[:60]!r}")
        out[name] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
