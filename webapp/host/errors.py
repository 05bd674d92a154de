"""Errors as JSON with a message a person can act on; never a traceback.

Every HTTP error the host raises (404 for a path outside the asset whitelist, 405, ...) and every
unexpected exception becomes ``{"error": <code>, "message": <text>}`` with the right status. The
exception itself goes to the log, not to the client (ASVS 5.0 16.5.1: generic errors, details
logged).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("webapp.host")


def json_error(error: str, message: str, status: int) -> Response:
    response = jsonify({"error": error, "message": message})
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    name = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
    response = json_error(name, exc.description or exc.name or "error", exc.code or 500)
    for key, value in exc.get_headers():  # e.g. Allow on 405
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error in the host")
    return json_error("internal_error", "The host failed to handle this request; the details are "
                      "in its log.", 500)


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
