"""PartiQL statements that IAM authorizes for the caller's own partition but that a naive engine
reads as another statement (``webapp/backend/partiql_scope.py``).

Under P2 (own partition, ``Null`` guard) alice may run PartiQL on her own partition. Each row
is a statement our parser pins to alice's partition - so IAM allows it, as AWS would - but whose
text moto's py-partiql-parser reads differently (clauses split on the literal text `` WHERE ``,
names matched case-insensitively, key attributes rewritten). On AWS such a statement reads or
writes alice's items only; here it must too: nothing of bob's is returned, written or deleted.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.dynamodb.conftest import Fgac

# SELECT rows: (id, statement with {t} table, {a} alice's sub). AWS reads alice's partition only
# (a statement pinned by ``=``/``IN`` on the partition key is no scan: DynamoDB DG, "PartiQL
# select statements").
SELECTS = [
    ("tab-after-where", 'SELECT * FROM "{t}" WHERE\t"owner" = \'{a}\''),
    ("where-inside-a-string", 'SELECT * FROM "{t}" WHERE ("title" IS NOT MISSING OR "title" = \' WHERE \') '
                              'AND "owner" = \'{a}\''),
    ("in-list-then-where-string", 'SELECT * FROM "{t}" WHERE "owner" IN [\'{a}\'] AND ("noteId" IS NOT MISSING '
                                  'OR "noteId" = \' WHERE \')'),
    ("carriage-return", 'SELECT * FROM "{t}"\r\nWHERE\r\n"owner" = \'{a}\''),
    ("plain", 'SELECT * FROM "{t}" WHERE "owner" = \'{a}\''),
]


@pytest.mark.parametrize(("case", "statement"), SELECTS, ids=[c for c, _ in SELECTS])
def test_a_select_pinned_to_the_own_partition_reads_only_it(case: str, statement: str, f: Fgac) -> None:
    text = statement.format(t=f.writes, a=f.alice_sub)
    items = f.client("alice").execute_statement(Statement=text)["Items"]
    owners = {item["owner"]["S"] for item in items if "owner" in item}
    assert owners <= {f.alice_sub}, (case, owners)
    assert all(item.get("noteId", {}).get("S") != "b1" for item in items), case
    if case == "plain":
        assert owners == {f.alice_sub}


def test_attribute_names_are_case_sensitive_in_a_projection(f: Fgac) -> None:
    """``SELECT ADMINFLAG`` names an attribute the item does not have (names are case-sensitive):
    nothing of ``adminFlag`` comes back."""
    text = f'SELECT ADMINFLAG, "title" FROM "{f.writes}" WHERE "owner" = \'{f.alice_sub}\''
    items = f.client("alice").execute_statement(Statement=text)["Items"]
    assert items and all("adminFlag" not in item and "ADMINFLAG" not in item for item in items)


# Writes: (id, statement, expected error code or None). Each is authorized as alice's partition.
WRITES: list[tuple[str, str, str | None]] = [
    # DynamoDB refuses to update a key attribute ("Cannot update attribute owner. This attribute is
    # part of the key"): moto wrote the item back under bob's key.
    ("set-the-partition-key", 'UPDATE "{t}" SET "owner" = \'{b}\' WHERE "owner" = \'{a}\' AND "noteId" = \'n1\'',
     "ValidationException"),
    ("set-the-sort-key", 'UPDATE "{t}" SET "noteId" = \'b1\' WHERE "owner" = \'{a}\' AND "noteId" = \'n1\'',
     "ValidationException"),
    # PartiQL's INSERT never replaces an item (DG, "PartiQL insert statements":
    # DuplicateItemException); moto replaced it, hidden attributes and all
    ("insert-over-an-existing-item", "INSERT INTO \"{t}\" VALUE {{'owner': '{a}', 'noteId': 'n1', 'title': 'new'}}",
     "DuplicateItemException"),
    # PartiQL's UPDATE is no upsert (nubo-db/dynoxide#150, checked against DynamoDB)
    ("update-of-a-missing-item", 'UPDATE "{t}" SET "title" = \'x\' WHERE "owner" = \'{a}\' AND "noteId" = \'nope\'',
     "ConditionalCheckFailedException"),
    ("update-tab-after-where", 'UPDATE "{t}" SET "title" = \'pwned\' WHERE\t"owner" = \'{a}\' AND "noteId" = \'b1\'',
     None),
    ("delete-tab-after-where", 'DELETE FROM "{t}" WHERE\t"owner" = \'{a}\' AND "noteId" = \'b1\'', None),
    ("delete-or-branch", 'DELETE FROM "{t}" WHERE "owner" = \'{a}\' AND "noteId" = \'b1\' OR "owner" = \'{a}\' '
                         'AND "noteId" = \'b1\'', None),
]


def _state(f: Fgac) -> dict[str, Any]:
    return {"bob": f.item(f.bob_sub, "b1", f.writes), "bob-n1": f.item(f.bob_sub, "n1", f.writes),
            "alice-b1": f.item(f.alice_sub, "b1", f.writes)}


@pytest.mark.parametrize(("case", "statement", "code"), WRITES, ids=[c for c, _, _ in WRITES])
def test_a_write_pinned_to_the_own_partition_changes_nothing_else(case: str, statement: str, code: str | None,
                                                                   f: Fgac) -> None:
    before = _state(f)
    alice_before = f.item(f.alice_sub, "n1", f.writes)
    text = statement.format(t=f.writes, a=f.alice_sub, b=f.bob_sub)
    try:
        f.client("alice").execute_statement(Statement=text)
        error = None
    except ClientError as caught:
        error = caught.response["Error"]["Code"]
        assert caught.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if code is not None:
        assert error == code, case
        assert f.item(f.alice_sub, "n1", f.writes) == alice_before, "a refused statement wrote"
    assert error != "InternalServerError"
    after = _state(f)
    assert after["bob"] == before["bob"], "bob's item changed"
    assert after["bob-n1"] is None, "an item appeared in bob's partition"
    assert f.item(f.alice_sub, "nope", f.writes) is None, "an UPDATE created an item"


def test_an_index_select_reads_the_index_in_dynamodbs_syntax(f: Fgac) -> None:
    """``FROM "T"."I"`` is DynamoDB's way to name an index (DG, "PartiQL select statements");
    moto only knew ``"T.I"`` and answered ResourceNotFound. An index holds only its projected
    attributes (INCLUDE ``title``, beside the keys): ``SELECT *`` on it returns no hidden one.
    Read by the admin: P2 grants PartiQL on the table only."""
    text = f'SELECT * FROM "{f.writes}"."byOwnerUpdated" WHERE "owner" = \'{f.alice_sub}\''
    items = f.admin.execute_statement(Statement=text)["Items"]
    assert items == [{"owner": {"S": f.alice_sub}, "noteId": {"S": "n1"}, "updatedAt": {"S": "2026-01-01T00:00:00Z"},
                      "title": {"S": "title of n1"}}]


def _transaction(f: Fgac, note: str, owner: str | None = None) -> list[dict[str, Any]]:
    owner = owner or f.alice_sub
    return [
        # DynamoDB refuses an EXISTS that reads only the key ("EXISTS() must contain a single item
        # read with additional condition": paritysuite partiqlFunctions.test.ts, captured)
        {"Statement": f'EXISTS(SELECT * FROM "{f.writes}" WHERE "owner" = \'{owner}\' AND "noteId" = \'{note}\' '
                      f'AND "noteId" IS NOT MISSING)'},
        {"Statement": f'UPDATE "{f.writes}" SET "title" = \'checked\' WHERE "owner" = \'{f.alice_sub}\' '
                      f'AND "noteId" = \'n1\''},
    ]


def test_exists_is_a_condition_check_of_a_partiql_transaction(f: Fgac) -> None:
    """``EXISTS(SELECT ...)`` in ExecuteTransaction checks an item exists (DG, "PartiQL
    transactions"); moto crashed on it (HTTP 500). Missing: the transaction is cancelled with
    ConditionalCheckFailed at its place and writes nothing."""
    db = f.client("alice")
    with pytest.raises(ClientError) as caught:
        db.execute_transaction(TransactStatements=_transaction(f, "missing"))
    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    assert f.item(f.alice_sub, "n1", f.writes)["title"] == {"S": "title of n1"}  # type: ignore[index]
    db.execute_transaction(TransactStatements=_transaction(f, "n1"))
    assert f.item(f.alice_sub, "n1", f.writes)["title"] == {"S": "checked"}  # type: ignore[index]


def test_exists_on_another_users_item_is_no_existence_oracle(f: Fgac) -> None:
    before = f.item(f.alice_sub, "n1", f.writes)
    f.denied(lambda: f.client("alice").execute_transaction(TransactStatements=_transaction(f, "b1", f.bob_sub)),
             "PartiQLSelect")
    assert f.item(f.alice_sub, "n1", f.writes) == before


def test_batch_statements_run_each_in_its_own_scope(f: Fgac) -> None:
    """BatchExecuteStatement: each statement answered in its place (DG, "Running batch operations
    with PartiQL"); a SELECT must name the whole key; a key update fails alone. moto checked the
    batch with its own parser and answered ResourceNotFound for every quoted table name."""
    a = f.alice_sub
    answers = f.client("alice").batch_execute_statement(Statements=[
        {"Statement": f'SELECT "title" FROM "{f.writes}" WHERE "owner" = \'{a}\' AND "noteId" = \'n1\''},
        {"Statement": f'SELECT "title" FROM "{f.writes}" WHERE "owner" = \'{a}\''},
        {"Statement": f'UPDATE "{f.writes}" SET "owner" = \'{f.bob_sub}\' WHERE "owner" = \'{a}\' AND "noteId" = \'n1\''},
        {"Statement": f'SELECT "title" FROM "{f.writes}" WHERE\t"owner" = \'{a}\' AND "noteId" = \'b1\''},
    ])["Responses"]
    assert answers[0] == {"TableName": f.writes, "Item": {"title": {"S": "title of n1"}}}
    assert answers[1]["Error"]["Code"] == "ValidationError"
    assert answers[2]["Error"]["Code"] == "ValidationError"
    assert answers[3] == {"TableName": f.writes}  # alice/b1 does not exist; bob's b1 is not read
    assert f.item(f.bob_sub, "n1", f.writes) is None
    f.denied(lambda: f.client("alice").batch_execute_statement(Statements=[
        {"Statement": f'SELECT "title" FROM "{f.writes}" WHERE "owner" = \'{a}\' AND "noteId" = \'n1\''},
        {"Statement": f'SELECT "title" FROM "{f.writes}" WHERE "owner" = \'{f.bob_sub}\' AND "noteId" = \'b1\''},
    ]), "PartiQLSelect")


@pytest.mark.parametrize(("returning", "expected"), [
    ("ALL OLD", {"title": {"S": "title of n1"}, "body": {"S": "text"}}),
    ("MODIFIED OLD", {"title": {"S": "title of n1"}}),
    ("MODIFIED NEW", {"title": {"S": "returned"}}),
])
def test_returning_answers_the_written_item(returning: str, expected: dict[str, Any], f: Fgac) -> None:
    """``RETURNING ... *`` (DG, "PartiQL update statements"; authorized as dynamodb:ReturnValues):
    moto's parser crashed on it (HTTP 500)."""
    items = f.client("alice").execute_statement(
        Statement=f'UPDATE "{f.writes}" SET "title" = \'returned\' WHERE "owner" = \'{f.alice_sub}\' '
                  f'AND "noteId" = \'n1\' RETURNING {returning} *')["Items"]
    assert len(items) == 1
    assert {k: v for k, v in items[0].items() if k in ("title", "body")} == expected
    if returning.startswith("MODIFIED"):
        assert items[0] == expected
    assert f.item(f.alice_sub, "n1", f.writes)["title"] == {"S": "returned"}  # type: ignore[index]


@pytest.mark.parametrize("returning", ["MODIFIED OLD", "MODIFIED NEW", "ALL NEW"])
def test_a_delete_returns_only_all_old(returning: str, f: Fgac) -> None:
    """DELETE's only RETURNING is ``ALL OLD *`` (DG, "PartiQL delete statements": "<returnvalues>
    ::= ALL OLD *"). ``MODIFIED OLD`` was accepted, authorized as dynamodb:ReturnValues
    UPDATED_OLD (which an attribute-limited policy such as P1 allows: fgac-semantics A.5 rule 4)
    and answered the whole deleted item, hidden attributes included (found by review). Refused
    before anything is deleted."""
    before = f.item(f.alice_sub, "n1", f.writes)
    with pytest.raises(ClientError) as caught:
        f.client("alice").execute_statement(
            Statement=f'DELETE FROM "{f.writes}" WHERE "owner" = \'{f.alice_sub}\' AND "noteId" = \'n1\' '
                      f'RETURNING {returning} *')
    error = caught.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, "ValidationException")
    assert error["Error"]["Message"] == ("Statement wasn't well formed, can't be processed: Invalid RETURNING clause: "
                                         f"{returning} (a DELETE returns ALL OLD *)")
    assert "Items" not in error
    assert f.item(f.alice_sub, "n1", f.writes) == before
