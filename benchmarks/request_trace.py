"""Where a request's time goes inside our server under ``benchmarks/load.py --trace``.

Installed in the benchmark's server process only (``stack.py --serve-ours`` with
``BENCH_TRACE=FILE``), by wrapping methods, so the code under test is unchanged. It records, with
wall-clock stamps that ``load.py`` splits into its measured windows:

* per request: the wait in waitress's task queue (from the event loop handing the connection to
  the workers to a worker starting it), the service (the WSGI app and writing the response into
  the connection's buffer; its wall time and its thread's CPU time: the difference is waiting for
  the GIL, a lock or the disk) and the wait for the response to leave (from the worker's end to
  the last byte sent: 0 when the worker sent it all itself, as waitress's ``write_soon`` does
  when the socket takes it; the event loop sends what it did not);
* waits for the backend's table and registry locks (``locking.RWLock``), for the journal's
  append lock and its group-commit ``fsync`` (``Journal.write`` / ``sync_through``), each
  ``fsync`` itself;
* every garbage collection (``gc.callbacks``), by generation.

On SIGTERM the records are written to FILE as JSON, and the process exits.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: name -> list of (wall stamp at the end, seconds) or, for requests, a tuple per request.
EVENTS: dict[str, list[Any]] = defaultdict(list)


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    record = EVENTS[name].append
    clock = time.perf_counter

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = clock()
        try:
            return function(*args, **kwargs)
        finally:
            record((time.time(), clock() - began))

    return wrapper


def install(path: Path) -> None:
    from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
    from waitress.task import Task, ThreadedTaskDispatcher  # type: ignore[import-untyped]

    from webapp.backend import journal, locking

    requests = EVENTS["requests"]
    add_task = ThreadedTaskDispatcher.add_task

    def traced_add_task(self: Any, task: Any) -> None:
        task._trace_queued = time.time()
        add_task(self, task)

    service = HTTPChannel.service

    def traced_service(self: Any) -> None:
        started = time.time()
        request = self.requests[0] if self.requests else None
        target = request.headers.get("X_AMZ_TARGET", "") if request is not None else ""
        # [operation, queued, started, ended, service CPU, sent]: ended and CPU are set by the
        # task (before the channel pulls the event loop's trigger), sent by the loop's flush.
        self._trace_pending = self._trace_row = row = [
            target.rpartition(".")[2], getattr(self, "_trace_queued", started), started, None, None, None]
        service(self)
        requests.append(row)

    task_service = Task.service

    def traced_task_service(self: Any) -> None:
        cpu = time.thread_time()
        try:
            task_service(self)
        finally:
            row = getattr(self.channel, "_trace_row", None)
            if row is not None:
                row[4] = time.thread_time() - cpu
                row[3] = time.time()

    flush = HTTPChannel._flush_some

    def traced_flush(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = flush(self, *args, **kwargs)
        row = getattr(self, "_trace_pending", None)
        if row is not None and not self.total_outbufs_len:  # (by the worker itself: before "ended")
            row[5] = time.time()
            self._trace_pending = None
        return result

    ThreadedTaskDispatcher.add_task = traced_add_task
    HTTPChannel.service = traced_service
    HTTPChannel._flush_some = traced_flush
    Task.service = traced_task_service
    for method in ("acquire_read", "acquire_write"):
        setattr(locking.RWLock, method, _timed(f"lock.{method}", getattr(locking.RWLock, method)))
    journal.Journal.write = _timed("journal.write", journal.Journal.write)
    journal.Journal.sync_through = _timed("journal.sync_through", journal.Journal.sync_through)
    journal.Journal._fsync = _timed("journal.fsync", journal.Journal._fsync)

    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[threading.get_ident()] = time.perf_counter()
        else:
            began = gc_started.pop(threading.get_ident(), None)
            if began is not None:
                EVENTS[f"gc.gen{info['generation']}"].append((time.time(), time.perf_counter() - began))

    gc.callbacks.append(on_gc)

    def dump(*_: Any) -> None:
        path.write_text(json.dumps(EVENTS))
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def summarize(path: Path, windows: list[tuple[str, float, float]], out: Any = sys.stdout) -> None:
    """Print, per (label, start, end) window, where the server's request time went."""
    events = json.loads(path.read_text())
    for label, start, end in windows:
        print(f"\ntrace of {label} (ms; server side):", file=out)
        rows = [r for r in events.get("requests", []) if r[3] is not None and start <= r[3] <= end]
        by_op: dict[str, list[list[Any]]] = defaultdict(list)
        for row in rows:
            by_op[row[0] or "(other)"].append(row)
        by_op["all"] = rows
        print(f"  {'request':<18}{'n':>6}{'queue p50/p99':>16}{'service p50/p99':>18}{'cpu p50/p99':>14}"
              f"{'send p50/p99':>15}", file=out)
        for op, group in sorted(by_op.items()):
            queue = [(r[2] - r[1]) * 1000 for r in group]
            serve = [(r[3] - r[2]) * 1000 for r in group]
            cpu = [r[4] * 1000 for r in group]
            send = [max(0.0, r[5] - r[3]) * 1000 for r in group if r[5] is not None]
            print(f"  {op:<18}{len(group):>6}{_pct(queue, 50):>8.2f}/{_pct(queue, 99):<7.1f}"
                  f"{_pct(serve, 50):>9.2f}/{_pct(serve, 99):<8.1f}{_pct(cpu, 50):>6.2f}/{_pct(cpu, 99):<7.2f}"
                  f"{_pct(send, 50):>7.2f}/{_pct(send, 99):<7.1f}", file=out)
        print(f"  {'wait':<22}{'n':>6}{'p50':>8}{'p99':>8}{'max':>8}{'sum s':>8}", file=out)
        for name in sorted(k for k in events if k != "requests"):
            values = [v * 1000 for at, v in events[name] if start <= at <= end]
            if values:
                print(f"  {name:<22}{len(values):>6}{_pct(values, 50):>8.2f}{_pct(values, 99):>8.2f}"
                      f"{max(values):>8.1f}{sum(values) / 1000:>8.2f}", file=out)
