"""Serving the stack's WSGI apps over HTTP/1.1 with keep-alive (waitress).

Every AWS SDK (boto3, the browser's JavaScript SDK) keeps its connections open between calls.
Werkzeug's development server closes each connection after one response and then drains it
for up to 10 ms, so every call paid a new TCP connection and a new thread: about a quarter of a
GetItem's time through the whole stack (benchmarks/stack.py). waitress keeps connections alive,
reads whole bodies before the app sees them (chunked and ``Expect: 100-continue`` included), runs
a fixed pool of worker threads, and writes no access log, so no query string (an ID token sent to
STS by GET, an OAuth ``code`` on the host's callback) ever reaches a log.
"""

from __future__ import annotations

import errno
import gc
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]
from waitress.wasyncore import readwrite  # type: ignore[import-untyped]

WSGIApp = Callable[..., Iterable[bytes]]

#: Bodies past this are cut off by the server itself (a plain 413, connection closed).
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Open connections accepted at once, and the kernel's queue of connections not yet accepted.
#: waitress's defaults (100, 1024) stop accepting during bursts such as a test suite's thousand
#: parallel sockets (issue 13: "hit its connection limit hundreds of times"); idle kept-alive
#: connections cost a socket each, no thread. ``poll`` because ``select`` cannot watch
#: descriptors past 1024. Measured by ``benchmarks/burst.py``.
CONNECTION_LIMIT = 4096
BACKLOG = 4096


class _Channel(HTTPChannel):  # type: ignore[misc]
    """waitress's channel, without its hang on ``Expect: 100-continue`` with an empty body.

    waitress 3.0 answers such a request with ``100 Continue`` and then marks the already complete
    request as waiting for its body again, which never comes: the client waits until its timeout.
    boto3 sends exactly that for an empty S3 ``PutObject`` (an empty export segment). A body of
    length 0 needs no invitation (RFC 9110 §10.1.1: a server "MAY omit sending a 100 (Continue)
    response if it has already received some or all of the content"), so none is sent."""

    def send_continue(self) -> None:
        request = self.request
        if request is not None and not request.chunked and request.content_length == 0:
            request.expect_continue = False
            return
        super().send_continue()


class EventLoop:
    """waitress's event loop (``wasyncore.poll2``) without its pass over every open connection on
    every wakeup.

    ``poll2`` builds a new ``poll`` set on each pass, asking every connection ``readable()`` and
    ``writable()``, and passes come several times per request (the request, the worker's trigger).
    With the SDK's kept-alive connections that work grows with the number of clients: a trivial
    app served 215 µs of server CPU per request beside no idle connection and 345 µs beside 64
    (measured with a keep-alive client on this machine), and ``benchmarks/load.py`` served fewer
    operations per second to 64 users than to 16 (issue 11).

    Here an ``epoll`` set keeps each descriptor's interest between passes, and a pass asks only
    the connections that can have changed: those with an event in the last pass, those with a
    request in progress or output to send (a worker thread changes only those, and pulls the
    trigger when it has), and new ones. A connection that waits for its client with nothing in
    progress is *settled*: it is asked again when its client sends something (an event) or on a
    full pass, made every second and after waitress's idle-connection sweep (``maintenance``,
    run from the server's ``readable()``, which is asked on every pass). The interest computed for
    a connection is exactly ``poll2``'s, and events go to the same ``readwrite``.
    """

    #: Seconds between full passes (anything this class did not foresee is seen within one).
    FULL_PASS = 1.0
    _READ = select.POLLIN | select.POLLPRI

    def __init__(self, channels: MutableMapping[int, Any], maintained: Any) -> None:
        self._map = channels
        self._server = maintained
        self._epoll = select.epoll()
        #: fd -> (dispatcher, interest) as registered with epoll (no entry: not registered).
        self._registered: dict[int, tuple[Any, int]] = {}
        #: Descriptors asked again on the next pass.
        self._watch: set[int] = set()
        self._full_at = 0.0
        self._cleanup_at: float | None = None
        #: ``wake`` writes to this pipe, watched by the epoll set outside the channels' map.
        self._wakeup = os.pipe()
        os.set_blocking(self._wakeup[0], False)
        os.set_blocking(self._wakeup[1], False)
        self._epoll.register(self._wakeup[0], self._READ)
        self._woken = threading.Lock()

    def run(self, timeout: float) -> None:
        try:
            while self._map:
                self.poll(timeout)
        finally:
            self._epoll.close()

    def wake(self) -> None:
        """End the current wait now (``Server.stop``: with every channel closed, ``run`` then
        returns at once instead of at the end of a poll of up to a second: a SIGTERM stopped
        each of the stack's five servers ~1 s after the last of its connections)."""
        with self._woken:
            if self._wakeup[1] >= 0:
                try:
                    os.write(self._wakeup[1], b"x")
                except BlockingIOError:  # woken already
                    pass

    def close(self) -> None:
        """Release the wake-up pipe (once ``run`` has returned)."""
        with self._woken:
            for fd in self._wakeup:
                if fd >= 0:
                    os.close(fd)
            self._wakeup = (-1, -1)

    def poll(self, timeout: float) -> None:
        channels, registered, watch = self._map, self._registered, self._watch
        for fd in [fd for fd, (obj, _) in registered.items() if channels.get(fd) is not obj]:
            self._forget(fd)  # closed, or its number reused by a new connection
        now = time.monotonic()
        cleanup_at = getattr(self._server, "next_channel_cleanup", None)
        if now >= self._full_at or cleanup_at != self._cleanup_at:
            self._full_at, self._cleanup_at = now + self.FULL_PASS, cleanup_at
            watch.update(channels)
        else:
            watch.update(channels.keys() - registered.keys())
        for fd in list(watch):
            obj = channels.get(fd)
            if obj is None:
                watch.discard(fd)
                continue
            interest = 0
            if obj.readable():
                interest |= self._READ
            if obj.writable() and not obj.accepting:
                interest |= select.POLLOUT
            self._register(fd, obj, interest)
            if interest == self._READ and _settled(obj):
                watch.discard(fd)
        for fd, flags in self._epoll.poll(timeout):
            if fd == self._wakeup[0]:
                try:
                    os.read(fd, 4096)
                except BlockingIOError:
                    pass
                continue
            obj = channels.get(fd)
            if obj is not None:
                readwrite(obj, flags)
                watch.add(fd)

    def _register(self, fd: int, obj: Any, interest: int) -> None:
        known = self._registered.get(fd)
        if interest == 0:  # as poll2: not watched at all (not even for a hang-up) while busy
            if known is not None:
                self._forget(fd)
            return
        if known is not None and known[1] == interest and known[0] is obj:
            return
        try:
            try:
                if known is None:
                    self._epoll.register(fd, interest)
                else:
                    self._epoll.modify(fd, interest)
            except FileExistsError:
                self._epoll.modify(fd, interest)
            except FileNotFoundError:  # the kernel dropped it when the descriptor was closed
                self._epoll.register(fd, interest)
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise
            # Closed under us (``Server.stop`` closes channels from another thread): ``poll2``
            # would see POLLNVAL and close the channel; so do we, instead of ending the loop.
            self._forget(fd)
            self._watch.discard(fd)
            readwrite(obj, select.POLLNVAL)
            return
        self._registered[fd] = (obj, interest)

    def _forget(self, fd: int) -> None:
        self._registered.pop(fd, None)
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):  # already closed: the kernel forgot it itself
            pass


def _settled(obj: Any) -> bool:
    """A connection waiting for its client with nothing in progress, nothing to send, not closing:
    only an event (or ``maintenance``) changes what it wants."""
    return (isinstance(obj, HTTPChannel) and not obj.requests and not obj.total_outbufs_len
            and not obj.will_close and not obj.close_when_flushed)


#: A logger that drops what it is given (see ``Server.__init__``).
_QUIET = logging.getLogger("webapp.serving.queue")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
_QUIET.setLevel(logging.CRITICAL + 1)


#: The cyclic collector's first threshold in a serving process (Python's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """The interpreter settings of a process that serves the stack, once it has started.

    * ``gc.freeze()``: what exists once the stack is up (modules, apps, keys, policies, the
      loaded data) lives as long as the process; out of the cyclic collector's generations, a full
      collection walks only what came since (the backend freezes its data after start-up and
      after each compaction for the same reason).
    * A young-generation threshold of ``GC_YOUNG_THRESHOLD`` allocations instead of 700: a
      request's objects mostly die by reference counting within it, but each young collection
      promotes whatever is in flight at that moment, and the promoted pile triggers the full
      collections, which stop every thread for their whole walk (``benchmarks/load.py --trace``:
      1-2 full collections per 10 s at 16 users, 55-320 ms each on a loaded machine, against a
      GetItem of about 1 ms of CPU). Fourteen times fewer young collections promote about that
      many times fewer in-flight objects; each young collection walks at most 10,000 objects
      (a millisecond or so).
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


class PortInUse(OSError):
    """The port is taken; the message says which, in the words the stack's users grep for."""


class Server:
    """One app on one port, served by a background thread until ``stop()``."""

    def __init__(self, app: WSGIApp, host: str, port: int, *, threads: int = 8, name: str = "") -> None:
        self.name = name or f"serve:{port}"
        try:
            self._server: Any = create_server(
                app, host=host, port=port, threads=threads,
                ident="Server",  # what AWS endpoints send; no implementation details
                expose_tracebacks=False, clear_untrusted_proxy_headers=True,
                # The apps answer oversized requests in their service's words (DynamoDB's JSON 413
                # past 16 MB, from Content-Length, before parsing or hashing); waitress only stops
                # bodies no client of ours could mean, and spools large ones to disk meanwhile.
                max_request_body_size=MAX_BODY_BYTES,
                connection_limit=CONNECTION_LIMIT, backlog=BACKLOG, asyncore_use_poll=True,
            )
        except OSError as exc:
            raise PortInUse(
                exc.errno, f"Address already in use: port {port} ({self.name}) is taken by another program; "
                           "choose another --port or stop that program"
            ) from exc
        self._server.channel_class = _Channel
        # waitress logs "Task queue depth is N" (a warning) on every request that finds its
        # workers busy: one log record per request at 64 users, printed by Python's last-resort
        # handler when no logging is configured, on the path every queued request takes.
        self._server.task_dispatcher.queue_logger = _QUIET
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._loop: EventLoop | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def _run(self) -> None:
        server = self._server
        if not hasattr(select, "epoll"):  # not Linux: waitress's own loop
            server.run()
            return
        self._loop = EventLoop(server._map, server)
        try:
            self._loop.run(server.adj.asyncore_loop_timeout)
        except (SystemExit, KeyboardInterrupt):
            server.task_dispatcher.shutdown()

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, close kept-alive connections, and let the worker threads finish.

        Also called on servers that never started (another of the stack's ports was taken), whose
        thread has nothing to join.
        """
        server = self._server
        server.close()
        for channel in list(server._map.values()):
            channel.close()
        loop = self._loop
        if loop is not None:
            loop.wake()  # every channel is closed: the loop ends now, not when its poll times out
        server.task_dispatcher.shutdown(timeout=timeout)
        if self._thread.ident is not None:
            self._thread.join(timeout)
        if loop is not None and not self._thread.is_alive():
            loop.close()
