"""Table-level answers: index ARNs, tags, and write capacity by item size.

Sources: API Reference, GlobalSecondaryIndexDescription / LocalSecondaryIndexDescription
(``IndexArn``); Developer Guide, "Tagging restrictions in DynamoDB" ("If you try to add an existing
tag (same key), the existing tag value will be updated to the new value"); Developer Guide,
"Read/write capacity mode" ("One write capacity unit represents one write per second for an item
up to 1 KB in size"; larger items take more units, rounded up) and "Item sizes and formats".
"""

from __future__ import annotations

import secrets

from tests.conformance.conftest import Endpoint


def test_index_descriptions_carry_their_arn(endpoint: Endpoint) -> None:
    name = endpoint.create_table(
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "c")],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "local", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                                              {"AttributeName": "c", "KeyType": "RANGE"}]}],
        GlobalSecondaryIndexes=[{"IndexName": "global", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}]}],
    )
    table = endpoint.client().describe_table(TableName=name)["Table"]
    assert [i["IndexArn"] for i in table["LocalSecondaryIndexes"]] == [table["TableArn"] + "/index/local"]
    assert [i["IndexArn"] for i in table["GlobalSecondaryIndexes"]] == [table["TableArn"] + "/index/global"]


def test_tagging_an_existing_key_replaces_its_value(endpoint: Endpoint, hash_table: str) -> None:
    client = endpoint.client()
    arn = client.describe_table(TableName=hash_table)["Table"]["TableArn"]
    key = "k" + secrets.token_hex(4)
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": "1"}])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": "2"}])
    tags = [tag for tag in client.list_tags_of_resource(ResourceArn=arn)["Tags"] if tag["Key"] == key]
    assert tags == [{"Key": key, "Value": "2"}]


def test_an_item_just_over_1_kb_takes_two_write_units(endpoint: Endpoint, hash_table: str) -> None:
    """Size = attribute names + values: ``a`` + 8-byte key + ``s`` + 1,015 bytes = 1,025 bytes (1,024 is one unit)."""
    client = endpoint.client()
    answer = client.put_item(TableName=hash_table, Item={"a": {"S": "wcu-" + secrets.token_hex(2)},
                                                         "s": {"S": "x" * 1015}}, ReturnConsumedCapacity="TOTAL")
    assert answer["ConsumedCapacity"]["CapacityUnits"] == 2.0
    at_limit = client.put_item(TableName=hash_table, Item={"a": {"S": "wcu-" + secrets.token_hex(2)},
                                                           "s": {"S": "x" * 1014}}, ReturnConsumedCapacity="TOTAL")
    assert at_limit["ConsumedCapacity"]["CapacityUnits"] == 1.0
