"""DynamoDB's wire protocol (AWS JSON 1.0), both ways: what a request must look like before anyone
reads it, and how a response or an error is written.

Sources: the botocore DynamoDB service model (``protocol: json``, ``jsonVersion: 1.0``,
``targetPrefix: DynamoDB_20120810``); fgac-semantics §E.1 (error bodies, ``x-amzn-RequestId``,
``x-amz-crc32``; AccessDenied uses ``Message`` and HTTP 400, G-13); DynamoDB Developer Guide,
"Service quotas" (a request is at most 16 MB).
"""

from __future__ import annotations

import json
import random
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
#: Content types DynamoDB reads a body in (parameters after ``;`` are ignored); a body in any other,
#: ``application/x-amz-json-1.1`` included, is not routed: HTTP 404 (dynalite test/connection.js).
ACCEPTED_CONTENT_TYPES = frozenset({"application/x-amz-json-1.0", "application/json"})
#: DynamoDB's whole answer to a request it has no route for.
NOT_FOUND_BODY = b"<UnknownOperationException/>\n"
#: DynamoDB's request-size limit ("The maximum size of any request is 16 MB"). A declared or
#: streamed body beyond it is refused before it is read, hashed or parsed (attack case S-24).
MAX_BODY_BYTES = 16 * 1024 * 1024

_OPERATION = re.compile(r"[A-Z][A-Za-z]{1,63}")


class SerializationException(AwsError):
    """The body is not a JSON object DynamoDB can read (AWS JSON protocol, Coral front end)."""

    code = "SerializationException"
    status = 400
    namespace = "com.amazon.coral.service"


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
    ``x-amzn-RequestId`` (52 of [0-9A-Z]).

    From ``random`` (unique, not secret: the id names a request in logs and the audit log, as
    AWS's does) rather than ``os.urandom``: a system call gives up the GIL, and with busy request
    threads winning it back took up to the interpreter's switch interval (threads were found
    waiting there in ``benchmarks/load.py``); ``getrandbits`` never lets go of it."""
    return f"{random.getrandbits(208):052X}"


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 413: "Payload Too Large",
            500: "Internal Server Error"}


def respond(status: int, payload: Mapping[str, Any], request_id: str, now: float, *,
            include_date: bool = False, content_type: str = CONTENT_TYPE) -> Response:
    """The response; ``Date`` (which the SDKs use to correct clock skew) is added by the HTTP
    server (Werkzeug's and gunicorn's both send it), so the app adds it only when asked: two
    ``Date`` headers would be joined into one the SDKs cannot parse. DynamoDB answers in the
    content type it was asked in (``application/json`` or ``application/x-amz-json-1.0``)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
        ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
    ]
    if include_date:
        headers.append(("Date", formatdate(now, usegmt=True)))
    return Response(status, body, headers)


def _plain(status: int, body: bytes, request_id: str, content_type: str | None) -> Response:
    headers = [("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id),
               ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF))]
    if content_type:
        headers.insert(0, ("Content-Type", content_type))
    return Response(status, body, headers)


def streamed(response: Response) -> Response:
    """``response`` without ``Content-Length``, so the server sends it chunked, as DynamoDB
    answers a body it refused unread (HTTP 413, ``Transfer-Encoding: chunked``; dynalite
    test/connection.js, recorded live)."""
    return Response(response.status, response.body,
                    [(name, value) for name, value in response.headers if name != "Content-Length"])


def health(region: str, request_id: str, *, head: bool = False) -> Response:
    """``GET /``: DynamoDB's health line, ``healthy: dynamodb.<region>.amazonaws.com `` (with its
    trailing space; dynalite test/connection.js, recorded live)."""
    body = f"healthy: dynamodb.{region}.amazonaws.com ".encode()
    response = _plain(200, body, request_id, "text/plain")
    return Response(200, b"", response.headers) if head else response


def not_found(request_id: str) -> Response:
    """A method other than POST/GET, or a body in a content type DynamoDB does not read."""
    return _plain(404, NOT_FOUND_BODY, request_id, None)


def error_payload(error: AwsError) -> dict[str, Any]:
    """``{"__type": "<namespace>#<Code>", "message": ...}`` with the error shape's other members
    (the backend's ``CancellationReasons``, ``Item``); ``backend.errors.json_body`` spells it. The
    framing errors DynamoDB sends without a message (bad JSON, unknown target) are just
    ``{"__type": ...}`` (dynalite test/connection.js, recorded live)."""
    if not error.message and not getattr(error, "extra", None):
        return {"__type": error.dynamodb_type}
    return json_body(error)


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def accepted_content_type(value: str | None) -> bool:
    return media_type(value) in ACCEPTED_CONTENT_TYPES


def answer_content_type(value: str | None) -> str:
    """DynamoDB answers in JSON 1.0 a request sent in JSON 1.0, and in ``application/json``
    anything else (``application/json`` itself, or no body and no content type: dynalite
    test/connection.js, recorded live)."""
    return CONTENT_TYPE if media_type(value) == CONTENT_TYPE else "application/json"


def parse_target(value: str | None, known: frozenset[str]) -> str:
    """``DynamoDB_20120810.GetItem`` -> ``GetItem``; anything else is an unknown operation."""
    if not value:
        raise UnknownOperationException("")
    if "," in value:
        raise UnknownOperationException("X-Amz-Target must be sent exactly once.")
    prefix, _, operation = value.strip().partition(".")
    if prefix + "." != TARGET_PREFIX or not _OPERATION.fullmatch(operation) or operation not in known:
        raise UnknownOperationException("")
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
        if "duplicate member" in str(exc):
            raise SerializationException(str(exc)[:300]) from None
        raise SerializationException("") from None  # DynamoDB's answer carries no message
    except RecursionError:
        raise SerializationException("The request body nests too deeply.") from None
    if not isinstance(value, dict):
        raise SerializationException(
            f"Start of {type(value).__name__} found where a JSON object was expected."
        )
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise SerializationException(
            "The request holds a string with an unpaired UTF-16 surrogate escape (\\ud800-\\udfff "
            "without its pair); DynamoDB strings are Unicode in UTF-8, which cannot encode it.")
    return value


#: A JSON escape in the surrogate range; only then are the strings walked (rare in practice).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Any string (a member name included) that UTF-8 cannot encode: ``json`` joins a valid
    surrogate pair into one character, so what is left unpaired is a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object, built by ``dict`` (each JSON object of a request passes through here); only
    when it came out shorter than its pairs is the first repeated name looked for."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise ValueError(f"duplicate member {name[:60]!r}")
        seen.add(name)
    raise AssertionError("unreachable: a shorter dict has a repeated name")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
