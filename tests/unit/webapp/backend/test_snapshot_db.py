"""``snapshot.db``: the state in SQLite, loaded without moto's API, each item read on first use,
and brought up to date by the rows that changed (``snapshot_db.py``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from webapp.backend import snapshot
from webapp.backend.journal import Record
from webapp.backend.local import LocalBackend
from webapp.backend.moto_engine import MotoEngine
from webapp.backend.snapshot_db import SnapshotDB, key_text

from .conftest import TABLE, abandon, create_table, item, put
from .test_snapshot import BLOB, ITEMS, _engine_with_items


def _written(tmp_path: Path) -> tuple[MotoEngine, Path]:
    original = _engine_with_items()
    store = SnapshotDB(tmp_path / "snapshot.db")
    assert store.rewrite(original.models, 7, [{"token": "t"}]) == 6
    store.close()
    return original, store.path


def _loaded(path: Path) -> tuple[MotoEngine, SnapshotDB, snapshot.Loaded]:
    restored = MotoEngine("us-east-1", "000000000000")
    store = SnapshotDB(path)
    return restored, store, store.load(restored.models)


def test_a_loaded_snapshot_answers_as_the_state_it_was_written_from(tmp_path: Path) -> None:
    original, path = _written(tmp_path)
    restored, store, loaded = _loaded(path)
    assert (loaded.seq, loaded.tokens, loaded.items) == (7, [{"token": "t"}], 6)
    for each in ITEMS:
        request = {"TableName": "Things", "Key": {"pk": each["pk"], "sk": each["sk"]}}
        assert restored.call("GetItem", request) == original.call("GetItem", request)
    query = {"TableName": "Things", "KeyConditionExpression": "pk = :a",
             "ExpressionAttributeValues": {":a": {"S": "a"}, ":b": {"B": BLOB}},
             "FilterExpression": "contains(bs, :b) OR attribute_not_exists(s)"}
    assert restored.call("Query", query) == original.call("Query", query)
    for table in ("Things", "Flat"):
        assert restored.call("Scan", {"TableName": table}) == original.call("Scan", {"TableName": table})
        described = [e.call("DescribeTable", {"TableName": table})["Table"] for e in (restored, original)]
        assert described[0] == described[1]
    store.close()


def test_items_are_read_from_the_file_on_first_use_only(tmp_path: Path) -> None:
    _, path = _written(tmp_path)
    restored, store, _ = _loaded(path)
    stored = restored.models.tables["Flat"].items
    assert all("_row" in each.__dict__ and "attrs" not in each.__dict__ for each in stored.values())
    restored.call("GetItem", {"TableName": "Flat", "Key": {"id": {"N": "1"}}})
    assert sorted(key.value for key, each in stored.items() if "attrs" in each.__dict__) == ["1"]
    store.close()


def _damage_a_value(path: Path) -> None:
    data = path.read_bytes()
    assert data.count(b'"x","y"') == 1
    path.write_bytes(data.replace(b'"x","y"', b'"x","z"'))


def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: 2 * 4096])


def _lose_a_row(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM items WHERE id = (SELECT max(id) FROM items)")
    connection.close()


def _change_the_header(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE header SET body = replace(body, '\"seq\":7', '\"seq\":8')")
    connection.close()


@pytest.mark.parametrize("damage", [_damage_a_value, _cut_short, _lose_a_row, _change_the_header],
                         ids=["a changed byte", "cut short", "a row gone", "the header changed"])
def test_a_damaged_snapshot_is_refused(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    _, path = _written(tmp_path)
    damage(path)
    with pytest.raises(snapshot.SnapshotDamaged):
        _loaded(path)


@pytest.mark.parametrize(("one", "other"), [("100", "1E2"), ("1.50", "1.5"), ("0", "-0.0"), ("12", "12")])
def test_one_number_written_two_ways_is_one_row(one: str, other: str) -> None:
    """DynamoDB (and moto) compare numbers by value: ``1E2`` and ``100`` are one key."""
    assert key_text({"N": one}) == key_text({"N": other})
    assert key_text({"S": one}) != key_text({"S": other}) or one == other


def test_a_compaction_writes_the_changed_rows_and_leaves_the_rest(open_local: Callable[..., LocalBackend]) -> None:
    """A clean stop after a few writes costs those rows, not the whole table (issue 11): the
    untouched rows keep their ids, and the items in memory stay unread."""
    first = open_local()
    create_table(first)
    for n in range(30):
        put(first, f"k{n:02}")
    first.close()
    rows_before = _rows(first.journal.db_path)
    second = open_local()
    put(second, "k03", size=5)
    second.call("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "k04"}}})
    put(second, "new")
    second.close()
    untouched = {k: v for k, v in rows_before.items() if k not in ('{"S":"k03"}', '{"S":"k04"}')}
    rows_after = _rows(first.journal.db_path)
    assert {k: rows_after[k] for k in untouched} == untouched
    assert rows_after['{"S":"k03"}'][0] == rows_before['{"S":"k03"}'][0] != rows_after['{"S":"new"}'][0]
    assert '{"S":"k04"}' not in rows_after and len(rows_after) == 30
    in_memory = second.engine.models.tables[TABLE].items
    assert sum("_row" in each.__dict__ for each in in_memory.values()) == 28, "the stop read no untouched item"
    third = open_local()
    assert item(third, "k03") == {"pk": {"S": "k03"}, "d": {"S": "xxxxx"}} and item(third, "k04") is None


def _rows(path: Path) -> dict[str, tuple[int, int]]:
    with sqlite3.connect(path) as connection:
        found = {h: (row_id, crc) for row_id, h, crc in connection.execute("SELECT id, h, crc FROM items")}
    connection.close()
    return found


def test_records_the_file_already_covers_are_not_applied_again(tmp_path: Path) -> None:
    """A crash between a compaction's commit and the journal's cut leaves records the file holds."""
    engine = MotoEngine("us-east-1", "000000000000")
    create_table(engine)
    store = SnapshotDB(tmp_path / "snapshot.db")
    store.rewrite(engine.models, 5, [])
    tables = [snapshot.table_spec(t) for t in engine.models.tables.values()]
    image = {"pk": {"S": "a"}, "v": {"N": "1"}}
    covered = Record(4, {"op": "PutItem", "w": [[TABLE, [{"S": "a"}, None], {"pk": {"S": "a"}, "v": {"N": "0"}}]]})
    assert store.apply([covered, Record(6, {"op": "PutItem", "w": [[TABLE, [{"S": "a"}, None], image]]})],
                       6, tables, []) == 1
    store.close()
    restored, again, loaded = _loaded(store.path)
    assert loaded.seq == 6
    assert restored.call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}})["Item"] == image
    again.close()


def test_a_restored_table_is_written_whole(open_local: Callable[..., LocalBackend]) -> None:
    """A table restored from a backup is a request replayed through moto, without after-images:
    the next compaction rewrites the snapshot from the state in memory."""
    first = open_local()
    create_table(first)
    put(first, "a")
    first.close()
    second = open_local()
    arn = second.call("CreateBackup", {"TableName": TABLE, "BackupName": "b"})["BackupDetails"]["BackupArn"]
    second.call("RestoreTableFromBackup", {"TargetTableName": "Restored", "BackupArn": arn})
    put(second, "b")
    second.close()
    abandon(open_local())  # (the journal is empty: everything is in the snapshot)
    third = open_local()
    assert item(third, "a", table="Restored") == {"pk": {"S": "a"}, "d": {"S": ""}}
    assert item(third, "b") is not None and item(third, "b", table="Restored") is None


def test_a_first_snapshot_cut_short_by_a_crash_is_never_read(open_local: Callable[..., LocalBackend],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first = open_local()
    create_table(first)
    put(first, "kept")

    def crash(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SnapshotDB, "_write_header", crash)
    with pytest.raises(KeyboardInterrupt):
        first.close()
    monkeypatch.undo()
    assert not first.journal.db_path.exists() and not Path(f"{first.journal.db_path}.tmp").exists()
    assert item(open_local(), "kept") == {"pk": {"S": "kept"}, "d": {"S": ""}}
