"""Tags a table may not hold (more than 50, characters outside DynamoDB's set), and the listing.

Sources: ``dg-tagging`` = Developer Guide, "Tagging restrictions in DynamoDB" (50 tags per
resource; letters, whitespace, numbers and ``+ - = . _ : /``); ``alternator`` = ScyllaDB's
Alternator tests, written and checked against real DynamoDB (test/alternator/test_tag.py).
Each refusal is a ``ValidationException`` and changes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.conftest import Endpoint


def _tags(keys: range) -> list[dict[str, str]]:
    return [{"Key": str(i), "Value": str(i)} for i in keys]


def _held(client: Any, arn: str) -> dict[str, str]:
    pages = client.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn)
    return {tag["Key"]: tag["Value"] for page in pages for tag in page["Tags"]}


def test_a_table_holds_at_most_50_tags(endpoint: Endpoint) -> None:
    """30, then 20 more of which 10 are new (40 held), then 20 new ones (60) is refused
    (alternator: test_tag_resource_incorrect; dg-tagging)."""
    client = endpoint.client()
    table = endpoint.create_table(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}])
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=_tags(range(30)))
    client.tag_resource(ResourceArn=arn, Tags=_tags(range(20, 40)))
    listed = client.list_tags_of_resource(ResourceArn=arn)
    assert len(listed["Tags"]) == 40 and "NextToken" not in listed  # all at once, as DynamoDB lists them
    with pytest.raises(ClientError) as caught:
        client.tag_resource(ResourceArn=arn, Tags=_tags(range(40, 60)))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert len(_held(client, arn)) == 40


@pytest.mark.parametrize("text", ["hi!", "d%g", '"hello"', "<><"])
@pytest.mark.parametrize("member", ["Key", "Value"])
def test_tags_hold_only_dynamodbs_characters(endpoint: Endpoint, hash_table: str, member: str, text: str) -> None:
    """alternator: test_tag_forbidden_chars; dg-tagging."""
    client = endpoint.client()
    arn = client.describe_table(TableName=hash_table)["Table"]["TableArn"]
    tag = {"Key": "dog", "Value": "dog", member: text}
    with pytest.raises(ClientError) as caught:
        client.tag_resource(ResourceArn=arn, Tags=[tag])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert tag["Key"] not in _held(client, arn)


def test_a_table_created_with_100_tags_is_not_created(endpoint: Endpoint) -> None:
    """alternator: test_too_long_tags_from_creation; dg-tagging."""
    client = endpoint.client()
    name = f"conformance_{secrets.token_hex(6)}"
    with pytest.raises(ClientError) as caught:
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}], Tags=_tags(range(100)))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        client.describe_table(TableName=name)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
