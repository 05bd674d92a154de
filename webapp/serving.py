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

import threading
from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]

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
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

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
        server.task_dispatcher.shutdown(timeout=timeout)
        if self._thread.ident is not None:
            self._thread.join(timeout)
