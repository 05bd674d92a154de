"""Demo data the local stack seeds at start: the demo users' profiles.

``Plan`` and ``Role`` are written by nobody through the user role (the ``WebUser`` policy denies
any write naming them, docs/data-model.md), so the admin side has to put them there for the
profile screen to have something read-only to show. This runs through the in-process backend,
as the admin would with ``aws dynamodb update-item``.

Idempotent and non-destructive: ``Plan`` and ``Role`` are (re)set, but a ``DisplayName`` the user
has edited is kept (with its directory keys ``NameBucket``/``NameKey``) (``if_not_exists``, DynamoDB Developer Guide, "Update expressions").
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from webapp.settings import Settings


class _Backend(Protocol):
    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...


DemoUser = tuple[str, str, str, str]  # (sub, display_name, plan, role)


def name_key(display_name: str) -> str:
    """The directory's normalized name (``NameKey``; ``NameBucket`` is its first character):
    NFKC, spaces collapsed, lower case. The page computes the same (``static/src/keys.js``
    ``nameKey``) when it saves a profile and when it searches (docs/data-model.md)."""
    return " ".join(unicodedata.normalize("NFKC", display_name).split()).lower()


def seed_demo_profiles(backend: _Backend, settings: Settings, users: Iterable[DemoUser],
                       *, now: float | None = None) -> int:
    """One ``UpdateItem`` per user on the Profiles table; returns how many were written."""
    table = settings.table_name("profiles")
    stamp = datetime.fromtimestamp(time.time() if now is None else now, UTC) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    count = 0
    for sub, display_name, plan, role in users:
        backend.call("UpdateItem", {
            "TableName": table,
            "Key": {"UserId": {"S": sub}},
            "UpdateExpression": "SET #plan = :plan, #role = :role, "
                                "#name = if_not_exists(#name, :name), "
                                "#bucket = if_not_exists(#bucket, :bucket), #key = if_not_exists(#key, :key), "
                                "#updated = if_not_exists(#updated, :now)",
            "ExpressionAttributeNames": {"#plan": "Plan", "#role": "Role", "#name": "DisplayName",
                                         "#bucket": "NameBucket", "#key": "NameKey",
                                         "#updated": "UpdatedAt"},
            "ExpressionAttributeValues": {":plan": {"S": plan}, ":role": {"S": role},
                                          ":name": {"S": display_name}, ":now": {"S": stamp},
                                          ":bucket": {"S": name_key(display_name)[:1]},
                                          ":key": {"S": name_key(display_name)}},
        })
        count += 1
    return count
