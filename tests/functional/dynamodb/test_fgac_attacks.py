"""Attack cases of layer ``fgac`` (shared/spec/attack-cases.json) on the running stack, with the
reference policy P1 on our own role (conftest). Each denial is AWS's AccessDeniedException (HTTP
400, one attempt) and the table is read back afterwards: nothing written, nothing leaked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.dynamodb.conftest import Fgac

Call = Callable[[Fgac, Any], Any]


def _get(owner: str, note: str, **kw: Any) -> Call:
    return lambda f, db: db.get_item(TableName=f.table, Key=f.key(_sub(f, owner), note), **kw)


def _sub(f: Fgac, who: str) -> str:
    return {"alice": f.alice_sub, "bob": f.bob_sub}.get(who, who)


def _query(**kw: Any) -> Call:
    def call(f: Fgac, db: Any) -> Any:
        values = {k: ({"S": _sub(f, v["S"])} if "S" in v else v)
                  for k, v in kw.pop("values", {}).items()} if "values" in kw else None
        args = {"TableName": f.table, **kw}
        if values is not None:
            args["ExpressionAttributeValues"] = values
        return db.query(**args)
    return call


def _update(owner: str, note: str, **kw: Any) -> Call:
    return lambda f, db: db.update_item(TableName=f.table, Key=f.key(_sub(f, owner), note), **kw)


TITLE = {"ExpressionAttributeValues": {":t": {"S": "changed"}}}

#: (case, what alice sends, the action named in the AccessDenied message)
DENIED: list[tuple[str, Call, str]] = [
    ("F-02 another user's item", _get("bob", "b1", ProjectionExpression="title"), "GetItem"),
    ("F-05 alias to a hidden attribute", _get("alice", "n1", ProjectionExpression="#t, #x",
                                               ExpressionAttributeNames={"#t": "title", "#x": "internalScore"}),
     "GetItem"),
    ("F-03 read without a projection", _get("alice", "n1"), "GetItem"),
    ("F-07 Select ALL_ATTRIBUTES", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.alice_sub}}, Select="ALL_ATTRIBUTES"), "Query"),
    ("F-09 another user's partition", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.bob_sub}}, Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="title"), "Query"),
    ("F-11 legacy AttributesToGet with a hidden attribute", lambda f, db: db.query(
        TableName=f.table, KeyConditions={"owner": {"ComparisonOperator": "EQ",
                                                    "AttributeValueList": [{"S": f.alice_sub}]}},
        AttributesToGet=["title", "adminFlag"], Select="SPECIFIC_ATTRIBUTES"), "Query"),
    ("F-12 legacy QueryFilter on a hidden attribute", lambda f, db: db.query(
        TableName=f.table, KeyConditions={"owner": {"ComparisonOperator": "EQ",
                                                    "AttributeValueList": [{"S": f.alice_sub}]}},
        AttributesToGet=["title"], Select="SPECIFIC_ATTRIBUTES",
        QueryFilter={"internalScore": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]}}),
     "Query"),
    ("F-13 an index P1 does not list", lambda f, db: db.query(
        TableName=f.table, IndexName="byPublic", KeyConditionExpression="visibility = :v",
        ExpressionAttributeValues={":v": {"S": "public"}}, ProjectionExpression="title",
        Select="SPECIFIC_ATTRIBUTES"), "Query"),
    ("F-15 Scan", lambda f, db: db.scan(TableName=f.table, ProjectionExpression="title",
                                        Select="SPECIFIC_ATTRIBUTES"), "Scan"),
    ("F-17 parallel Scan of an index", lambda f, db: db.scan(
        TableName=f.table, IndexName="byOwnerUpdated", Segment=0, TotalSegments=4), "Scan"),
    ("F-18 BatchGetItem mixing own and foreign keys", lambda f, db: db.batch_get_item(RequestItems={
        f.table: {"Keys": [f.key(f.alice_sub, "n1"), f.key(f.bob_sub, "b1")],
                  "ProjectionExpression": "title"}}), "BatchGetItem"),
    ("F-20 BatchWriteItem is not granted", lambda f, db: db.batch_write_item(RequestItems={
        f.table: [{"PutRequest": {"Item": {**f.key(f.alice_sub, "n9"), "title": {"S": "x"}}}}]}),
     "BatchWriteItem"),
    ("F-23 TransactGetItems with a foreign key", lambda f, db: db.transact_get_items(TransactItems=[
        {"Get": {"TableName": f.table, "Key": f.key(f.alice_sub, "n1"), "ProjectionExpression": "title"}},
        {"Get": {"TableName": f.table, "Key": f.key(f.bob_sub, "b1"), "ProjectionExpression": "title"}},
    ]), "GetItem"),
    ("F-24 SET a hidden attribute", _update("alice", "n1", UpdateExpression="SET adminFlag = :t",
                                             ExpressionAttributeValues={":t": {"BOOL": True}},
                                             ReturnValues="NONE"), "UpdateItem"),
    ("F-25 ReturnValues ALL_OLD", _update("alice", "n1", UpdateExpression="SET title = :t",
                                           ReturnValues="ALL_OLD", **TITLE), "UpdateItem"),
    ("F-25 ReturnValues ALL_NEW", _update("alice", "n1", UpdateExpression="SET title = :t",
                                           ReturnValues="ALL_NEW", **TITLE), "UpdateItem"),
    ("F-27 ReturnValuesOnConditionCheckFailure ALL_OLD", _update(
        "alice", "n1", UpdateExpression="SET title = :t", ConditionExpression="title = :wrong",
        ExpressionAttributeValues={":t": {"S": "changed"}, ":wrong": {"S": "nope"}},
        ReturnValuesOnConditionCheckFailure="ALL_OLD"), "UpdateItem"),
    ("F-28 legacy AttributeUpdates on a hidden attribute", _update(
        "alice", "n1", AttributeUpdates={"adminFlag": {"Action": "PUT", "Value": {"BOOL": True}}}),
     "UpdateItem"),
    ("F-29 legacy Expected on a hidden attribute", _update(
        "alice", "n1", AttributeUpdates={"title": {"Action": "PUT", "Value": {"S": "changed"}}},
        Expected={"internalScore": {"Value": {"N": "7"}}}), "UpdateItem"),
    ("F-30 PutItem is not granted (would drop hidden attributes)", lambda f, db: db.put_item(
        TableName=f.table, Item={**f.key(f.alice_sub, "n1"), "title": {"S": "x"}}), "PutItem"),
    ("F-32 create in a foreign partition", _update("bob", "new", UpdateExpression="SET title = :t", **TITLE),
     "UpdateItem"),
    ("F-33 REMOVE a hidden attribute", _update("alice", "n1", UpdateExpression="REMOVE adminFlag"),
     "UpdateItem"),
    ("F-33 copy a hidden attribute into a visible one",
     _update("alice", "n1", UpdateExpression="SET title = adminFlag"), "UpdateItem"),
    ("F-34 PartiQL SELECT of a foreign partition", lambda f, db: db.execute_statement(
        Statement=f'SELECT title FROM "{f.table}" WHERE "owner" = \'{f.bob_sub}\''), "PartiQLSelect"),
    ("F-34 PartiQL SELECT *", lambda f, db: db.execute_statement(Statement=f'SELECT * FROM "{f.table}"'),
     "PartiQLSelect"),
    ("F-38 ListTables", lambda f, db: db.list_tables(), "ListTables"),
    ("F-38 DescribeTable", lambda f, db: db.describe_table(TableName=f.table), "DescribeTable"),
    ("F-38 DescribeTimeToLive", lambda f, db: db.describe_time_to_live(TableName=f.table),
     "DescribeTimeToLive"),
    ("F-38 DescribeContinuousBackups", lambda f, db: db.describe_continuous_backups(TableName=f.table),
     "DescribeContinuousBackups"),
    ("F-38 DescribeLimits", lambda f, db: db.describe_limits(), "DescribeLimits"),
    ("F-38 UpdateTable", lambda f, db: db.update_table(TableName=f.table, BillingMode="PAY_PER_REQUEST"),
     "UpdateTable"),
    ("F-42 ExclusiveStartKey in a foreign partition", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.alice_sub}}, ProjectionExpression="title",
        Select="SPECIFIC_ATTRIBUTES", ExclusiveStartKey=f.key(f.bob_sub, "b1")), "Query"),
    ("F-06 nested path into a hidden attribute", _get("alice", "n1", ProjectionExpression="title, adminFlag.x"),
     "GetItem"),
    ("F-06 dotted literal name is one attribute", _get("alice", "n1", ProjectionExpression="#n",
                                                       ExpressionAttributeNames={"#n": "title.adminFlag"}),
     "GetItem"),
    ("F-08 Select COUNT", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.alice_sub}}, Select="COUNT"), "Query"),
    ("F-26 filter probing a hidden attribute", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", FilterExpression="internalScore > :n",
        ExpressionAttributeNames={"#o": "owner"}, ProjectionExpression="title", Select="SPECIFIC_ATTRIBUTES",
        ExpressionAttributeValues={":o": {"S": f.alice_sub}, ":n": {"N": "1"}}), "Query"),
    ("F-10 legacy AttributesToGet on GetItem", _get("alice", "n1", AttributesToGet=["title", "adminFlag"]),
     "GetItem"),
    ("F-14 ALL_PROJECTED_ATTRIBUTES on the listed index", lambda f, db: db.query(
        TableName=f.table, IndexName="byOwnerUpdated", KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": f.alice_sub}},
        Select="ALL_PROJECTED_ATTRIBUTES"), "Query"),
    ("F-16 Scan filtered on the own key", lambda f, db: db.scan(
        TableName=f.table, FilterExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.alice_sub}}, ProjectionExpression="title"), "Scan"),
    ("F-35 PartiQL UPDATE of the own item", lambda f, db: db.execute_statement(
        Statement=f'UPDATE "{f.table}" SET title = \'x\' WHERE "owner" = \'{f.alice_sub}\' AND noteId = \'n1\''),
     "PartiQLUpdate"),
    ("F-41 the sub in upper case", lambda f, db: db.get_item(
        TableName=f.table, Key=f.key(f.alice_sub.upper(), "n1"), ProjectionExpression="title"), "GetItem"),
    ("F-41 the sub with a trailing space", lambda f, db: db.get_item(
        TableName=f.table, Key=f.key(f.alice_sub + " ", "n1"), ProjectionExpression="title"), "GetItem"),
    ("delete another user's item", lambda f, db: db.delete_item(TableName=f.table, Key=f.key(f.bob_sub, "b1")),
     "DeleteItem"),
]


@pytest.mark.parametrize("case, call, action", DENIED, ids=[d[0] for d in DENIED])
def test_denied(case: str, call: Call, action: str, f: Fgac) -> None:
    before = {(o, n): f.item(o, n) for o, n in ((f.alice_sub, "n1"), (f.bob_sub, "b1"))}
    error = f.denied(lambda: call(f, f.client("alice")), action)
    assert "Item" not in error and "Items" not in error and "Responses" not in error
    assert "internalScore" not in str(error) and "title of" not in str(error)
    after = {(o, n): f.item(o, n) for o, n in ((f.alice_sub, "n1"), (f.bob_sub, "b1"))}
    assert after == before
    for owner, note in ((f.alice_sub, "n9"), (f.bob_sub, "new")):
        assert f.item(owner, note) is None


def test_f21_transaction_mixing_own_and_foreign_updates_changes_neither(f: Fgac) -> None:
    db = f.client("alice")
    f.denied(lambda: db.transact_write_items(ClientRequestToken="tok-21", TransactItems=[
        {"Update": {"TableName": f.table, "Key": f.key(f.alice_sub, "n1"),
                    "UpdateExpression": "SET title = :a", "ExpressionAttributeValues": {":a": {"S": "A"}}}},
        {"Update": {"TableName": f.table, "Key": f.key(f.bob_sub, "b1"),
                    "UpdateExpression": "SET title = :b", "ExpressionAttributeValues": {":b": {"S": "B"}}}},
    ]), "UpdateItem")
    assert f.item(f.alice_sub, "n1")["title"] == {"S": "title of n1"}  # type: ignore[index]
    assert f.item(f.bob_sub, "b1")["title"] == {"S": "title of b1"}  # type: ignore[index]


@pytest.mark.parametrize("foreign_note", ["b1", "does-not-exist"])
def test_f22_condition_check_is_no_existence_oracle(foreign_note: str, f: Fgac) -> None:
    db = f.client("alice")
    error = f.denied(lambda: db.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": f.table, "Key": f.key(f.bob_sub, foreign_note),
                            "ConditionExpression": "attribute_exists(#o)",
                            "ExpressionAttributeNames": {"#o": "owner"}}},
        {"Update": {"TableName": f.table, "Key": f.key(f.alice_sub, "n1"),
                    "UpdateExpression": "SET title = :t", "ExpressionAttributeValues": {":t": {"S": "T"}}}},
    ]), "ConditionCheckItem")
    assert f.bob_sub in error["Error"]["Message"] or "table/" in error["Error"]["Message"]
    assert f.item(f.alice_sub, "n1")["title"] == {"S": "title of n1"}  # type: ignore[index]


def test_f50_no_existence_oracle_in_the_error(f: Fgac) -> None:
    db = f.client("alice")
    bodies = []
    for note in ("b1", "zz"):
        error = f.denied(lambda note=note: db.get_item(TableName=f.table, Key=f.key(f.bob_sub, note),
                                                       ProjectionExpression="title"), "GetItem")
        bodies.append((error["Error"], error["ResponseMetadata"]["HTTPStatusCode"]))
    assert bodies[0] == bodies[1]


def test_f36_vacuous_for_all_values_scan_is_allowed_as_on_aws(f: Fgac) -> None:
    """F-36: the evaluator mirrors AWS's sharp edge (a Scan has no leading keys, so
    ``ForAllValues`` holds vacuously) and bob's title comes back; the linter, not the evaluator,
    must flag such a policy."""
    items = f.client("alice").scan(TableName=f.writes, ProjectionExpression="title")["Items"]
    assert {"S": "title of b1"} in [i["title"] for i in items]
    from iam_policies.lint import lint
    from tests.functional.dynamodb.conftest import p2

    findings = lint(p2(f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.writes}"))
    assert any(x.code == "FGAC001" and x.path == "$.Statement[2]" for x in findings)


def test_f37_full_table_partiql_select_needs_leading_keys_when_null_is_checked(f: Fgac) -> None:
    """F-37 variant B: with ``Null dynamodb:LeadingKeys = false`` beside ForAllValues, a PartiQL
    SELECT without a partition key is refused; with its own key it is allowed."""
    db = f.client("alice")
    f.denied(lambda: db.execute_statement(Statement=f'SELECT title FROM "{f.writes}"'), "PartiQLSelect")
    own = db.execute_statement(
        Statement=f'SELECT title FROM "{f.writes}" WHERE "owner" = \'{f.alice_sub}\'')["Items"]
    assert own == [{"title": {"S": "title of n1"}}]


#: Reads and writes P1 allows (the allow side of the same rules).
ALLOWED: list[tuple[str, Call]] = [
    ("own item, allowed projection", _get("alice", "n1", ProjectionExpression="title, body")),
    ("own partition query on the listed index", lambda f, db: db.query(
        TableName=f.table, IndexName="byOwnerUpdated", KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":o": {"S": f.alice_sub}},
        ProjectionExpression="title", Select="SPECIFIC_ATTRIBUTES")),
    ("the table named by its own ARN", lambda f, db: db.get_item(
        TableName=f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.table}", Key=f.key(f.alice_sub, "n1"),
        ProjectionExpression="title")),
    ("F-25 UPDATED_NEW", _update("alice", "n1", UpdateExpression="SET title = :t",
                                  ReturnValues="UPDATED_NEW", **TITLE)),
]


@pytest.mark.parametrize("case, call", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_allowed(case: str, call: Call, f: Fgac) -> None:
    response = call(f, f.client("alice"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    text = str({k: v for k, v in response.items() if k != "ResponseMetadata"})
    assert "internalScore" not in text and "adminFlag" not in text and f.bob_sub not in text


def test_f25_updated_new_returns_only_title(f: Fgac) -> None:
    response = _update("alice", "n1", UpdateExpression="SET title = :t", ReturnValues="UPDATED_NEW",
                       **TITLE)(f, f.client("alice"))
    assert response["Attributes"] == {"title": {"S": "changed"}}
    assert f.item(f.alice_sub, "n1")["adminFlag"] == {"BOOL": False}  # type: ignore[index]


#: (case, call, accepted error codes) — refused before reaching storage, by validation.
INVALID: list[tuple[str, Call, tuple[str, ...]]] = [
    ("F-40 lower-case table name", lambda f, db: db.get_item(TableName=f.table.lower(), Key=f.key(f.alice_sub, "n1"),
                                                             ProjectionExpression="title"),
     ("ResourceNotFoundException", "ValidationException")),
    ("F-40 upper-case table name", lambda f, db: db.get_item(TableName=f.table.upper(), Key=f.key(f.alice_sub, "n1"),
                                                             ProjectionExpression="title"),
     ("ResourceNotFoundException", "ValidationException")),
    ("F-40 trailing space", lambda f, db: db.get_item(TableName=f.table + " ", Key=f.key(f.alice_sub, "n1"),
                                                      ProjectionExpression="title"),
     ("ResourceNotFoundException", "ValidationException")),
    ("F-39 the table's ARN in another account", lambda f, db: db.get_item(
        TableName=f"arn:aws:dynamodb:us-east-1:111111111111:table/{f.table}", Key=f.key(f.alice_sub, "n1"),
        ProjectionExpression="title"), ("ValidationException", "ResourceNotFoundException", "AccessDeniedException")),
    ("F-39 the table's ARN in another region", lambda f, db: db.get_item(
        TableName=f"arn:aws:dynamodb:eu-west-1:000000000000:table/{f.table}", Key=f.key(f.alice_sub, "n1"),
        ProjectionExpression="title"), ("ValidationException", "ResourceNotFoundException", "AccessDeniedException")),
    ("F-43 legacy and expression parameters mixed", lambda f, db: db.query(
        TableName=f.table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": f.alice_sub}},
        KeyConditions={"owner": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": f.bob_sub}]}}),
     ("ValidationException", "AccessDeniedException")),
    ("F-45 unused alias smuggling", _get("alice", "n1", ProjectionExpression="title",
                                          ExpressionAttributeNames={"#x": "adminFlag"}),
     ("ValidationException", "AccessDeniedException")),
]


@pytest.mark.parametrize("case, call, codes", INVALID, ids=[i[0] for i in INVALID])
def test_refused_as_invalid(case: str, call: Call, codes: tuple[str, ...], f: Fgac) -> None:
    with pytest.raises(ClientError) as caught:
        call(f, f.client("alice"))
    error = caught.value.response
    assert error["Error"]["Code"] in codes
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Item" not in error and "title of" not in str(error)


def test_f47_wildcard_in_a_subject_is_literal(f: Fgac) -> None:
    """F-47: a user whose sub were ``ali*`` would substitute literally; on our stack the subject
    is a UUID, so the equivalent is a key that merely starts with alice's sub."""
    f.denied(lambda: f.client("alice").get_item(TableName=f.table, Key=f.key(f.alice_sub + "x", "n1"),
                                                ProjectionExpression="title"), "GetItem")
