"""Every operation the engine authorizes, allowed and denied, through the running stack.

On the ``Writes`` table, policy P2 (conftest) grants item and PartiQL actions on the caller's own
partition. Each row: the call on alice's partition succeeds and does what it says; the same call
touching bob's partition is AccessDeniedException and bob's item is unchanged (read back by the
admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.dynamodb.conftest import Fgac

Op = Callable[[Fgac, Any, str, str], Any]  # (world, client, owner sub, note) -> response


def item(f: Fgac, owner: str, note: str, **attrs: Any) -> dict[str, Any]:
    return {**f.key(owner, note), **{k: {"S": v} for k, v in attrs.items()}}


#: (operation, the call, action named when denied, check on the written/read result or None)
OPERATIONS: list[tuple[str, Op, str, Callable[[Fgac, str, Any], None] | None]] = [
    ("GetItem", lambda f, db, o, n: db.get_item(TableName=f.writes, Key=f.key(o, n)), "GetItem",
     lambda f, o, r: None if r["Item"]["title"]["S"].startswith("title of") else pytest.fail("no item")),
    ("PutItem", lambda f, db, o, n: db.put_item(TableName=f.writes, Item=item(f, o, n, title="put")),
     "PutItem", lambda f, o, r: _title_is(f, o, "put")),
    ("UpdateItem", lambda f, db, o, n: db.update_item(
        TableName=f.writes, Key=f.key(o, n), UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": {"S": "updated"}}), "UpdateItem",
     lambda f, o, r: _title_is(f, o, "updated")),
    ("DeleteItem", lambda f, db, o, n: db.delete_item(TableName=f.writes, Key=f.key(o, n)), "DeleteItem",
     lambda f, o, r: _gone(f, o)),
    ("Query", lambda f, db, o, n: db.query(
        TableName=f.writes, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": o}}), "Query",
     lambda f, o, r: None if r["Count"] == 1 else pytest.fail(str(r))),
    ("BatchGetItem", lambda f, db, o, n: db.batch_get_item(RequestItems={f.writes: {"Keys": [f.key(o, n)]}}),
     "BatchGetItem", lambda f, o, r: None if len(r["Responses"][f.writes]) == 1 else pytest.fail(str(r))),
    ("BatchWriteItem", lambda f, db, o, n: db.batch_write_item(RequestItems={f.writes: [
        {"PutRequest": {"Item": item(f, o, n, title="batched")}}]}), "BatchWriteItem",
     lambda f, o, r: _title_is(f, o, "batched")),
    ("TransactGetItems", lambda f, db, o, n: db.transact_get_items(TransactItems=[
        {"Get": {"TableName": f.writes, "Key": f.key(o, n)}}]), "GetItem",
     lambda f, o, r: None if r["Responses"][0]["Item"] else pytest.fail(str(r))),
    ("TransactWriteItems Put", lambda f, db, o, n: db.transact_write_items(TransactItems=[
        {"Put": {"TableName": f.writes, "Item": item(f, o, n, title="tx-put")}}]), "PutItem",
     lambda f, o, r: _title_is(f, o, "tx-put")),
    ("TransactWriteItems Update+ConditionCheck", lambda f, db, o, n: db.transact_write_items(TransactItems=[
        {"Update": {"TableName": f.writes, "Key": f.key(o, n), "UpdateExpression": "SET title = :t",
                    "ExpressionAttributeValues": {":t": {"S": "tx-update"}}}},
        {"ConditionCheck": {"TableName": f.writes, "Key": f.key(o, "other"),
                            "ConditionExpression": "attribute_not_exists(noteId)"}}]), "UpdateItem",
     lambda f, o, r: _title_is(f, o, "tx-update")),
    ("TransactWriteItems Delete", lambda f, db, o, n: db.transact_write_items(TransactItems=[
        {"Delete": {"TableName": f.writes, "Key": f.key(o, n)}}]), "DeleteItem",
     lambda f, o, r: _gone(f, o)),
    ("ExecuteStatement SELECT", lambda f, db, o, n: db.execute_statement(
        Statement=f'SELECT title FROM "{f.writes}" WHERE "owner" = ? AND noteId = ?',
        Parameters=[{"S": o}, {"S": n}]), "PartiQLSelect",
     lambda f, o, r: None if len(r["Items"]) == 1 else pytest.fail(str(r))),
    ("ExecuteStatement UPDATE", lambda f, db, o, n: db.execute_statement(
        Statement=f'UPDATE "{f.writes}" SET title = \'pq\' WHERE "owner" = ? AND noteId = ?',
        Parameters=[{"S": o}, {"S": n}]), "PartiQLUpdate", lambda f, o, r: _title_is(f, o, "pq")),
    # Literals, not ``?``: moto's PartiQL engine cannot bind parameters in DELETE or INSERT.
    ("ExecuteStatement DELETE", lambda f, db, o, n: db.execute_statement(
        Statement=f'DELETE FROM "{f.writes}" WHERE "owner" = \'{o}\' AND noteId = \'{n}\''),
     "PartiQLDelete", lambda f, o, r: _gone(f, o)),
    ("ExecuteTransaction", lambda f, db, o, n: db.execute_transaction(TransactStatements=[
        {"Statement": f'UPDATE "{f.writes}" SET title = \'ptx\' WHERE "owner" = ? AND noteId = ?',
         "Parameters": [{"S": o}, {"S": n}]}]), "PartiQLUpdate", lambda f, o, r: _title_is(f, o, "ptx")),
]


def _note(f: Fgac, owner: str) -> str:
    return "n1" if owner == f.alice_sub else "b1"


def _title_is(f: Fgac, owner: str, title: str) -> None:
    got = f.item(owner, _note(f, owner), table=f.writes)
    assert got is not None and got["title"] == {"S": title}


def _gone(f: Fgac, owner: str) -> None:
    assert f.item(owner, _note(f, owner), table=f.writes) is None


@pytest.mark.parametrize("operation, call, action, check", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_allowed_on_own_partition(operation: str, call: Op, action: str, check: Any, f: Fgac) -> None:
    response = call(f, f.client("alice"), f.alice_sub, "n1")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    check(f, f.alice_sub, response)


@pytest.mark.parametrize("operation, call, action, check", OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_denied_on_another_partition(operation: str, call: Op, action: str, check: Any, f: Fgac) -> None:
    before = f.item(f.bob_sub, "b1", table=f.writes)
    error = f.denied(lambda: call(f, f.client("alice"), f.bob_sub, "b1"), action)
    assert f.bob_sub in error["Error"]["Message"] or "table/" in error["Error"]["Message"]
    assert f.item(f.bob_sub, "b1", table=f.writes) == before
    assert "title of b1" not in str(error)


def test_partiql_insert(f: Fgac) -> None:
    db = f.client("alice")
    def insert(owner: str) -> str:  # literals: moto cannot bind ``?`` in INSERT
        return f"INSERT INTO \"{f.writes}\" VALUE {{'owner': '{owner}', 'noteId': 'ins', 'title': 'i'}}"

    db.execute_statement(Statement=insert(f.alice_sub))
    assert f.item(f.alice_sub, "ins", table=f.writes) is not None
    f.denied(lambda: db.execute_statement(Statement=insert(f.bob_sub)), "PartiQLInsert")
    assert f.item(f.bob_sub, "ins", table=f.writes) is None


def test_batch_execute_statement_is_all_or_nothing(f: Fgac) -> None:
    db = f.client("alice")
    f.denied(lambda: db.batch_execute_statement(Statements=[
        {"Statement": f'UPDATE "{f.writes}" SET title = \'a\' WHERE "owner" = ? AND noteId = ?',
         "Parameters": [{"S": f.alice_sub}, {"S": "n1"}]},
        {"Statement": f'UPDATE "{f.writes}" SET title = \'b\' WHERE "owner" = ? AND noteId = ?',
         "Parameters": [{"S": f.bob_sub}, {"S": "b1"}]},
    ]), "PartiQLUpdate")
    assert f.item(f.alice_sub, "n1", table=f.writes)["title"] == {"S": "title of n1"}  # type: ignore[index]
    assert f.item(f.bob_sub, "b1", table=f.writes)["title"] == {"S": "title of b1"}  # type: ignore[index]


def test_describe_table_granted_on_one_table_only(f: Fgac) -> None:
    db = f.client("alice")
    assert db.describe_table(TableName=f.writes)["Table"]["TableName"] == f.writes
    error = f.denied(lambda: db.describe_table(TableName=f.table), "DescribeTable")
    assert "KeySchema" not in str(error) and "byPublic" not in str(error)


CONTROL_PLANE = [
    ("CreateTable", lambda f, db: db.create_table(
        TableName=f.writes + "x", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])),
    ("DeleteTable", lambda f, db: db.delete_table(TableName=f.writes)),
    ("UpdateTimeToLive", lambda f, db: db.update_time_to_live(
        TableName=f.writes, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})),
    ("ListTagsOfResource", lambda f, db: db.list_tags_of_resource(
        ResourceArn=f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.writes}")),
    ("TagResource", lambda f, db: db.tag_resource(
        ResourceArn=f"arn:aws:dynamodb:us-east-1:000000000000:table/{f.writes}",
        Tags=[{"Key": "a", "Value": "b"}])),
]


@pytest.mark.parametrize("action, call", CONTROL_PLANE, ids=[c[0] for c in CONTROL_PLANE])
def test_control_plane_is_denied_to_users(action: str, call: Any, f: Fgac) -> None:
    f.denied(lambda: call(f, f.client("alice")), action)
    tables = f.admin.list_tables()["TableNames"]
    assert f.writes in tables and f.writes + "x" not in tables


def test_the_admin_role_may_do_everything(f: Fgac) -> None:
    assert f.table in f.admin.list_tables()["TableNames"]
    assert f.admin.describe_table(TableName=f.table)["Table"]["KeySchema"][0]["AttributeName"] == "owner"
