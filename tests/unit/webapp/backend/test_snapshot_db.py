"""``snapshot.db``: the state in SQLite, loaded without moto's API, each item read on first use,
and brought up to date by the rows that changed (``snapshot_db.py``)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from webapp.backend import snapshot
from webapp.backend.journal import Record
from webapp.backend.local import LocalBackend
from webapp.backend.moto_engine import MotoEngine
from webapp.backend.snapshot_db import SnapshotDB, key_text, previous

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


def _format_1(engine: MotoEngine) -> bytes:
    tables = [{**snapshot.table_spec(t), "items": snapshot.export_items(t)} for t in engine.models.tables.values()]
    return json.dumps({"format": 1, "seq": 7, "tokens": [{"token": "t"}], "tables": tables}).encode()


@pytest.mark.parametrize("legacy", [False, True], ids=["snapshot.jsonl (format 2)", "snapshot.json (format 1)"])
def test_a_previous_versions_snapshot_becomes_the_same_rows_from_its_bytes(tmp_path: Path, legacy: bool) -> None:
    """The upgrade reads the old file, not the state in memory: range keys, binaries, sets and
    number keys come out as the rows ``rewrite`` writes for the same state."""
    original = _engine_with_items()
    data = _format_1(original) if legacy else b"".join(snapshot.dump(original.models, 7, [{"token": "t"}]))
    store = SnapshotDB(tmp_path / "snapshot.db")
    assert store.install(previous(data, legacy, "old")) == 6 and store.seq == 7
    store.close()
    rewritten = SnapshotDB(tmp_path / "rewritten.db")
    rewritten.rewrite(original.models, 7, [{"token": "t"}])
    rewritten.close()
    rows = "SELECT tbl, h, r, attrs, crc FROM items ORDER BY tbl, h, r"
    with sqlite3.connect(store.path) as mine, sqlite3.connect(rewritten.path) as theirs:
        assert mine.execute(rows).fetchall() == theirs.execute(rows).fetchall()
    restored, _, loaded = _loaded(store.path)
    assert (loaded.seq, loaded.tokens, loaded.items) == (7, [{"token": "t"}], 6)
    for name, table in original.models.tables.items():
        assert snapshot.export_items(restored.models.tables[name]) == snapshot.export_items(table)


def _old_directory(open_local: Callable[..., LocalBackend]) -> LocalBackend:
    """A data directory as the previous version left it: ``snapshot.jsonl`` and an empty journal."""
    first = open_local()
    create_table(first)
    for pk in ("a", "b"):
        put(first, pk)
    data = b"".join(snapshot.dump(first.engine.models, first.journal.last_seq, []))
    abandon(first)
    first.journal.path.write_bytes(b"")
    first.journal.snapshot_path.write_bytes(data)
    return first


def test_the_upgrade_to_snapshot_db_runs_while_requests_go_on(open_local: Callable[..., LocalBackend],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests are answered while ``snapshot.db`` is being written from the old file (it used to
    be rewritten from memory with every request waiting); afterwards the old file is gone and a
    ``kill -9`` loses nothing."""
    first = _old_directory(open_local)
    reached, proceed, resumed = threading.Event(), threading.Event(), threading.Event()
    install = SnapshotDB.install

    def paused(self: SnapshotDB, contents: Any) -> int:
        reached.set()
        proceed.wait(30)
        resumed.set()
        return install(self, contents)

    monkeypatch.setattr(SnapshotDB, "install", paused)
    second = open_local()
    assert reached.wait(30)
    put(second, "c")
    second.call("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}})
    assert item(second, "b") == {"pk": {"S": "b"}, "d": {"S": ""}}
    assert not resumed.is_set(), "the requests were answered while the upgrade was under way"
    upgrade = second._compactor
    proceed.set()
    assert upgrade is not None
    upgrade.join(30)
    assert first.journal.db_path.exists() and not first.journal.snapshot_path.exists()
    abandon(second)
    third = open_local()
    assert [item(third, pk) for pk in ("a", "b", "c")] == [None, {"pk": {"S": "b"}, "d": {"S": ""}},
                                                          {"pk": {"S": "c"}, "d": {"S": ""}}]


def test_a_crash_between_the_upgrade_and_its_compaction_loses_nothing(open_local: Callable[..., LocalBackend],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``snapshot.db`` written from the old file, then ``kill -9`` before the journal's records
    went into it: the next start reads ``snapshot.db`` and the journal, not the old file."""
    first = _old_directory(open_local)
    monkeypatch.setattr(LocalBackend, "_compact_outside_lock", lambda self: None)
    second = open_local()
    put(second, "c")
    upgrade = second._compactor
    if upgrade is not None:
        upgrade.join(30)
    assert first.journal.db_path.exists() and first.journal.snapshot_path.exists()
    abandon(second)
    monkeypatch.undo()
    (first.journal.snapshot_path).write_bytes(b"no longer read")
    third = open_local()
    assert [item(third, pk) is not None for pk in ("a", "b", "c")] == [True, True, True]
    third.close()
    assert not first.journal.snapshot_path.exists()
