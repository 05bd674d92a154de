"""Resource ARNs DynamoDB authorises against (Service Authorization Reference, S2).

table  ``arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}``
index  ``…:table/${TableName}/index/${IndexName}``
stream ``…:table/${TableName}/stream/${StreamLabel}``

``TableName`` may itself be a table ARN (the API model allows it since 2024). Then that ARN is
the resource, also for another account or region (fgac-semantics.md A.3, S7 CLI example): the
policy decides, we never rewrite it to the caller's account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from iam_policies.dynamodb.errors import constraint, invalid

_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
_TABLE_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"table/(?P<table>[a-zA-Z0-9_.-]{3,255})"
)
_STREAM_ARN = re.compile(
    r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[a-zA-Z0-9_.-]{3,255}/stream/[0-9A-Za-z:.\-]+"
)


@dataclass(frozen=True)
class TableRef:
    """A table named by a request: its bare name and the ARN to authorise against."""

    name: str
    arn: str
    #: True when ``TableName`` was an ARN (lookups try the ARN first, then the bare name).
    by_arn: bool = False

    def index(self, index_name: str) -> str:
        return f"{self.arn}/index/{index_name}"


def table_ref(value: Any, *, member: str, region: str, account: str, partition: str) -> TableRef:
    """Resolve ``TableName`` (a name or a table ARN) as DynamoDB validates it."""
    if value is None:
        raise constraint(None, member, "Member must not be null")
    if not isinstance(value, str):
        raise invalid(f"Invalid type for {member}: expected a string")
    if value.startswith("arn:"):
        match = _TABLE_ARN.fullmatch(value)
        if match is None:
            raise invalid(f"Invalid TableName: The table ARN {value} is not valid")
        return TableRef(match["table"], value, by_arn=True)
    if len(value) < 3 or len(value) > 255:
        raise constraint(value, member, "Member must have length greater than or equal to 3")
    if not _NAME.fullmatch(value):
        raise constraint(value, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    return TableRef(value, f"arn:{partition}:dynamodb:{region}:{account}:table/{value}")


def resource_arn(value: Any, *, member: str) -> str:
    """A ``ResourceArn`` (TagResource, ListTagsOfResource, ...): must be a DynamoDB ARN."""
    if value is None:
        raise constraint(None, member, "Member must not be null")
    if not isinstance(value, str) or not value.startswith("arn:") or ":dynamodb:" not in value:
        raise invalid(f"Invalid {member} provided: {value}")
    return value


def stream_arn(value: Any, *, member: str = "streamArn") -> str:
    """A stream ARN as DescribeStream and GetShardIterator take it."""
    if value is None:
        raise constraint(None, member, "Member must not be null")
    if not isinstance(value, str) or not _STREAM_ARN.fullmatch(value):
        raise invalid(f"Invalid StreamArn: {value}")
    return value


def stream_of_iterator(iterator: Any) -> str:
    """The stream a shard iterator belongs to: iterators read ``<stream-arn>|<n>|<token>``."""
    if iterator is None:
        raise constraint(None, "shardIterator", "Member must not be null")
    if not isinstance(iterator, str):
        raise invalid("Invalid ShardIterator")
    head = iterator.split("|", 1)[0]
    if not _STREAM_ARN.fullmatch(head):
        raise invalid("Invalid ShardIterator")
    return head
