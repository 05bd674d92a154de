"""The journal and snapshots: replay, a torn tail after a crash, compaction, corruption."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.backend.errors import DynamoDBError
from webapp.backend.journal import Journal, JournalCorrupted, JournalInUse, decode, encode
from webapp.backend.local import LocalBackend
from webapp.clock import ManualClock

from .conftest import TABLE, abandon, create_table, item


def put(backend: LocalBackend, pk: str, **attrs: str) -> None:
    backend.call("PutItem", {
        "TableName": TABLE, "Item": {"pk": {"S": pk}, **{k: {"S": v} for k, v in attrs.items()}},
    })


def test_a_record_round_trips_and_damage_is_detected() -> None:
    line = encode(7, {"op": "PutItem", "params": {"TableName": "T"}})
    record = decode(line)
    assert record is not None and record.seq == 7 and record.body["op"] == "PutItem"
    assert decode(line[:-1]) is None, "a line without its newline is torn"
    assert decode(line.replace(b"PutItem", b"PutIten")) is None, "the checksum catches a flipped byte"


def test_acknowledged_writes_survive_a_crash(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local()
    create_table(first)
    for index in range(20):
        put(first, f"k{index}", v=str(index))
    first.call("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "k3"}}})
    first.call("UpdateItem", {
        "TableName": TABLE, "Key": {"pk": {"S": "k4"}}, "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": {"S": "changed"}},
    })
    abandon(first)

    second = open_local()
    assert item(second, "k3") is None
    assert item(second, "k4") == {"pk": {"S": "k4"}, "v": {"S": "changed"}}
    assert [item(second, f"k{i}") is not None for i in range(20)].count(True) == 19


def test_reads_and_no_effect_failures_are_not_journaled(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    create_table(backend)
    put(backend, "a")
    journal = backend.journal.path
    size = journal.stat().st_size
    backend.call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}})
    backend.call("Scan", {"TableName": TABLE})
    backend.call("ExecuteStatement", {"Statement": f'SELECT * FROM "{TABLE}"'})
    with pytest.raises(DynamoDBError):
        backend.call("PutItem", {
            "TableName": TABLE, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)",
        })
    assert journal.stat().st_size == size


def test_partiql_writes_are_journaled(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    create_table(backend)
    backend.call("ExecuteStatement", {"Statement": f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'p'}}"})
    abandon(backend)
    assert item(open_local(), "p") == {"pk": {"S": "p"}}


def test_a_torn_last_line_is_ignored_and_cut_off(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local()
    create_table(first)
    put(first, "kept")
    abandon(first)
    journal = first.journal.path
    whole = encode(99, {"op": "PutItem", "params": {"TableName": TABLE, "Item": {"pk": {"S": "torn"}}}, "t": 0})
    with open(journal, "ab") as handle:
        handle.write(whole[: len(whole) // 2])
    size_before = journal.stat().st_size

    second = open_local()
    assert item(second, "kept") is not None
    assert item(second, "torn") is None
    assert journal.stat().st_size < size_before, "the torn bytes were cut off"
    put(second, "after")
    abandon(second)
    assert item(open_local(), "after") is not None, "appends after a torn tail stay readable"


def test_damage_in_the_middle_refuses_to_start(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append({"op": "A", "params": {}})
    journal.append({"op": "B", "params": {}})
    journal.close()
    lines = journal.path.read_bytes().splitlines(keepends=True)
    journal.path.write_bytes(lines[0].replace(b'"A"', b'"X"') + lines[1])
    with pytest.raises(JournalCorrupted):
        list(Journal(tmp_path).replay())


def test_compaction_keeps_state_and_empties_the_journal(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local(compact_every=10)
    create_table(first, "Other", Tags=[{"Key": "team", "Value": "web"}])
    first.call("UpdateTimeToLive", {
        "TableName": "Other", "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
    })
    create_table(first)
    for index in range(25):
        put(first, f"k{index}", v=str(index))
    assert first.journal.path.stat().st_size < 25 * 100, "compaction truncated the journal"
    assert first.journal.db_path.exists()
    created = first.call("DescribeTable", {"TableName": TABLE})["Table"]["CreationDateTime"]
    abandon(first)

    second = open_local()
    assert [item(second, f"k{i}") for i in range(25)] == [{"pk": {"S": f"k{i}"}, "v": {"S": str(i)}} for i in range(25)]
    assert second.call("DescribeTable", {"TableName": TABLE})["Table"]["CreationDateTime"] == created
    ttl = second.call("DescribeTimeToLive", {"TableName": "Other"})["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    arn = second.call("DescribeTable", {"TableName": "Other"})["Table"]["TableArn"]
    assert second.call("ListTagsOfResource", {"ResourceArn": arn})["Tags"] == [{"Key": "team", "Value": "web"}]


def test_a_crash_between_snapshot_and_truncation_replays_nothing_twice(
    open_local: Callable[..., LocalBackend],
) -> None:
    first = open_local()
    create_table(first)
    first.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "n"}, "v": {"N": "0"}}})
    for _ in range(3):
        first.call("UpdateItem", {
            "TableName": TABLE, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "ADD v :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        })
    abandon(first)
    journal_bytes = first.journal.path.read_bytes()
    second = open_local()  # replays the journal
    with second._lock:
        second._compact()  # snapshot installed, journal emptied
    abandon(second)
    assert first.journal.db_path.exists() and first.journal.path.stat().st_size == 0
    first.journal.path.write_bytes(journal_bytes)  # as if the journal had not been rewritten
    third = open_local()
    assert item(third, "n") == {"pk": {"S": "n"}, "v": {"N": "3"}}


def test_schema_cache_follows_table_changes(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    assert backend.table_schema(TABLE) is None
    create_table(backend)
    schema = backend.table_schema(TABLE)
    assert schema is not None and schema.key_names == ("pk",)
    backend.call("DeleteTable", {"TableName": TABLE})
    assert backend.table_schema(TABLE) is None


def test_every_attribute_type_survives_compaction(open_local: Callable[..., LocalBackend]) -> None:
    stored = {
        "pk": {"S": "all"}, "n": {"N": "-12.50"}, "b": {"B": "AAEC"}, "t": {"BOOL": True},
        "z": {"NULL": True}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AAEC", "AQ=="]},
        "l": {"L": [{"S": "é"}, {"B": "AQ=="}, {"M": {"deep": {"N": "1"}}}]},
        "m": {"M": {"b": {"B": "AQ=="}, "l": {"L": []}}},
    }
    first = open_local()
    create_table(first)
    first.call("PutItem", {"TableName": TABLE, "Item": stored})
    before = item(first, "all")
    first.close()  # compacts into the snapshot
    assert first.journal.path.stat().st_size == 0
    assert item(open_local(), "all") == before


def test_failed_calls_are_not_journaled(open_local: Callable[..., LocalBackend]) -> None:
    backend = open_local()
    create_table(backend)
    size = backend.journal.path.stat().st_size
    with pytest.raises(DynamoDBError):
        backend.call("PutItem", {"TableName": TABLE})  # Item missing
    with pytest.raises(DynamoDBError):  # a cancelled transaction: its Put is not applied either
        backend.call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t"}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "absent"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ]})
    with pytest.raises(DynamoDBError):
        backend.call("BatchWriteItem", {"RequestItems": {TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": "a"}}}}, {"PutRequest": {"Item": {"pk": {"N": "1"}}}},
        ]}})
    assert backend.journal.path.stat().st_size == size


@pytest.mark.parametrize(("operation", "params"), [
    # moto creates the missing item, then fails on the expression, and keeps the item
    ("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "half"}}, "UpdateExpression": "ADD w :one",
                    "ExpressionAttributeValues": {":one": {"S": "not a number"}}}),
    ("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "half"}}, "UpdateExpression": "SET a = b"}),
    # moto writes the first put, then fails on the second's key type
    ("BatchWriteItem", {"RequestItems": {TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": "half"}}}}, {"PutRequest": {"Item": {"pk": {"N": "1"}}}},
    ]}}),
    # moto runs PartiQL transactions statement by statement
    ("ExecuteTransaction", {"TransactStatements": [
        {"Statement": f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'half'}}"},
        {"Statement": f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 1}}"},
    ]}),
])
def test_a_failed_call_leaves_no_trace(open_local: Callable[..., LocalBackend], operation: str,
                                       params: dict[str, object]) -> None:
    """DynamoDB applies a failed request not at all; moto half-applies these."""
    first = open_local()
    create_table(first)
    with pytest.raises(DynamoDBError):
        first.call(operation, params)  # type: ignore[arg-type]
    assert item(first, "half") is None
    abandon(first)
    assert item(open_local(), "half") is None


def test_a_second_writer_on_the_same_directory_is_refused(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local()
    with pytest.raises(JournalInUse, match="in use by another process"):
        open_local()
    first.close()
    open_local()  # the lock goes with its holder


_keys = st.sampled_from(["a", "b", "c"])
_calls = st.one_of(
    st.builds(lambda k, v: ("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": k}, "v": {"N": str(v)}},
                                        "ConditionExpression": "attribute_not_exists(pk) OR v < :v",
                                        "ExpressionAttributeValues": {":v": {"N": str(v)}}}), _keys, st.integers(0, 5)),
    st.builds(lambda k: ("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": k}}, "UpdateExpression": "ADD v :one",
                                        "ExpressionAttributeValues": {":one": {"N": "1"}}}), _keys),
    st.builds(lambda k: ("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": k}},
                                        "ConditionExpression": "attribute_exists(pk)"}), _keys),
    st.builds(lambda k1, k2: ("TransactWriteItems", {"TransactItems": [
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": k1}}, "UpdateExpression": "ADD v :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": k2}}, "ConditionExpression": "attribute_exists(pk)"}},
    ]}), _keys, _keys),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(_calls, max_size=12), compact_every=st.sampled_from([3, 10_000]))
def test_replay_rebuilds_exactly_the_acknowledged_state(tmp_path_factory: pytest.TempPathFactory,
                                                        calls: list[tuple[str, dict[str, Any]]],
                                                        compact_every: int) -> None:
    directory = tmp_path_factory.mktemp("replay")

    def open_() -> LocalBackend:
        return LocalBackend(directory, region="us-east-1", account_id="000000000000", clock=ManualClock(),
                            compact_every=compact_every)

    first = open_()
    create_table(first)
    for operation, params in calls:
        try:
            first.call(operation, params)
        except DynamoDBError:
            pass  # refused calls change nothing, live or replayed
    before = sorted(json.dumps(i, sort_keys=True) for i in first.call("Scan", {"TableName": TABLE})["Items"])
    abandon(first)
    second = open_()
    after = sorted(json.dumps(i, sort_keys=True) for i in second.call("Scan", {"TableName": TABLE})["Items"])
    second.close()
    assert after == before


def test_group_commit_one_fsync_covers_the_writes_that_queued_behind_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 writers at once: each returns only once its record is on disk, with far fewer fsyncs
    than writes, since every fsync covers what was written while the previous one ran."""
    import os
    import threading
    import time

    journal = Journal(tmp_path)
    synced: list[int] = []  # the last sequence number each fsync covered
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        covered = journal.last_seq
        time.sleep(0.02)  # a slow disk
        real_fsync(fd)
        synced.append(covered)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    order = threading.Lock()  # the backend's lock: writes are serialised, syncs are not
    violations: list[int] = []

    def writer(n: int) -> None:
        for i in range(5):
            with order:
                seq = journal.write({"op": "PutItem", "n": n, "i": i})
            journal.sync_through(seq)
            if not synced or max(synced) < seq:  # returned before a sync covered the record
                violations.append(seq)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert violations == []
    assert journal.durable_seq == journal.last_seq == 80
    journal.close()
    assert [r.body["i"] for r in Journal(tmp_path).replay()].count(4) == 16


def test_group_commit_one_fsync_per_round_when_every_writer_wrote_before_anyone_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """How many fsyncs the free-for-all above takes depends on the scheduler; with a barrier
    between writing and syncing it does not: the first fsync of a round covers all 16 records,
    so 5 rounds take exactly 5 file fsyncs for 80 writes."""
    import os
    import threading

    journal = Journal(tmp_path)
    journal.sync_through(journal.write({"op": "PutItem", "n": -1, "i": -1}))  # file created
    fsyncs: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        real_fsync(fd)
        fsyncs.append(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    order = threading.Lock()
    wrote = threading.Barrier(16)

    def writer(n: int) -> None:
        for i in range(5):
            with order:
                seq = journal.write({"op": "PutItem", "n": n, "i": i})
            wrote.wait()
            journal.sync_through(seq)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert journal.durable_seq == journal.last_seq == 81
    assert len(fsyncs) == 5
    journal.close()


def test_a_write_does_no_io_while_a_flush_waits_for_the_disk(tmp_path: Path) -> None:
    """``write`` runs under the backend's table locks: it keeps its line in memory, so it never
    waits for an ``fsync`` in progress (a write(2) to a file being synced can); the next flush
    puts the kept lines in the file in order, and only then are they durable."""
    import threading

    journal = Journal(tmp_path)
    first = journal.write({"op": "A"})
    syncing, released = threading.Event(), threading.Event()
    fsync = journal._fsync

    def held_fsync(handle: Any) -> None:
        syncing.set()
        released.wait(60)
        fsync(handle)

    journal._fsync = held_fsync  # type: ignore[method-assign]
    flusher = threading.Thread(target=journal.sync_through, args=(first,))
    flusher.start()
    try:
        assert syncing.wait(60)
        second = journal.write({"op": "B"})  # returns although the disk is held (no deadline needed)
        assert journal.durable_seq < first < second
        assert [r.body["op"] for r in _file_records(journal)] == ["A"]  # B is not in the file yet
    finally:
        released.set()
    flusher.join(60)
    assert journal.durable_seq == first
    journal.sync_through(second)
    assert journal.durable_seq == second
    assert [(r.seq, r.body["op"]) for r in _file_records(journal)] == [(first, "A"), (second, "B")]
    journal.close()


def test_a_write_does_not_wait_for_a_compaction_rewriting_the_journal(tmp_path: Path) -> None:
    """``drop_through`` copies the records after the mark to a new file and syncs it, holding
    only the flush: a ``write`` (under the backend's table locks) returns meanwhile, its record
    is durable once the next flush after the rewrite covers it, and the new file holds exactly
    the records after the mark, in order."""
    import threading

    journal = Journal(tmp_path)
    for op in ("A", "B"):
        journal.append({"op": op})
    mark = journal.mark()
    after = journal.append({"op": "C"})
    syncing, released = threading.Event(), threading.Event()
    fsync = journal._fsync

    def held_fsync(handle: Any) -> None:
        if str(handle.name).endswith(".tmp"):  # the new copy of the journal
            syncing.set()
            released.wait(60)
        fsync(handle)

    journal._fsync = held_fsync  # type: ignore[method-assign]
    compactor = threading.Thread(target=journal.drop_through, args=(mark,))
    compactor.start()
    written: list[int] = []
    writer = threading.Thread(target=lambda: written.append(journal.write({"op": "D"})))
    try:
        assert syncing.wait(60)
        writer.start()
        writer.join(60)
        assert written, "the write returned while the rewrite held the disk"
        during = written[0]
        assert journal.durable_seq < during
    finally:
        released.set()
    compactor.join(60)
    writer.join(60)
    assert journal.durable_seq == after < during
    journal.sync_through(during)
    assert [(r.seq, r.body["op"]) for r in _file_records(journal)] == [(after, "C"), (during, "D")]
    assert journal.size == journal.path.stat().st_size and journal.pending == 2
    journal.close()
    assert [(r.seq, r.body["op"]) for r in Journal(tmp_path).replay()] == [(after, "C"), (during, "D")]


def test_a_failed_flush_keeps_its_lines_and_leaves_no_damaged_line(tmp_path: Path) -> None:
    """A write(2) that fails part-way (a full disk) leaves nothing of the kept lines in the file
    and keeps them: the caller gets the error, and the next flush writes them whole."""
    journal = Journal(tmp_path)
    journal.sync_through(journal.write({"op": "A"}))
    seq = journal.write({"op": "B"})
    journal.write({"op": "C"})
    real = journal._file
    assert real is not None

    class FullDisk:
        """The journal's file, whose next write puts 7 bytes on disk and then fails."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def write(self, data: Any) -> int:
            journal._file = real  # only this write fails
            real.write(bytes(data[:7]))
            raise OSError(28, "No space left on device")

    journal._file = FullDisk()  # type: ignore[assignment]
    with pytest.raises(OSError):
        journal.sync_through(seq)
    assert journal.durable_seq == seq - 1
    assert [r.body["op"] for r in _file_records(journal)] == ["A"]
    journal.sync_through(seq)
    assert journal.durable_seq == seq + 1
    assert [r.body["op"] for r in _file_records(journal)] == ["A", "B", "C"]
    journal.close()


def test_a_failed_fsync_acknowledges_nothing_and_the_next_commit_retries(tmp_path: Path) -> None:
    """An ``fsync`` that fails leaves ``durable_seq`` where it was: the committing caller gets
    the error (the backend answers 500), and the next caller commits again."""
    journal = Journal(tmp_path)
    seq = journal.write({"op": "A"})
    fsync = journal._fsync

    def failing(handle: Any) -> None:
        journal._fsync = fsync  # type: ignore[method-assign]  # only this one fails
        raise OSError(5, "Input/output error")

    journal._fsync = failing  # type: ignore[method-assign]
    with pytest.raises(OSError):
        journal.sync_through(seq)
    assert journal.durable_seq == 0 and not journal._committing
    journal.sync_through(seq)
    assert journal.durable_seq == seq
    journal.close()


def _file_records(journal: Journal) -> list[Any]:
    lines = journal.path.read_bytes().splitlines(keepends=True)
    records = [decode(line) for line in lines]
    assert None not in records  # every line in the file is whole
    return records


# After-images and background compaction (issue 11: restart proportional to what happened since
# the snapshot; compaction that does not stall requests) ------------------------------------------


def _records(backend: LocalBackend) -> list[dict[str, Any]]:
    return [r.body for r in _reader(backend).replay()]


def _reader(backend: LocalBackend) -> Journal:
    """A read-only view of ``backend``'s journal file (the directory lock stays with the backend)."""
    view = Journal.__new__(Journal)
    view.path, view.last_seq, view.pending, view.sync, view.size = backend.journal.path, 0, 0, False, 0
    return view


def test_item_writes_are_journaled_as_after_images_and_replayed_without_moto(
    open_local: Callable[..., LocalBackend], monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = open_local()
    create_table(first)
    first.close()  # the table is in the snapshot; what follows is only in the journal
    second = open_local()
    put(second, "a", v="1")
    second.call("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET w = :w",
                               "ExpressionAttributeValues": {":w": {"S": "2"}}})
    second.call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "b"}}}},
        {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}},
    ]})
    assert [(r["op"], r["w"]) for r in _records(second)] == [
        ("PutItem", [[TABLE, [{"S": "a"}, None], {"pk": {"S": "a"}, "v": {"S": "1"}}]]),
        ("UpdateItem", [[TABLE, [{"S": "a"}, None], {"pk": {"S": "a"}, "v": {"S": "1"}, "w": {"S": "2"}}]]),
        ("TransactWriteItems", [[TABLE, [{"S": "b"}, None], {"pk": {"S": "b"}}], [TABLE, [{"S": "a"}, None], None]]),
    ]
    abandon(second)

    from webapp.backend.moto_engine import MotoEngine

    def refuse(self: MotoEngine, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError(f"replay called moto's {operation}")

    monkeypatch.setattr(MotoEngine, "call", refuse)
    third = open_local()
    monkeypatch.undo()
    assert item(third, "a") is None
    assert item(third, "b") == {"pk": {"S": "b"}}


def test_a_transaction_torn_by_a_crash_leaves_none_of_its_items(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local()
    create_table(first)
    put(first, "before")
    first.call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"t{n}"}}}} for n in range(5)
    ]})
    abandon(first)
    whole = first.journal.path.read_bytes()
    first.journal.path.write_bytes(whole[:-20])  # the transaction's record, cut before its end
    second = open_local()
    assert item(second, "before") is not None
    assert [item(second, f"t{n}") for n in range(5)] == [None] * 5
    abandon(second)
    first.journal.path.write_bytes(whole)  # and whole, all of them
    third = open_local()
    assert all(item(third, f"t{n}") is not None for n in range(5))


def test_a_repeated_token_is_answered_from_the_journal_after_a_crash(open_local: Callable[..., LocalBackend]) -> None:
    first = open_local()
    create_table(first)
    request = {"ClientRequestToken": "once", "TransactItems": [
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "n"}}, "UpdateExpression": "ADD v :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}]}
    answer = first.call("TransactWriteItems", request)
    abandon(first)
    second = open_local()
    assert second.call("TransactWriteItems", request) == answer
    assert item(second, "n") == {"pk": {"S": "n"}, "v": {"N": "1"}}, "the repeat changed nothing"


def _pausing_compaction(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any]:
    """Background compactions pause before writing their rows (outside the lock) until ``proceed``."""
    import threading

    from webapp.backend import local
    from webapp.backend.snapshot_db import SnapshotDB

    monkeypatch.setattr(local, "COMPACT_CHUNK", 2)
    reached, proceed, resumed = threading.Event(), threading.Event(), threading.Event()
    apply = SnapshotDB.apply

    def paused(self: SnapshotDB, *args: Any) -> int:
        if threading.current_thread().name == "compaction":
            reached.set()
            proceed.wait(30)
            resumed.set()
        return apply(self, *args)

    monkeypatch.setattr(SnapshotDB, "apply", paused)
    return reached, proceed, resumed


def _state(backend: LocalBackend) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True) for i in backend.call("Scan", {"TableName": TABLE})["Items"])


def test_background_compaction_lets_writes_through_and_a_crash_after_it_loses_nothing(
    open_local: Callable[..., LocalBackend], monkeypatch: pytest.MonkeyPatch,
) -> None:
    reached, proceed, resumed = _pausing_compaction(monkeypatch)
    first = open_local()
    create_table(first)
    for index in range(20):
        put(first, f"k{index:02}", v="old")
    first.close()  # 20 items in the snapshot: a compaction of them runs in the background
    first = open_local(compact_every=3)
    for index in range(3):  # the third record starts it
        put(first, f"k{index:02}", v="mid")
    assert reached.wait(30), "the compaction started"
    compactor = first._compactor
    assert compactor is not None
    # writes while it is paused, both to items it covers and to items it does not
    first.call("UpdateItem", {"TableName": TABLE, "Key": {"pk": {"S": "k00"}}, "UpdateExpression": "SET v = :v",
                              "ExpressionAttributeValues": {":v": {"S": "new"}}})
    first.call("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "k01"}}})
    first.call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "k19"}, "v": {"S": "new"}}}},
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "k02"}, "v": {"S": "new"}}}},
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "added"}}}},
    ]})
    assert not resumed.is_set(), "the writes went through while the compaction was paused"
    proceed.set()
    compactor.join(30)
    assert first._compactor is None and first.store.seq == first.journal.last_seq - 3
    assert first.journal.pending == 5, "the records after the compaction's start (5 item images) stay in the journal"
    before = _state(first)
    abandon(first)
    assert _state(open_local()) == before


def test_a_table_change_during_background_compaction_is_kept(
    open_local: Callable[..., LocalBackend], monkeypatch: pytest.MonkeyPatch,
) -> None:
    reached, proceed, _ = _pausing_compaction(monkeypatch)
    first = open_local()
    create_table(first)
    for index in range(20):
        put(first, f"k{index:02}")
    first.close()
    first = open_local(compact_every=3)
    for index in range(3):
        put(first, f"k{index:02}", v="mid")
    assert reached.wait(30)
    compactor = first._compactor
    assert compactor is not None
    create_table(first, "Other")
    put(first, "k05", v="changed")
    first.call("DeleteTable", {"TableName": TABLE})
    create_table(first)
    put(first, "k07", v="recreated")
    proceed.set()
    compactor.join(30)
    assert first.journal.pending == 5, "the table changes after the compaction's start wait in the journal"
    before = _state(first)
    abandon(first)
    second = open_local()
    assert _state(second) == before == [json.dumps({"pk": {"S": "k07"}, "v": {"S": "recreated"}}, sort_keys=True)]
    assert second.call("DescribeTable", {"TableName": "Other"})["Table"]["TableName"] == "Other"


def test_a_restart_does_not_compact(open_local: Callable[..., LocalBackend]) -> None:
    """Start-up reads what is on disk and nothing more; the journal stays as it was."""
    first = open_local()
    create_table(first)
    put(first, "a")
    abandon(first)
    size = first.journal.path.stat().st_size
    second = open_local()
    assert second.journal.path.stat().st_size == size and not second.journal.db_path.exists()
    put(second, "b")
    abandon(second)
    third = open_local()
    assert [item(third, k) is not None for k in ("a", "b")] == [True, True]


def test_a_format_1_snapshot_is_read_and_replaced(open_local: Callable[..., LocalBackend]) -> None:
    from webapp.backend import snapshot

    first = open_local()
    create_table(first)
    put(first, "old", v="1")
    table = first.engine.models.tables[TABLE]
    legacy = {"seq": first.journal.last_seq, "format": 1, "tokens": [],
              "tables": [{**snapshot.table_spec(table), "items": snapshot.export_items(table)}]}
    abandon(first)
    first.journal.path.write_bytes(b"")
    first.journal.legacy_snapshot_path.write_text(json.dumps(legacy))
    second = open_local()
    assert item(second, "old") == {"pk": {"S": "old"}, "v": {"S": "1"}}
    second.close()
    assert not first.journal.legacy_snapshot_path.exists() and first.journal.db_path.exists()
    assert item(open_local(), "old") == {"pk": {"S": "old"}, "v": {"S": "1"}}


def test_a_compaction_cut_short_by_a_crash_leaves_nothing_that_is_read(open_local: Callable[..., LocalBackend]) -> None:
    """``kill -9`` while a compaction wrote its temporary files: the next start ignores and
    removes them; the snapshot and journal it reads are the ones before."""
    first = open_local()
    create_table(first)
    put(first, "kept")
    abandon(first)
    leftovers = ("snapshot.tmp", "journal.tmp", "snapshot.db.tmp", "snapshot.db.tmp-wal")
    for name in leftovers:
        (first.journal.directory / name).write_bytes(b"half a file")
    second = open_local()
    assert item(second, "kept") == {"pk": {"S": "kept"}}
    assert not any((first.journal.directory / name).exists() for name in leftovers)


def test_a_compaction_is_due_after_as_many_item_images_as_compact_every(
    open_local: Callable[..., LocalBackend],
) -> None:
    """A 25-item BatchWriteItem is 25 rows for the next compaction and 25 items for a replay:
    it counts as 25 towards ``compact_every``, so a bulk load is compacted as it goes."""
    first = open_local(compact_every=30)
    create_table(first)
    batch = [{"PutRequest": {"Item": {"pk": {"S": f"b{n}"}}}} for n in range(25)]
    first.call("BatchWriteItem", {"RequestItems": {TABLE: batch}})
    assert first.journal.pending == 26 and not first.journal.db_path.exists()
    first.call("BatchWriteItem", {"RequestItems": {TABLE: batch[:4]}})
    assert first.journal.pending == 0 and first.journal.db_path.exists()
