"""A table's identity across restarts: its TableId (API Reference "TableDescription": "Unique
identifier for the table") is the same after a restart from the journal and after one from the
compacted snapshot; ListTables stays in name order (webapp.backend.lifecycle)."""

from __future__ import annotations

from tests.conftest import RunningStack


def _create(stack: RunningStack, name: str) -> str:
    created = stack.admin("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])["TableDescription"]
    assert created["TableStatus"] == "CREATING"
    return str(created["TableId"])


def test_table_id_survives_restarts(fresh_stack: RunningStack) -> None:
    fresh_stack.start()
    ids = {name: _create(fresh_stack, name) for name in ("Zeta", "Alpha")}
    assert ids["Zeta"] != ids["Alpha"]
    fresh_stack.kill()  # replayed from the journal
    fresh_stack.start()
    client = fresh_stack.admin("dynamodb")
    assert {n: client.describe_table(TableName=n)["Table"]["TableId"] for n in ids} == ids
    fresh_stack.stop()  # a clean stop compacts into the snapshot
    fresh_stack.start()
    client = fresh_stack.admin("dynamodb")
    assert {n: client.describe_table(TableName=n)["Table"]["TableId"] for n in ids} == ids
    names = client.list_tables()["TableNames"]
    assert names == sorted(names) and names.index("Alpha") < names.index("Zeta")
