"""Per-table locking (``locking.py``): who waits for whom, and that the guarantees the single lock
gave survive calls running together.

No timings: a call that must *not* wait is given a deadline of a minute (only a deadlock or a
missing lock fails it, never a slow machine); a call that must wait is checked to be still waiting
while the lock is held and to finish once it is released.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.webapp.backend.conftest import create_table, item
from webapp.backend.errors import DynamoDBError
from webapp.backend.local import LocalBackend
from webapp.backend.locking import RWLock, tables_of

NO_DEADLOCK = 60.0  # seconds: only a call that waits on a lock it should not want takes this long


@pytest.mark.parametrize(("operation", "params", "expected"), [
    ("GetItem", {"TableName": "B"}, ["B"]),
    ("Query", {"TableName": "A"}, ["A"]),
    ("PutItem", {"TableName": "A"}, ["A"]),
    ("BatchGetItem", {"RequestItems": {"B": {}, "A": {}}}, ["A", "B"]),
    ("BatchWriteItem", {"RequestItems": {"C": [], "A": []}}, ["A", "C"]),
    ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "B"}}, {"Update": {"TableName": "A"}},
                                              {"ConditionCheck": {"TableName": "B"}}]}, ["A", "B"]),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "Z"}}]}, ["Z"]),
    # alone: the token cache spans tables; control plane; PartiQL names tables inside text;
    # ARNs and malformed names are left to the engine's own errors
    ("TransactWriteItems", {"ClientRequestToken": "t", "TransactItems": [{"Put": {"TableName": "A"}}]}, None),
    ("CreateTable", {"TableName": "A"}, None),
    ("DescribeTable", {"TableName": "A"}, None),
    ("ExecuteStatement", {"Statement": "SELECT * FROM A"}, None),
    ("GetItem", {"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/A"}, None),
    ("GetItem", {}, None),
    ("BatchGetItem", {"RequestItems": []}, None),
])
def test_which_calls_run_together(operation: str, params: dict[str, Any], expected: list[str] | None) -> None:
    assert tables_of(operation, params) == expected


@pytest.fixture
def two_tables(open_local: Callable[..., LocalBackend]) -> LocalBackend:
    backend = open_local()
    for name in ("A", "B"):
        create_table(backend, name)
        backend.call("PutItem", {"TableName": name, "Item": {"pk": {"S": "k"}, "n": {"N": "0"}}})
    return backend


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def _exists(backend: LocalBackend) -> Callable[[str], bool]:
    return backend.engine.models.tables.__contains__


def test_a_table_held_for_writing_does_not_stop_calls_on_another(two_tables: LocalBackend) -> None:
    backend = two_tables
    with backend._locks.data_call(["A"], True, _exists(backend)) as held:
        assert held
        for call in (lambda: item(backend, "k", "B"),
                     lambda: backend.call("Query", {"TableName": "B", "KeyConditionExpression": "pk = :k",
                                                    "ExpressionAttributeValues": {":k": {"S": "k"}}}),
                     lambda: backend.call("PutItem", {"TableName": "B", "Item": {"pk": {"S": "new"}}})):
            thread, out = _in_thread(call)
            thread.join(NO_DEADLOCK)
            assert not thread.is_alive() and out
        waiting, out = _in_thread(lambda: item(backend, "k", "A"))
        waiting.join(0.2)
        assert waiting.is_alive() and not out  # a read of the table being written waits
    waiting.join(NO_DEADLOCK)
    assert out == [{"pk": {"S": "k"}, "n": {"N": "0"}}]


def test_readers_of_one_table_share_it_and_a_writer_waits_for_them(two_tables: LocalBackend) -> None:
    backend = two_tables
    with backend._locks.data_call(["A"], False, _exists(backend)):
        reader, got = _in_thread(lambda: item(backend, "k", "A"))
        reader.join(NO_DEADLOCK)
        assert not reader.is_alive() and got
        writer, done = _in_thread(lambda: backend.call("PutItem", {"TableName": "A", "Item": {"pk": {"S": "w"}}}))
        writer.join(0.2)
        assert writer.is_alive() and not done
        # nothing of the waiting write is there (read past the locks: this thread holds a read
        # lock, and a new reader waits behind the waiting writer)
        assert all(key.value != "w" for key in backend.engine.models.tables["A"].items)
    writer.join(NO_DEADLOCK)
    assert done and item(backend, "w", "A") == {"pk": {"S": "w"}}


def _until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (a state another thread reaches), failing only on a deadlock."""
    import time

    deadline = time.monotonic() + NO_DEADLOCK
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_queued_writers_go_before_a_reader_that_came_after_them() -> None:
    """Writer preference (``locking.py``): with two writers queued behind a reader, a reader
    arriving now goes in after both (a stream of readers cannot starve a writer); each release
    wakes only who can go in, and nobody is left waiting."""
    lock = RWLock()
    order: list[str] = []

    def write(name: str) -> None:
        lock.acquire_write()
        order.append(name)
        lock.release_write()

    def read() -> None:
        lock.acquire_read()
        order.append("reader")
        lock.release_read()

    lock.acquire_read()
    writers = [threading.Thread(target=write, args=(f"writer {n}",)) for n in (1, 2)]
    for thread in writers:
        thread.start()
    _until(lambda: lock._writers_waiting == 2)
    reader = threading.Thread(target=read)
    reader.start()
    _until(lambda: len(lock._readers_ok._waiters) == 1)  # type: ignore[attr-defined]
    assert order == []  # the reader waits behind the queued writers, which wait for the first reader
    lock.release_read()
    for thread in (*writers, reader):
        thread.join(NO_DEADLOCK)
    assert not any(thread.is_alive() for thread in (*writers, reader))
    assert sorted(order[:2]) == ["writer 1", "writer 2"] and order[2] == "reader"


def test_a_table_change_waits_for_calls_in_flight(two_tables: LocalBackend) -> None:
    backend = two_tables
    with backend._locks.data_call(["B"], False, _exists(backend)):
        creating, done = _in_thread(lambda: create_table(backend, "C"))
        creating.join(0.2)
        assert creating.is_alive() and "C" not in backend.engine.models.tables
    creating.join(NO_DEADLOCK)
    assert not creating.is_alive() and "C" in backend.engine.models.tables


def _increment(table: str, key: str) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": {"pk": {"S": key}},
                       "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}


def test_transactions_and_writes_on_several_tables_together_lose_nothing(
        open_local: Callable[..., LocalBackend]) -> None:
    """Threads at once: transactions over A and B (every one adds 1 to both counters, or nothing),
    transactions that fail on their last condition (nothing of them may stay), and plain puts on
    C; then a restart from the journal. Each acknowledged write is there, the counters equal the
    acknowledged transactions, and no failed transaction left anything (R-1, R-3 per table)."""
    backend = open_local()
    for name in ("A", "B", "C"):
        create_table(backend, name)
    acknowledged: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker(index: int) -> None:
        start.wait()
        for round_ in range(12):
            try:
                if index % 3 == 0:
                    backend.call("TransactWriteItems", {"TransactItems": [_increment("A", "c"), _increment("B", "c")]})
                    kind = "both"
                elif index % 3 == 1:
                    backend.call("TransactWriteItems", {"TransactItems": [
                        {"Put": {"TableName": "A", "Item": {"pk": {"S": f"ghost-{index}-{round_}"}}}},
                        {"ConditionCheck": {"TableName": "B", "Key": {"pk": {"S": "c"}},
                                            "ConditionExpression": "attribute_not_exists(pk) AND attribute_exists(pk)"}},
                    ]})
                    kind = "ghost-acknowledged"
                else:
                    key = f"p-{index}-{round_}"
                    backend.call("PutItem", {"TableName": "C", "Item": {"pk": {"S": key}}})
                    kind = key
            except DynamoDBError as error:
                with lock:
                    failures.append(error.code)
                continue
            with lock:
                acknowledged.append(kind)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(NO_DEADLOCK * 2)
    assert not any(thread.is_alive() for thread in threads)
    assert set(failures) == {"TransactionCanceledException"} and len(failures) == 24
    assert "ghost-acknowledged" not in acknowledged
    backend.close()

    again = open_local()
    both = acknowledged.count("both")
    assert both == 24
    assert item(again, "c", "A") == item(again, "c", "B") == {"pk": {"S": "c"}, "n": {"N": str(both)}}
    puts = [kind for kind in acknowledged if kind.startswith("p-")]
    assert len(puts) == 24 and all(item(again, key, "C") == {"pk": {"S": key}} for key in puts)
    assert all(item(again, f"ghost-{i}-{r}", "A") is None for i in range(1, 6, 3) for r in range(12))


def _query(backend: LocalBackend, pk: str, **more: Any) -> int:
    return int(backend.call("Query", {"TableName": "A", "KeyConditionExpression": "pk = :k",
                                      "ExpressionAttributeValues": {":k": {"S": pk}}, **more})["Count"])


def test_an_answer_waits_for_the_disk_only_for_what_it_may_show(open_local: Callable[..., LocalBackend]) -> None:
    """No caller sees state a crash could take back (``local.py``): while a write's ``fsync`` is
    under way, a GetItem or a Query of its partition waits for it, and so does a Scan; a GetItem
    or a Query of another partition does not (they used to wait for every other user's write)."""
    backend = open_local()
    create_table(backend, "A")
    backend.call("PutItem", {"TableName": "A", "Item": {"pk": {"S": "other"}}})
    syncing, released = threading.Event(), threading.Event()
    fsync = backend.journal._fsync

    def held_fsync(handle: Any) -> None:
        syncing.set()
        released.wait(NO_DEADLOCK)
        fsync(handle)

    backend.journal._fsync = held_fsync  # type: ignore[method-assign]
    writer, wrote = _in_thread(lambda: backend.call("PutItem", {"TableName": "A", "Item": {"pk": {"S": "mine"}}}))
    try:
        assert syncing.wait(NO_DEADLOCK)  # applied and journaled, not yet on disk
        free = [_in_thread(lambda: item(backend, "other", "A")), _in_thread(lambda: _query(backend, "other")),
                _in_thread(lambda: _query(backend, "other", ScanIndexForward=False, Limit=1))]
        for thread, _ in free:
            thread.join(NO_DEADLOCK)
            assert not thread.is_alive()
        assert [out for _, out in free] == [[{"pk": {"S": "other"}}], [1], [1]]
        waiting = [_in_thread(lambda: item(backend, "mine", "A")),
                   _in_thread(lambda: _query(backend, "mine")),
                   _in_thread(lambda: backend.call("Scan", {"TableName": "A"})["Count"])]
        for thread, out in waiting:
            thread.join(0.2)
            assert thread.is_alive() and not out  # what a crash now would take back is not shown
    finally:
        released.set()
    for thread, _ in [(writer, wrote), *waiting]:
        thread.join(NO_DEADLOCK)
    assert wrote and [out for _, out in waiting] == [[{"pk": {"S": "mine"}}], [1], [2]]
