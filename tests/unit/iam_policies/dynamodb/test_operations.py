"""Each operation family: the action, resource and context derived from a request.

Expected values follow fgac-semantics.md A.2-A.4 (section cited per row group); the contexts are
written out in full so a reader sees exactly what the evaluator gets.
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_policies.authorization import Authorization
from iam_policies.dynamodb import derive
from iam_policies.schema import IndexSchema, TableSchema

REGION, ACCOUNT = "us-east-1", "000000000000"
ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
NOTES = TableSchema(
    "Notes",
    "owner",
    "noteId",
    {
        "byOwnerUpdated": IndexSchema("byOwnerUpdated", "LSI", "owner", "updatedAt"),
        "byPublic": IndexSchema("byPublic", "GSI", "visibility", "updatedAt", "INCLUDE", ("title",)),
    },
)
THREAD = TableSchema("Thread", "ID")
BLOBS = TableSchema("Blobs", "digest")
SCHEMAS = {schema.name: schema for schema in (NOTES, THREAD, BLOBS)}
ALICE = {"owner": {"S": "alice"}, "noteId": {"S": "n1"}}
BOB = {"owner": {"S": "bob"}, "noteId": {"S": "b1"}}


def run(operation: str, params: dict[str, Any]) -> list[Authorization]:
    return derive(operation, params, schemas=SCHEMAS, region=REGION, account=ACCOUNT)


def ctx(leading: list[str] | None = None, attributes: list[str] | None = None, **keys: str) -> dict[str, Any]:
    """A full expected context: LeadingKeys and its alias, Attributes, the named keys, the region."""
    context: dict[str, Any] = {}
    if leading is not None:
        context["dynamodb:LeadingKeys"] = leading
        context["dynamodb:FirstPartitionKeyValues"] = leading
    if attributes is not None:
        context["dynamodb:Attributes"] = attributes
    names = {"select": "Select", "rv": "ReturnValues", "rcc": "ReturnConsumedCapacity",
             "enclosing": "EnclosingOperation", "scan": "FullTableScan"}
    for key, value in keys.items():
        context[f"dynamodb:{names[key]}"] = value
    context["aws:RequestedRegion"] = REGION
    return context


def one(action: str, resource: str, context: dict[str, Any]) -> list[Authorization]:
    return [Authorization(f"dynamodb:{action}", resource, context)]


# -- single-item actions (A.4 LeadingKeys/Attributes/Select/ReturnValues) --------------------
SINGLE_ITEM = [
    pytest.param("GetItem", {"TableName": "Notes", "Key": ALICE},
                 one("GetItem", f"{ARN}/Notes", ctx(["alice"], ["noteId", "owner"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="GetItem without projection reads all attributes"),
    pytest.param("GetItem", {"TableName": "Notes", "Key": ALICE, "ProjectionExpression": "#t, body.snippet",
                             "ExpressionAttributeNames": {"#t": "title"}, "ReturnConsumedCapacity": "INDEXES"},
                 one("GetItem", f"{ARN}/Notes",
                     ctx(["alice"], ["body", "noteId", "owner", "title"], select="SPECIFIC_ATTRIBUTES", rcc="INDEXES")),
                 id="GetItem projection gives SPECIFIC_ATTRIBUTES and resolved top-level names"),
    pytest.param("GetItem", {"TableName": "Notes", "Key": ALICE, "AttributesToGet": ["title", "adminFlag"]},
                 one("GetItem", f"{ARN}/Notes",
                     ctx(["alice"], ["adminFlag", "noteId", "owner", "title"], select="SPECIFIC_ATTRIBUTES", rcc="NONE")),
                 id="legacy AttributesToGet counts like a projection"),
    pytest.param("GetItem", {"TableName": f"{ARN}/Notes", "Key": ALICE},
                 one("GetItem", f"{ARN}/Notes", ctx(["alice"], ["noteId", "owner"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="TableName given as this account's table ARN"),
    pytest.param("GetItem", {"TableName": "arn:aws:dynamodb:eu-west-1:111122223333:table/Notes", "Key": ALICE},
                 one("GetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/Notes",
                     ctx(["alice"], ["noteId", "owner"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="another account's table ARN is authorised against that ARN"),
    pytest.param("GetItem", {"TableName": "Thread", "Key": {"ID": {"N": "1.010E2"}}},
                 one("GetItem", f"{ARN}/Thread", ctx(["101"], ["ID"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="number keys are written canonically"),
    pytest.param("GetItem", {"TableName": "Blobs", "Key": {"digest": {"B": "AAEC"}}},
                 one("GetItem", f"{ARN}/Blobs", ctx(["AAEC"], ["digest"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="binary keys are written as base64"),
    pytest.param("PutItem", {"TableName": "Notes", "Item": {**ALICE, "title": {"S": "t"}}, "ReturnValues": "ALL_OLD",
                             "ConditionExpression": "attribute_not_exists(adminFlag)"},
                 one("PutItem", f"{ARN}/Notes",
                     ctx(["alice"], ["adminFlag", "noteId", "owner", "title"], rv="ALL_OLD", rcc="NONE")),
                 id="PutItem: item names plus condition names"),
    pytest.param("PutItem", {"TableName": "Notes", "Item": ALICE, "Expected": {"internalScore": {"Exists": False}}},
                 one("PutItem", f"{ARN}/Notes", ctx(["alice"], ["internalScore", "noteId", "owner"], rv="NONE", rcc="NONE")),
                 id="legacy Expected names count"),
    pytest.param("UpdateItem", {"TableName": "Notes", "Key": ALICE, "UpdateExpression": "SET title = adminFlag"},
                 one("UpdateItem", f"{ARN}/Notes", ctx(["alice"], ["adminFlag", "noteId", "owner", "title"], rv="NONE", rcc="NONE")),
                 id="UpdateItem SET operand is an attribute of the request"),
    pytest.param("UpdateItem", {"TableName": "Notes", "Key": ALICE, "UpdateExpression": "SET title = :t",
                                "ConditionExpression": "title = :w", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                                "ExpressionAttributeValues": {":t": {"S": "a"}, ":w": {"S": "b"}}},
                 one("UpdateItem", f"{ARN}/Notes", ctx(["alice"], ["noteId", "owner", "title"], rv="ALL_OLD", rcc="NONE")),
                 id="ReturnValuesOnConditionCheckFailure ALL_OLD counts as ReturnValues ALL_OLD"),
    pytest.param("UpdateItem", {"TableName": "Notes", "Key": ALICE, "UpdateExpression": "SET title = :t",
                                "ReturnValues": "UPDATED_NEW", "ExpressionAttributeValues": {":t": {"S": "a"}}},
                 one("UpdateItem", f"{ARN}/Notes", ctx(["alice"], ["noteId", "owner", "title"], rv="UPDATED_NEW", rcc="NONE")),
                 id="UpdateItem ReturnValues as sent"),
    pytest.param("UpdateItem", {"TableName": "Notes", "Key": ALICE,
                                "AttributeUpdates": {"adminFlag": {"Action": "PUT", "Value": {"BOOL": True}}},
                                "Expected": {"internalScore": {"Value": {"N": "7"}}}},
                 one("UpdateItem", f"{ARN}/Notes",
                     ctx(["alice"], ["adminFlag", "internalScore", "noteId", "owner"], rv="NONE", rcc="NONE")),
                 id="legacy AttributeUpdates and Expected names count"),
    pytest.param("DeleteItem", {"TableName": "Notes", "Key": BOB},
                 one("DeleteItem", f"{ARN}/Notes", ctx(["bob"], ["noteId", "owner"], rv="NONE", rcc="NONE")),
                 id="DeleteItem: key names, ReturnValues NONE by default"),
]


@pytest.mark.parametrize(("operation", "params", "expected"), SINGLE_ITEM)
def test_single_item_actions(operation: str, params: dict[str, Any], expected: list[Authorization]) -> None:
    assert run(operation, params) == expected


# -- Query and Scan (A.3 index ARNs, A.4 Select defaults, G-3) -------------------------------
READS = [
    pytest.param("Query", {"TableName": "Notes", "KeyConditionExpression": "#o = :o", "ProjectionExpression": "title",
                           "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "alice"}}},
                 one("Query", f"{ARN}/Notes", ctx(["alice"], ["owner", "title"], select="SPECIFIC_ATTRIBUTES", rcc="NONE")),
                 id="Query: partition equality value is LeadingKeys"),
    pytest.param("Query", {"TableName": "Notes", "KeyConditionExpression": "#o = :o",
                           "ExclusiveStartKey": BOB, "Select": "COUNT",
                           "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "alice"}}},
                 one("Query", f"{ARN}/Notes", ctx(["alice", "bob"], ["owner"], select="COUNT", rcc="NONE")),
                 id="Query: ExclusiveStartKey's partition joins LeadingKeys"),
    pytest.param("Query", {"TableName": "Notes", "IndexName": "byPublic", "KeyConditionExpression": "visibility = :v",
                           "ExpressionAttributeValues": {":v": {"S": "public"}}},
                 one("Query", f"{ARN}/Notes/index/byPublic",
                     ctx(["public"], ["visibility"], select="ALL_PROJECTED_ATTRIBUTES", rcc="NONE")),
                 id="Query on a GSI: index ARN, index partition value, ALL_PROJECTED by default"),
    pytest.param("Query", {"TableName": "Notes", "IndexName": "byOwnerUpdated",
                           "KeyConditionExpression": "#o = :o AND updatedAt > :t", "Select": "ALL_ATTRIBUTES",
                           "ExpressionAttributeNames": {"#o": "owner"},
                           "ExpressionAttributeValues": {":o": {"S": "alice"}, ":t": {"S": "2024"}}},
                 one("Query", f"{ARN}/Notes/index/byOwnerUpdated",
                     ctx(["alice"], ["owner", "updatedAt"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="Query on an LSI may ask for ALL_ATTRIBUTES"),
    pytest.param("Query", {"TableName": "Notes", "IndexName": "byPublic", "KeyConditionExpression": "visibility = :v",
                           "Select": "ALL_ATTRIBUTES", "ExpressionAttributeValues": {":v": {"S": "public"}}},
                 one("Query", f"{ARN}/Notes/index/byPublic",
                     ctx(["public"], ["visibility"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="Query asking a GSI for ALL_ATTRIBUTES is left to the policy (S1 Example 5)"),
    pytest.param("Query", {"TableName": "Notes", "KeyConditions": {
                               "owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "alice"}]}},
                           "AttributesToGet": ["title"],
                           "QueryFilter": {"internalScore": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]}}},
                 one("Query", f"{ARN}/Notes",
                     ctx(["alice"], ["internalScore", "owner", "title"], select="SPECIFIC_ATTRIBUTES", rcc="NONE")),
                 id="legacy KeyConditions, AttributesToGet and QueryFilter"),
    pytest.param("Scan", {"TableName": "Notes", "FilterExpression": "#o = :o",
                          "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": "alice"}}},
                 one("Scan", f"{ARN}/Notes", ctx(None, ["owner"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="Scan never carries LeadingKeys, even filtering on the key"),
    pytest.param("Scan", {"TableName": "Notes", "IndexName": "byOwnerUpdated", "Segment": 0, "TotalSegments": 4},
                 one("Scan", f"{ARN}/Notes/index/byOwnerUpdated", ctx(None, [], select="ALL_PROJECTED_ATTRIBUTES", rcc="NONE")),
                 id="Scan on an index: index ARN"),
    pytest.param("Scan", {"TableName": "Notes", "ScanFilter": {"adminFlag": {"ComparisonOperator": "NOT_NULL"}}},
                 one("Scan", f"{ARN}/Notes", ctx(None, ["adminFlag"], select="ALL_ATTRIBUTES", rcc="NONE")),
                 id="legacy ScanFilter names count"),
]


@pytest.mark.parametrize(("operation", "params", "expected"), READS)
def test_reads(operation: str, params: dict[str, Any], expected: list[Authorization]) -> None:
    assert run(operation, params) == expected


# -- batches (A.3: once per table, union context) and transactions (per member) -------------
def test_batch_get_item_is_authorised_once_per_table_in_request_order() -> None:
    got = run("BatchGetItem", {
        "RequestItems": {
            "Thread": {"Keys": [{"ID": {"N": "2"}}, {"ID": {"N": "1"}}]},
            "Notes": {"Keys": [ALICE, BOB], "ProjectionExpression": "title"},
        },
        "ReturnConsumedCapacity": "TOTAL",
    })
    assert got == [
        Authorization("dynamodb:BatchGetItem", f"{ARN}/Thread",
                      ctx(["1", "2"], ["ID"], select="ALL_ATTRIBUTES", rcc="TOTAL")),
        Authorization("dynamodb:BatchGetItem", f"{ARN}/Notes",
                      ctx(["alice", "bob"], ["noteId", "owner", "title"], select="SPECIFIC_ATTRIBUTES", rcc="TOTAL")),
    ]


def test_batch_write_item_unions_puts_and_deletes_of_a_table() -> None:
    got = run("BatchWriteItem", {"RequestItems": {"Notes": [
        {"PutRequest": {"Item": {**ALICE, "title": {"S": "x"}}}},
        {"DeleteRequest": {"Key": BOB}},
    ]}})
    assert got == one("BatchWriteItem", f"{ARN}/Notes", ctx(["alice", "bob"], ["noteId", "owner", "title"], rcc="NONE"))


def test_transact_get_items_is_a_get_item_per_member() -> None:
    got = run("TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "Notes", "Key": ALICE, "ProjectionExpression": "title"}},
        {"Get": {"TableName": "Thread", "Key": {"ID": {"N": "7"}}}},
    ]})
    assert got == [
        Authorization("dynamodb:GetItem", f"{ARN}/Notes", ctx(["alice"], ["noteId", "owner", "title"],
                      select="SPECIFIC_ATTRIBUTES", enclosing="TransactGetItems", rcc="NONE")),
        Authorization("dynamodb:GetItem", f"{ARN}/Thread", ctx(["7"], ["ID"], select="ALL_ATTRIBUTES",
                      enclosing="TransactGetItems", rcc="NONE")),
    ]


def test_transact_write_items_authorises_each_member_as_its_item_action() -> None:
    got = run("TransactWriteItems", {"ReturnConsumedCapacity": "TOTAL", "TransactItems": [
        {"Put": {"TableName": "Thread", "Item": {"ID": {"N": "1"}, "Message": {"S": "m"}}}},
        {"Update": {"TableName": "Notes", "Key": ALICE, "UpdateExpression": "SET title = :t",
                    "ExpressionAttributeValues": {":t": {"S": "x"}}}},
        {"Delete": {"TableName": "Thread", "Key": {"ID": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ConditionExpression": "attribute_exists(ID)"}},
        {"ConditionCheck": {"TableName": "Notes", "Key": BOB, "ConditionExpression": "attribute_exists(#o)",
                            "ExpressionAttributeNames": {"#o": "owner"}}},
    ]})
    enclosing = "TransactWriteItems"
    assert got == [
        Authorization("dynamodb:PutItem", f"{ARN}/Thread",
                      ctx(["1"], ["ID", "Message"], rv="NONE", enclosing=enclosing, rcc="TOTAL")),
        Authorization("dynamodb:UpdateItem", f"{ARN}/Notes",
                      ctx(["alice"], ["noteId", "owner", "title"], rv="NONE", enclosing=enclosing, rcc="TOTAL")),
        Authorization("dynamodb:DeleteItem", f"{ARN}/Thread",
                      ctx(["2"], ["ID"], rv="ALL_OLD", enclosing=enclosing, rcc="TOTAL")),
        Authorization("dynamodb:ConditionCheckItem", f"{ARN}/Notes",
                      ctx(["bob"], ["noteId", "owner"], enclosing=enclosing, rcc="TOTAL")),
    ]


# -- PartiQL (A.3, A.4 FullTableScan per S5, G-6) ------------------------------------------
PARTIQL = [
    pytest.param('SELECT * FROM "Notes"', [], "PartiQLSelect", f"{ARN}/Notes", ctx(scan="true"),
                 id="no WHERE is a full scan"),
    pytest.param("SELECT * FROM Notes WHERE \"owner\" = 'alice'", [], "PartiQLSelect", f"{ARN}/Notes",
                 ctx(["alice"], scan="false"), id="partition equality is no scan"),
    pytest.param("SELECT * FROM \"Notes\" WHERE \"owner\" = 'alice' AND title = 'x'", [], "PartiQLSelect",
                 f"{ARN}/Notes", ctx(["alice"], scan="false"), id="equality AND anything is no scan"),
    pytest.param("SELECT * FROM \"Notes\" WHERE \"owner\" = 'a' OR \"owner\" = 'b'", [], "PartiQLSelect",
                 f"{ARN}/Notes", ctx(["a", "b"], scan="false"), id="equality OR equality is no scan"),
    pytest.param("SELECT * FROM \"Notes\" WHERE \"owner\" IN ['a', ?]", [{"S": "b"}], "PartiQLSelect",
                 f"{ARN}/Notes", ctx(["a", "b"], scan="false"), id="IN with a parameter is no scan"),
    pytest.param("SELECT * FROM \"Notes\" WHERE \"owner\" > 'a'", [], "PartiQLSelect", f"{ARN}/Notes",
                 ctx(scan="true"), id="range on the key is a full scan"),
    pytest.param("SELECT * FROM \"Notes\" WHERE \"owner\" = 'a' OR title = 'x'", [], "PartiQLSelect",
                 f"{ARN}/Notes", ctx(scan="true"), id="equality OR non-key is a full scan"),
    pytest.param("SELECT title, body.text FROM \"Notes\" WHERE \"owner\" = ?", [{"S": "bob"}], "PartiQLSelect",
                 f"{ARN}/Notes", ctx(["bob"], ["body", "owner", "title"], scan="false"),
                 id="a column list names Attributes"),
    pytest.param("SELECT * FROM \"Notes\".\"byPublic\" WHERE visibility = 'public'", [], "PartiQLSelect",
                 f"{ARN}/Notes/index/byPublic", ctx(["public"], scan="false"), id="index SELECT uses the index key"),
    pytest.param("INSERT INTO \"Notes\" VALUE {'owner': ?, 'noteId': 'n9', 'adminFlag': true}", [{"S": "alice"}],
                 "PartiQLInsert", f"{ARN}/Notes", ctx(["alice"], ["adminFlag", "noteId", "owner"]),
                 id="INSERT: the item's names and partition value"),
    pytest.param("UPDATE \"Notes\" SET title = 'x' REMOVE adminFlag WHERE \"owner\" = 'alice' AND noteId = 'n1' "
                 "RETURNING ALL NEW *", [], "PartiQLUpdate", f"{ARN}/Notes",
                 ctx(["alice"], ["adminFlag", "noteId", "owner", "title"], rv="ALL_NEW"),
                 id="UPDATE: SET/REMOVE/WHERE names, RETURNING as ReturnValues"),
    pytest.param("DELETE FROM \"Notes\" WHERE \"owner\" = 'bob' AND noteId = 'b1'", [], "PartiQLDelete",
                 f"{ARN}/Notes", ctx(["bob"], ["noteId", "owner"]), id="DELETE: WHERE names"),
]


@pytest.mark.parametrize(("statement", "parameters", "action", "resource", "context"), PARTIQL)
def test_partiql_statement(statement: str, parameters: list[Any], action: str, resource: str,
                           context: dict[str, Any]) -> None:
    params: dict[str, Any] = {"Statement": statement}
    if parameters:
        params["Parameters"] = parameters
    assert run("ExecuteStatement", params) == one(action, resource, context)


def test_execute_transaction_exists_check_and_parameter_item() -> None:
    got = run("ExecuteTransaction", {"TransactStatements": [
        {"Statement": 'EXISTS(SELECT * FROM "Notes" WHERE "owner" = ? AND noteId = ?)',
         "Parameters": [{"S": "bob"}, {"S": "b1"}]},
        {"Statement": 'INSERT INTO "Notes" VALUE ?',
         "Parameters": [{"M": {"owner": {"S": "alice"}, "noteId": {"S": "n2"}, "title": {"S": "t"}}}]},
    ]})
    assert got == [
        Authorization("dynamodb:PartiQLSelect", f"{ARN}/Notes",
                      ctx(["bob"], enclosing="ExecuteTransaction", scan="false")),
        Authorization("dynamodb:PartiQLInsert", f"{ARN}/Notes",
                      ctx(["alice"], ["noteId", "owner", "title"], enclosing="ExecuteTransaction")),
    ]


def test_execute_transaction_sets_enclosing_operation_and_batch_does_not() -> None:
    statements = [{"Statement": "SELECT * FROM \"Notes\" WHERE \"owner\" = 'alice'"},
                  {"Statement": "DELETE FROM \"Thread\" WHERE ID = 3"}]
    transaction = run("ExecuteTransaction", {"TransactStatements": statements})
    batch = run("BatchExecuteStatement", {"Statements": statements})
    assert [a.context.get("dynamodb:EnclosingOperation") for a in transaction] == ["ExecuteTransaction"] * 2
    assert [a.context.get("dynamodb:EnclosingOperation") for a in batch] == [None, None]
    assert [a.action for a in batch] == ["dynamodb:PartiQLSelect", "dynamodb:PartiQLDelete"]
    assert batch[1].context["dynamodb:LeadingKeys"] == ["3"]


# -- control plane and streams (A.2: resource only) ------------------------------------------
STREAM = f"{ARN}/Notes/stream/2024-01-01T00:00:00.000"
CONTROL = [
    ("DescribeTable", {"TableName": "Notes"}, f"{ARN}/Notes"),
    ("CreateTable", {"TableName": "NewTable", "KeySchema": []}, f"{ARN}/NewTable"),
    ("UpdateTable", {"TableName": "Notes"}, f"{ARN}/Notes"),
    ("DeleteTable", {"TableName": "Notes"}, f"{ARN}/Notes"),
    ("DescribeTimeToLive", {"TableName": "Notes"}, f"{ARN}/Notes"),
    ("UpdateTimeToLive", {"TableName": "Notes", "TimeToLiveSpecification": {}}, f"{ARN}/Notes"),
    ("DescribeContinuousBackups", {"TableName": "Notes"}, f"{ARN}/Notes"),
    ("TagResource", {"ResourceArn": f"{ARN}/Notes", "Tags": []}, f"{ARN}/Notes"),
    ("UntagResource", {"ResourceArn": f"{ARN}/Notes", "TagKeys": []}, f"{ARN}/Notes"),
    ("ListTagsOfResource", {"ResourceArn": f"{ARN}/Notes"}, f"{ARN}/Notes"),
    ("PutResourcePolicy", {"ResourceArn": f"{ARN}/Notes", "Policy": "{}"}, f"{ARN}/Notes"),
    ("CreateBackup", {"TableName": "Notes", "BackupName": "b"}, f"{ARN}/Notes"),
    ("DescribeBackup", {"BackupArn": f"{ARN}/Notes/backup/01"}, f"{ARN}/Notes/backup/01"),
    ("ExportTableToPointInTime", {"TableArn": f"{ARN}/Notes", "S3Bucket": "b"}, f"{ARN}/Notes"),
    ("DescribeGlobalTable", {"GlobalTableName": "Notes"}, f"arn:aws:dynamodb::{ACCOUNT}:global-table/Notes"),
    ("ListTables", {}, "*"),
    ("DescribeLimits", {}, "*"),
    ("DescribeEndpoints", {}, "*"),
    ("ListStreams", {"TableName": "Notes"}, "*"),
    ("DescribeStream", {"StreamArn": STREAM}, STREAM),
    ("GetShardIterator", {"StreamArn": STREAM, "ShardId": "s", "ShardIteratorType": "LATEST"}, STREAM),
    ("GetRecords", {"ShardIterator": f"{STREAM}|1|c2VjcmV0"}, STREAM),
]


@pytest.mark.parametrize(("operation", "params", "resource"), CONTROL, ids=[row[0] for row in CONTROL])
def test_control_plane_and_streams_carry_no_dynamodb_keys(operation: str, params: dict[str, Any], resource: str) -> None:
    assert run(operation, params) == one(operation, resource, ctx())


def test_schemas_may_be_a_lookup_function() -> None:
    looked_up: list[str] = []

    def schemas(name: str) -> TableSchema | None:
        looked_up.append(name)
        return SCHEMAS.get(name)

    got = derive("GetItem", {"TableName": "Notes", "Key": ALICE}, schemas=schemas, region=REGION, account=ACCOUNT,
                 partition="aws-cn")
    assert got[0].resource == "arn:aws-cn:dynamodb:us-east-1:000000000000:table/Notes"
    assert looked_up == ["Notes"]
