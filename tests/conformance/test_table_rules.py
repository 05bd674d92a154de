"""The control plane's own rules: CreateTable's indexes, UpdateTable, Time to Live and tags.

Every row is DynamoDB's answer as architect/dynalite recorded it against live DynamoDB (its
``test/createTable.js``, ``updateTable.js``, ``updateTimeToLive.js``, ``describeTimeToLive.js``,
``tagResource.js``, ``untagResource.js`` and ``listTagsOfResource.js``, run with REMOTE=1).
``{hash_table}`` is an on-demand table keyed by ``a``; ``{provisioned}`` a provisioned one
(10 read and 5 write units) keyed by ``a``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.conformance.conftest import NOT_FOUND, VALIDATE, Endpoint, Row, check, ids

INVALID = "One or more parameter values were invalid: "
AB = [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]
DEFS = [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}]
PT = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
ALL = {"ProjectionType": "ALL"}
CREATE = "dynalite: test/createTable.js"
UPDATE = "dynalite: test/updateTable.js"
TTL = "dynalite: test/updateTimeToLive.js"
TAGS = "dynalite: test/tagResource.js, untagResource.js, listTagsOfResource.js"
ARN = "arn:aws:dynamodb:{region}:{account}:table/"


def _table(**extra: Any) -> dict[str, Any]:
    """A CreateTable of ``abc`` (a, b) that only ``extra`` makes invalid."""
    return {"TableName": "abc", "AttributeDefinitions": DEFS, "KeySchema": AB, "ProvisionedThroughput": PT, **extra}


def _lsi(name: str = "abc", keys: list[dict[str, str]] | None = None, projection: dict[str, Any] | None = None,
         ) -> dict[str, Any]:
    return {"IndexName": name, "KeySchema": AB if keys is None else keys, "Projection": ALL if projection is None
            else projection}


def _gsi(name: str = "abc", **extra: Any) -> dict[str, Any]:
    return {**_lsi(name, extra.pop("keys", None), extra.pop("projection", None)), "ProvisionedThroughput": PT,
            **extra}


ROWS = [
    Row("extra attribute definition", "CreateTable",
        {**_table(), "KeySchema": [AB[0]]}, 400, VALIDATE,
        INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined in "
        "AttributeDefinitions", CREATE),
    Row("LSI on a table without range key", "CreateTable",
        _table(KeySchema=[AB[0]], LocalSecondaryIndexes=[_lsi(keys=[{"AttributeName": "c", "KeyType": "RANGE"}])]),
        400, VALIDATE, INVALID + "Table KeySchema does not have a range key, which is required when specifying a "
        "LocalSecondaryIndex", CREATE),
    Row("LSI first key not HASH", "CreateTable",
        _table(LocalSecondaryIndexes=[_lsi(keys=[{"AttributeName": "a", "KeyType": "RANGE"}])]), 400, VALIDATE,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type", CREATE),
    Row("LSI without range key", "CreateTable",
        _table(LocalSecondaryIndexes=[_lsi(keys=[{"AttributeName": "b", "KeyType": "HASH"}])]), 400, VALIDATE,
        INVALID + "Index KeySchema does not have a range key for index: abc", CREATE),
    Row("LSI of another hash key", "CreateTable",
        _table(LocalSecondaryIndexes=[_lsi(keys=[{"AttributeName": "b", "KeyType": "HASH"},
                                                 {"AttributeName": "a", "KeyType": "RANGE"}])]), 400, VALIDATE,
        INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for index: abc. "
        "index hash key: b, table hash key: a", CREATE),
    Row("LSI without ProjectionType", "CreateTable", _table(LocalSecondaryIndexes=[_lsi(projection={})]), 400,
        VALIDATE, INVALID + "Unknown ProjectionType: null", CREATE),
    Row("LSI NonKeyAttributes with ALL", "CreateTable",
        _table(LocalSecondaryIndexes=[_lsi(projection={"ProjectionType": "ALL", "NonKeyAttributes": ["a"]})]),
        400, VALIDATE, INVALID + "ProjectionType is ALL, but NonKeyAttributes is specified", CREATE),
    Row("duplicate LSI names", "CreateTable", _table(LocalSecondaryIndexes=[_lsi(), _lsi()]), 400, VALIDATE,
        INVALID + "Duplicate index name: abc", CREATE),
    Row("six LSIs", "CreateTable", _table(LocalSecondaryIndexes=[_lsi(f"ab{c}") for c in "cdefgh"]), 400,
        VALIDATE, INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5", CREATE),
    Row("GSI without range key asks for a projection", "CreateTable",
        _table(GlobalSecondaryIndexes=[_gsi(keys=[{"AttributeName": "b", "KeyType": "HASH"}], projection={})]),
        400, VALIDATE, INVALID + "Unknown ProjectionType: null", CREATE),
    Row("GSI NonKeyAttributes with KEYS_ONLY", "CreateTable",
        _table(GlobalSecondaryIndexes=[_gsi(projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]})]),
        400, VALIDATE, INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified", CREATE),
    Row("21 GSIs", "CreateTable", _table(GlobalSecondaryIndexes=[_gsi(f"abc{i}") for i in range(21)]), 400,
        VALIDATE, INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20", CREATE),
    Row("an LSI and a GSI of one name", "CreateTable",
        _table(LocalSecondaryIndexes=[_lsi()], GlobalSecondaryIndexes=[_gsi()]), 400, VALIDATE,
        INVALID + "Duplicate index name: abc", CREATE),
    Row("GSI throughput on an on-demand table", "CreateTable",
        {"TableName": "abc", "AttributeDefinitions": DEFS, "KeySchema": [AB[0]], "BillingMode": "PAY_PER_REQUEST",
         "GlobalSecondaryIndexes": [_lsi(), _gsi("abd")]}, 400, VALIDATE,
        INVALID + "ProvisionedThroughput should not be specified for index: abd when BillingMode is PAY_PER_REQUEST",
        CREATE),
    Row("nothing to update", "UpdateTable", {"TableName": "abc", "GlobalSecondaryIndexUpdates": []}, 400, VALIDATE,
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
        "SSESpecification or ReplicaUpdates is required", UPDATE),
    Row("index update without throughput", "UpdateTable",
        {"TableName": "abc", "GlobalSecondaryIndexUpdates": [{"Update": {}}]}, 400, VALIDATE,
        ("Value null at 'globalSecondaryIndexUpdates.1.member.update.indexName' failed to satisfy constraint: "
         "Member must not be null",
         "Value null at 'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput' failed to satisfy "
         "constraint: Member must not be null"), UPDATE),
    Row("empty index update", "UpdateTable", {"TableName": "abc", "GlobalSecondaryIndexUpdates": [{}]}, 400,
        VALIDATE, INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
        "GlobalSecondaryIndexUpdate.Delete must not be null", UPDATE),
    Row("one index twice", "UpdateTable",
        {"TableName": "abc", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "abc"}}] * 2}, 400, VALIDATE,
        INVALID + "Only one global secondary index update per index is allowed simultaneously. Index: abc", UPDATE),
    Row("throughput out of bounds", "UpdateTable",
        {"TableName": "abc", "ProvisionedThroughput": {"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1}},
        400, VALIDATE, "Given value 1000000000001 for ReadCapacityUnits is out of bounds", UPDATE),
    Row("index of a missing table", "UpdateTable",
        {"TableName": "conformance_missing", "GlobalSecondaryIndexUpdates": [
            {"Update": {"IndexName": "abc", "ProvisionedThroughput": PT}}]}, 400, NOT_FOUND,
        "Requested resource not found: Table: conformance_missing not found", UPDATE),
    Row("missing index", "UpdateTable",
        {"TableName": "{provisioned}", "GlobalSecondaryIndexUpdates": [
            {"Update": {"IndexName": "abc", "ProvisionedThroughput": PT}}]}, 400, VALIDATE,
        "This operation cannot be performed with given input values. Please contact DynamoDB service team for more "
        "info: Action Blocked: IndexUpdate", UPDATE),
    Row("two index deletions", "UpdateTable",
        {"TableName": "{provisioned}", "GlobalSecondaryIndexUpdates": [
            {"Delete": {"IndexName": "abc"}}, {"Delete": {"IndexName": "abd"}}]}, 400,
        "com.amazonaws.dynamodb.v20120810#LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table", UPDATE),
    Row("throughput of an on-demand table", "UpdateTable", {"TableName": "{hash_table}", "ProvisionedThroughput": PT},
        400, VALIDATE, INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode "
        "is PAY_PER_REQUEST", UPDATE),
    Row("PROVISIONED without throughput", "UpdateTable", {"TableName": "{hash_table}", "BillingMode": "PROVISIONED"},
        400, VALIDATE, INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED", UPDATE),
    Row("the same throughput", "UpdateTable",
        {"TableName": "{provisioned}", "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}},
        400, VALIDATE, "The provisioned throughput for the table will not change. The requested value equals the "
        "current value. Current ReadCapacityUnits provisioned for the table: 10. Requested ReadCapacityUnits: 10. "
        "Current WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. Refer to the "
        "Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", UPDATE),
    Row("TTL: only the name's pattern", "UpdateTimeToLive", {"TableName": "abc;"}, 400, VALIDATE,
        "1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [a-zA-Z0-9_.-]+", TTL),
    Row("TTL: empty attribute name", "UpdateTimeToLive",
        {"TableName": "abc", "TimeToLiveSpecification": {"AttributeName": "", "Enabled": True}}, 400, VALIDATE,
        "TimeToLiveSpecification.AttributeName must be non empty", TTL),
    Row("TTL: missing table", "UpdateTimeToLive",
        {"TableName": "conformance_missing", "TimeToLiveSpecification": {"AttributeName": "id", "Enabled": True}},
        400, NOT_FOUND, "Requested resource not found: Table: conformance_missing not found", TTL),
    Row("TTL: describe a missing table", "DescribeTimeToLive", {"TableName": "conformance_missing"}, 400, NOT_FOUND,
        "Requested resource not found: Table: conformance_missing not found", "dynalite: test/describeTimeToLive.js"),
    Row("TTL: disable a disabled TTL", "UpdateTimeToLive",
        {"TableName": "{hash_table}", "TimeToLiveSpecification": {"AttributeName": "a", "Enabled": False}}, 400,
        VALIDATE, "TimeToLive is already disabled", TTL),
    Row("tags: no ResourceArn", "TagResource", {}, 400, VALIDATE, "Invalid TableArn", TAGS),
    Row("tags: no Tags", "TagResource", {"ResourceArn": "a:b:c:d:e:f/g"}, 400, VALIDATE,
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        TAGS),
    Row("tags: not a table ARN", "UntagResource", {"ResourceArn": "a:b:c:d:e:f/g", "TagKeys": []}, 400, VALIDATE,
        "Invalid TableArn: Invalid ResourceArn provided as input a:b:c:d:e:f/g", TAGS),
    Row("tags: a too short table name", "ListTagsOfResource", {"ResourceArn": ARN + "ab"}, 400, VALIDATE,
        "Invalid TableArn: Invalid ResourceArn provided as input " + ARN + "ab", TAGS),
    Row("tags: no tag", "TagResource", {"ResourceArn": ARN + "conformance_missing", "Tags": []}, 400, VALIDATE,
        "Atleast one Tag needs to be provided as Input.", TAGS),
    Row("tags: no tag key", "UntagResource", {"ResourceArn": ARN + "conformance_missing", "TagKeys": []}, 400,
        VALIDATE, "Atleast one Tag Key needs to be provided as Input.", TAGS),
    Row("tags: a missing table", "TagResource",
        {"ResourceArn": ARN + "conformance_missing", "Tags": [{"Key": "a", "Value": "b"}]}, 400, NOT_FOUND,
        "Requested resource not found: ResourcArn: " + ARN + "conformance_missing not found", TAGS),
    Row("untag: a missing table", "UntagResource", {"ResourceArn": ARN + "conformance_missing", "TagKeys": ["a"]},
        400, NOT_FOUND, "Requested resource not found", TAGS),
]


@pytest.fixture(scope="module")
def provisioned(endpoint: Endpoint) -> str:
    return endpoint.create_table(AttributeDefinitions=[DEFS[0]], KeySchema=[AB[0]], BillingMode="PROVISIONED",
                                 ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_table_rules(row: Row, endpoint: Endpoint, hash_table: str, provisioned: str,
                     request: pytest.FixtureRequest) -> None:
    account = "000000000000"
    if not endpoint.local:
        account = endpoint.client().describe_table(TableName=hash_table)["Table"]["TableArn"].split(":")[4]
    names = {"hash_table": hash_table, "provisioned": provisioned, "region": endpoint.region, "account": account}
    if isinstance(row.message, str):  # the ARN in a message is the one sent
        row = dataclasses.replace(row, message=row.message.format(**names))
    check(endpoint, row, request, names)


def test_throughput_change_history(endpoint: Endpoint) -> None:
    """UpdateTable answers UPDATING with the units the table still has and the time of the
    request as its last increase; once ACTIVE the table has the new units and a later increase
    time; a decrease counts in NumberOfDecreasesToday once done (API Reference
    "ProvisionedThroughputDescription"; dynalite test/updateTable.js, recorded live)."""
    name = endpoint.create_table(AttributeDefinitions=[DEFS[0]], KeySchema=[AB[0]], BillingMode="PROVISIONED",
                                 ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
    client = endpoint.client()
    answer = client.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 30,
                                                                        "WriteCapacityUnits": 15})["TableDescription"]
    units = answer["ProvisionedThroughput"]
    assert answer["TableStatus"] == "UPDATING"
    assert (units["ReadCapacityUnits"], units["WriteCapacityUnits"]) == (10, 5)
    decreases, asked = units["NumberOfDecreasesToday"], units["LastIncreaseDateTime"]
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    units = client.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (units["ReadCapacityUnits"], units["WriteCapacityUnits"]) == (30, 15)
    assert units["LastIncreaseDateTime"] > asked
    answer = client.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10,
                                                                        "WriteCapacityUnits": 5})["TableDescription"]
    assert answer["ProvisionedThroughput"]["NumberOfDecreasesToday"] == decreases
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    units = client.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (units["ReadCapacityUnits"], units["WriteCapacityUnits"]) == (10, 5)
    assert units["NumberOfDecreasesToday"] == decreases + 1
    assert units["LastDecreaseDateTime"] > answer["ProvisionedThroughput"]["LastDecreaseDateTime"]
