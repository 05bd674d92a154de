"""Demo data the local stack seeds at start: the demo users' profiles.

``Plan`` and ``Role`` are written by nobody through the user role (the ``WebUser`` policy denies
any write naming them, docs/data-model.md), so the admin side has to put them there for the
profile screen to have something read-only to show. This runs through the in-process backend,
as the admin would with ``aws dynamodb update-item``.

Idempotent and non-destructive: ``Plan`` and ``Role`` are (re)set, but a ``DisplayName`` the user
has edited is kept (with its directory keys ``NameBucket``/``NameKey``) (``if_not_exists``, DynamoDB Developer Guide, "Update expressions").
A profile that already says what the seed would leave is not written at all: the update carries a
condition that holds only when something would change, and DynamoDB writes nothing when a
condition fails (``ConditionalCheckFailedException``, API Reference "UpdateItem"). So a restart
journals nothing here, and a clean stop after an idle run has nothing to compact (issue 11).

A throttled Profiles table (``WEBAPP_THROTTLE``) must not stop the stack from starting: a throttled
write is retried with exponential backoff, as the AWS SDKs do ("Error retries and exponential
backoff in AWS"), and when the table stays throttled the rest are skipped and the reason returned,
for the stack to print as one line.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from iam_policies.errors import AwsError
from webapp.settings import Settings


class _Backend(Protocol):
    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...


DemoUser = tuple[str, str, str, str]  # (sub, display_name, plan, role)


THROTTLED = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException"})
#: True when the update below would change the profile: it is missing, its plan or role differs,
#: or one of the attributes ``if_not_exists`` fills is absent.
CHANGES_SOMETHING = ("attribute_not_exists(UserId) OR #plan <> :plan OR #role <> :role OR "
                     "attribute_not_exists(#name) OR attribute_not_exists(#bucket) OR "
                     "attribute_not_exists(#key) OR attribute_not_exists(#updated)")


class SeedingThrottled(Exception):
    """The Profiles table stayed throttled: ``written`` profiles were seeded before it."""

    def __init__(self, written: int, message: str) -> None:
        super().__init__(message)
        self.written = written


def name_key(display_name: str) -> str:
    """The directory's normalized name (``NameKey``; ``NameBucket`` is its first character):
    NFKC, spaces collapsed, lower case. The page computes the same (``static/src/keys.js``
    ``nameKey``) when it saves a profile and when it searches (docs/data-model.md)."""
    return " ".join(unicodedata.normalize("NFKC", display_name).split()).lower()


def seed_demo_profiles(backend: _Backend, settings: Settings, users: Iterable[DemoUser],
                       *, now: float | None = None, sleep: Callable[[float], None] = time.sleep,
                       retries: int = 5) -> int:
    """One ``UpdateItem`` per user on the Profiles table; returns how many were written (a
    profile already as seeded is left alone and not counted).

    Raises ``SeedingThrottled`` when a write is still throttled after ``retries`` backoffs.
    """
    table = settings.table_name("profiles")
    stamp = datetime.fromtimestamp(time.time() if now is None else now, UTC) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    count = 0
    for sub, display_name, plan, role in users:
        request = {
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
            "ConditionExpression": CHANGES_SOMETHING,
        }
        for attempt in range(retries + 1):
            try:
                backend.call("UpdateItem", request)
                count += 1
                break
            except AwsError as error:
                if error.code == "ConditionalCheckFailedException":  # already as seeded
                    break
                if error.code not in THROTTLED:
                    raise
                if attempt == retries:
                    raise SeedingThrottled(count, f"{table} is throttled ({error.code}); "
                                                  f"seeded {count} demo profile(s), skipped the rest") from None
                sleep(0.1 * 2 ** attempt)
    return count
