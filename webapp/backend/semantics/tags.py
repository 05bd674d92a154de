"""Tags as DynamoDB keeps them: at most 50 a table, of its characters only, listed at once.

Developer Guide, "Tagging restrictions in DynamoDB": at most 50 tags per resource; keys and
values hold "letters, whitespace, and numbers representable in UTF-8, plus the following
special characters: + - = . _ : /" (``@`` too, as everywhere in AWS tagging). ScyllaDB's
Alternator tests (test/alternator/test_tag.py ``test_tag_resource_incorrect`` - 30 tags, then 20
more of which 10 are new, then 20 more new is refused -, ``test_too_long_tags_from_creation``,
``test_tag_forbidden_chars``; checked against DynamoDB) see each refused with a
``ValidationException`` and the table left without the table (creation) or the new tags. The
tests pin only the exception, not its text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from webapp.backend.errors import DynamoDBValidationException

Forward = Callable[[str, Mapping[str, Any]], dict[str, Any]]

LIMIT = 50
_ALLOWED = re.compile(r"[\w\s+\-=.:/@]*")


def _check_characters(tags: list[Any]) -> None:
    for tag in tags:
        if not isinstance(tag, Mapping):
            continue
        for member in ("Key", "Value"):
            text = tag.get(member)
            if isinstance(text, str) and not _ALLOWED.fullmatch(text):
                raise DynamoDBValidationException(
                    f"One or more parameter values were invalid: the tag {member.lower()} {text!r} holds a character "
                    "tags may not hold (letters, digits, whitespace and + - = . _ : / @)")


def _too_many(count: int) -> DynamoDBValidationException:
    return DynamoDBValidationException(
        f"One or more parameter values were invalid: a table holds at most {LIMIT} tags; this request would leave "
        f"it {count}")


def check_create_table(params: Mapping[str, Any]) -> None:
    tags = params.get("Tags")
    if not isinstance(tags, list):
        return
    _check_characters(tags)
    keys = {tag.get("Key") for tag in tags if isinstance(tag, Mapping)}
    if len(keys) > LIMIT:
        raise _too_many(len(keys))


def _all_tags(arn: Any, forward: Forward) -> list[Any]:
    """Every tag of the resource, following moto's pages."""
    tags: list[Any] = []
    request: dict[str, Any] = {"ResourceArn": arn}
    while True:
        page = forward("ListTagsOfResource", request)
        tags.extend(page.get("Tags") or ())
        if not page.get("NextToken"):
            return tags
        request["NextToken"] = page["NextToken"]


def list_tags(params: Mapping[str, Any], forward: Forward) -> dict[str, Any]:
    """ListTagsOfResource answers every tag of the table at once (at most 50): ScyllaDB's
    Alternator tests read 30 and 40 tags back from one call against DynamoDB
    (test_tag.py ``test_tag_resource_incorrect``); moto answers 10 a page ("there is no default,
    but using 10 to make testing easier", moto/dynamodb/responses.py). A ``NextToken`` from
    elsewhere is still moto's to follow."""
    if params.get("NextToken") is not None:
        return forward("ListTagsOfResource", params)
    return {"Tags": _all_tags(params.get("ResourceArn"), forward)}


def check_tag_resource(params: Mapping[str, Any], forward: Forward) -> None:
    tags = params.get("Tags")
    if not isinstance(tags, list):
        return
    _check_characters(tags)
    new = {tag.get("Key") for tag in tags if isinstance(tag, Mapping)}
    if len(new) > LIMIT:
        raise _too_many(len(new))
    held = {tag.get("Key") for tag in _all_tags(params.get("ResourceArn"), forward) if isinstance(tag, Mapping)}
    count = len(new | held)
    if count > LIMIT:
        raise _too_many(count)
