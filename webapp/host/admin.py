"""``/admin/capacity``: the capacity watch of ``python -m webapp top`` as a page, for admins only.

Who is an admin is the host's to say, not the page's: ``WEBAPP_ADMINS`` lists the ``sub`` of each
admin (OpenID Connect's stable identifier; a user name can be given to someone else later). Every
other signed-in user gets ``403 not_admin``, told their own ``sub`` so an operator can add it; a
visitor without a session gets ``401``. The figures name the app's busiest partition keys, which
are user ids, so they are hashed unless the admin asks for them (``?keys=1``), as in ``top``.

The host reads the figures from the local stack's DynamoDB endpoint (``POST /_webapp/watch``),
signed with the admin's key, so IAM decides and the audit log records it like any other read of
the watch. Against AWS there is no such endpoint (CloudWatch keeps these figures) and the page
says so (``501 not_available``).

The page (``static/assets/admin/``) polls ``/admin/capacity.json`` and plots the units a second
of each table and index, the throttles and the hottest keys, keeping the history it has seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, request, session

from webapp.host.cookie import SID
from webapp.host.errors import json_error
from webapp.host.sessions import SessionStore

#: ``(top, show_keys) -> Watch.snapshot``; raises ``WatchUnavailable`` with a sentence to show.
WatchSource = Callable[[int, bool], dict[str, Any]]

MAX_TOP = 100


class WatchUnavailable(Exception):
    """The watch could not be read (the endpoint refused or did not answer)."""


def create_admin_blueprint(store: SessionStore, admins: Iterable[str], source: WatchSource | None,
                           page: Callable[[], Response]) -> Blueprint:
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    allowed = frozenset(admins)

    @admin.get("/capacity")
    def capacity_page() -> Response:
        return page()  # the page holds no data; its JSON is what is guarded

    @admin.get("/capacity.json")
    def capacity() -> Response:
        cookie_value: str = session.get(SID) or ""
        current = store.get(cookie_value) if cookie_value else None
        if current is None:
            return json_error("login_required", "Sign in first: GET /auth/login?next=/admin/capacity", 401)
        if current.sub not in allowed:
            return json_error("not_admin", "Only the app's admins see capacity. To make this user one, "
                              f"add its sub {current.sub} to WEBAPP_ADMINS (comma-separated) and "
                              "restart the host.", 403)
        if source is None:
            return json_error("not_available", "This host runs against AWS, where capacity and hot "
                              "keys are CloudWatch metrics (and Contributor Insights): see them in "
                              "the CloudWatch console.", 501)
        top, show_keys = _options()
        try:
            snapshot = source(top, show_keys)
        except WatchUnavailable as failed:
            return json_error("watch_unavailable", str(failed), 502)
        response = jsonify(snapshot)
        response.headers["Cache-Control"] = "no-store"
        return response

    return admin


def _options() -> tuple[int, bool]:
    try:
        top = int(request.args.get("top", "10"))
    except ValueError:
        top = 10
    return max(1, min(top, MAX_TOP)), request.args.get("keys") == "1"


def local_watch(endpoint: str, access_key_id: str, secret_access_key: str, region: str) -> WatchSource:
    """The local stack's watch, read over HTTP with the admin's static key (as ``top`` does)."""
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    from webapp.dynamodb.watch_client import Signer, WatchError, fetch

    signer = Signer(Credentials(access_key_id, secret_access_key), region)

    def read(top: int, show_keys: bool) -> dict[str, Any]:
        try:
            return fetch(endpoint, signer, top=top, show_keys=show_keys)
        except WatchError as failed:
            raise WatchUnavailable(str(failed)) from None

    return read
