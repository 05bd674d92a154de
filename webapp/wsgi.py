"""What the signed endpoints served as plain WSGI apps (DynamoDB, S3) read from a request.

One owner for the three things SigV4 needs exactly as the client sent them: the body (bounded,
by ``Content-Length`` or to the end of a chunked stream), the path still percent-encoded, and the
headers (PEP 3333: ``HTTP_*`` keys plus ``CONTENT_TYPE``/``CONTENT_LENGTH``). Each endpoint names
its own errors for a bad length or a body past its limit (DynamoDB's ``SerializationException``
and 413 ``RequestEntityTooLarge``, S3's ``InvalidArgument`` and ``EntityTooLarge``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import IO, Any
from urllib.parse import quote

#: A WSGI environ and ``start_response`` (PEP 3333).
Environ = Mapping[str, Any]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def read_body(environ: Environ, limit: int, *, bad_length: Callable[[], Exception],
              too_large: Callable[[int | None], Exception]) -> bytes:
    """The request body, at most ``limit`` bytes: ``bad_length()`` is raised for a
    ``Content-Length`` that is not a non-negative integer, ``too_large(length)`` for a body past the
    limit (``length`` is ``None`` when a chunked body ran over)."""
    stream: IO[bytes] | None = environ.get("wsgi.input")
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        if not length_text.isdigit():
            raise bad_length()
        length = int(length_text)
        if length > limit:
            raise too_large(length)
        return stream.read(length) if stream is not None and length else b""
    if stream is None or not environ.get("wsgi.input_terminated"):
        return b""
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(None)
    return data


def raw_path(environ: Environ) -> str:
    """The path exactly as sent (still percent-encoded), which is what the client signed.

    Servers give the request target (waitress ``REQUEST_URI``, gunicorn and Werkzeug ``RAW_URI``);
    without one the decoded ``PATH_INFO`` is encoded again from its bytes (PEP 3333: latin-1), the
    unreserved characters and ``/`` left as they are, as the SDKs encode a path."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return path or "/"
    script = str(environ.get("SCRIPT_NAME", ""))
    path_info = str(environ.get("PATH_INFO", ""))
    return quote((script + path_info).encode("latin-1"), safe="/%~-._")


def header_pairs(environ: Environ) -> list[tuple[str, str]]:
    """Every request header as ``(lower-case name, value)``."""
    pairs = [(_header_name(key), value) for key, value in environ.items() if key[:5] == "HTTP_"]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            pairs.append((key.replace("_", "-").lower(), environ[key]))
    return pairs


@lru_cache(maxsize=512)
def _header_name(environ_key: str) -> str:
    """``HTTP_X_AMZ_DATE`` -> ``x-amz-date`` (the same few dozen names on every request)."""
    return environ_key[5:].replace("_", "-").lower()
