"""The stack's HTTP server: keep-alive for SDK clients, no access log, clean stop, clear errors."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import pytest
import requests
from waitress import wasyncore  # type: ignore[import-untyped]

from webapp.serving import EventLoop, PortInUse, Server


def counting_app() -> tuple[Any, list[str]]:
    peers: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        peers.append(f"{environ['REMOTE_ADDR']}:{environ.get('REMOTE_PORT')}")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body) + 2))])
        return [b"ok" + body]

    return app, peers


@pytest.fixture
def served() -> Any:
    app, peers = counting_app()
    server = Server(app, "127.0.0.1", 0, threads=2).start()
    yield server, peers
    server.stop()


def test_one_connection_serves_many_requests(served: Any) -> None:
    server, peers = served
    with requests.Session() as session:
        answers = [session.post(f"http://127.0.0.1:{server.port}/", data=b"x" * n, timeout=10) for n in range(5)]
    assert [a.text for a in answers] == ["ok" + "x" * n for n in range(5)]
    assert all(a.headers.get("Connection", "keep-alive").lower() != "close" for a in answers)
    assert len(set(peers)) == 1, "the client's connection was not kept alive"


def test_no_log_line_holds_a_query_string(served: Any, caplog: pytest.LogCaptureFixture) -> None:
    server, _ = served
    with caplog.at_level(logging.DEBUG):
        response = requests.get(f"http://127.0.0.1:{server.port}/", timeout=10,
                                params={"Action": "AssumeRoleWithWebIdentity", "WebIdentityToken": "eyJsecret"})
    assert response.text == "ok"
    server_side = [r for r in caplog.records if not r.name.startswith("urllib3")]  # urllib3 is the client
    assert "eyJsecret" not in " ".join(r.getMessage() for r in server_side)


def test_a_busy_pool_logs_nothing_per_request(caplog: pytest.LogCaptureFixture) -> None:
    """waitress warns "Task queue depth is N" for every request that finds its workers busy (a
    log record per request under load); the server drops those."""
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = Server(app, "127.0.0.1", 0, threads=1).start()
    answers: list[str] = []
    try:
        with caplog.at_level(logging.DEBUG):
            clients = [threading.Thread(target=lambda: answers.append(
                requests.get(f"http://127.0.0.1:{server.port}/", timeout=30).text)) for _ in range(3)]
            for client in clients:
                client.start()
            deadline = time.monotonic() + 30
            while len(server._server.task_dispatcher.queue) < 2:  # two wait behind the first
                assert time.monotonic() < deadline
                time.sleep(0.01)
            release.set()
            for client in clients:
                client.join(30)
    finally:
        release.set()
        server.stop()
    assert answers == ["ok"] * 3
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("waitress", "webapp"))] == []


def test_stop_ends_the_serving_thread_without_waiting_for_its_poll_to_time_out() -> None:
    """``Server.stop`` wakes the event loop (``EventLoop.wake``): with a poll timeout of an hour,
    the serving thread still ends within the stop (it waited for the poll: ~1 s per server at
    every SIGTERM)."""
    app, _ = counting_app()
    server = Server(app, "127.0.0.1", 0, threads=1)
    server._server.adj.asyncore_loop_timeout = 3600
    server.start()
    assert requests.get(f"http://127.0.0.1:{server.port}/", timeout=10).text == "ok"
    server.stop(timeout=60)  # a deadline for a deadlock only; far below the poll's hour
    assert not server._thread.is_alive()


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as error:
            Server(counting_app()[0], "127.0.0.1", port, name="dynamodb")
    assert f"Address already in use: port {port} (dynamodb)" in str(error.value)


def test_stop_closes_kept_alive_connections_and_the_port() -> None:
    app, _ = counting_app()
    server = Server(app, "127.0.0.1", 0).start()
    port = server.port
    session = requests.Session()
    assert session.get(f"http://127.0.0.1:{port}/", timeout=10).ok
    server.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"http://127.0.0.1:{port}/", timeout=5)
    session.close()


def _ask(sock: socket.socket, body: bytes) -> bytes:
    """One HTTP/1.1 request on a kept-alive raw socket; the answer's body (Content-Length framed)."""
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        rest += chunk
    return rest


def test_settled_connections_are_answered_when_they_speak_again(served: Any) -> None:
    """The event loop stops asking idle kept-alive connections what they want
    (``serving.EventLoop``); each must still be heard when its client sends the next request,
    in any order, and one its client closed is let go."""
    server, peers = served
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(40)]
    try:
        for n, sock in enumerate(sockets):  # each served once, then idle
            assert _ask(sock, b"%d" % n) == b"ok%d" % n
        sockets.pop(7).close()
        for n, sock in reversed(list(enumerate(sockets))):  # each speaks again after all settled
            assert _ask(sock, b"again%d" % n) == b"okagain%d" % n
        assert len(set(peers)) == 40, "a connection was not kept alive"
    finally:
        for sock in sockets:
            sock.close()


def test_a_connection_closed_under_the_loop_is_let_go_and_the_loop_goes_on() -> None:
    """``Server.stop`` closes channels from another thread, so the loop can meet a channel whose
    descriptor is already closed: epoll refuses it (EBADF) where ``poll2`` reported POLLNVAL and
    closed the channel. The loop must do the same, not end (CI once saw the serving thread die)."""
    channels: dict[int, Any] = {}
    mine, peer = socket.socketpair()
    gone, gone_peer = socket.socketpair()
    try:
        alive = wasyncore.dispatcher(mine, map=channels)
        closed = wasyncore.dispatcher(gone, map=channels)
        fd = closed._fileno
        loop = EventLoop(channels, object())  # first, so its epoll cannot take the freed number
        gone.close()  # the descriptor goes; the channel is still in the map, as in the race
        loop.poll(0)
        assert fd not in channels, "the closed channel was not let go"
        assert channels == {alive._fileno: alive}
        loop.poll(0)  # and the loop carries on with the others
    finally:
        for sock in (mine, peer, gone_peer):
            sock.close()


def test_idle_connections_are_still_closed_by_waitress_sweep() -> None:
    """waitress's ``maintenance`` closes connections idle past ``channel_timeout``; the event loop
    notices the channels it marked although they had no event."""
    app, _ = counting_app()
    server = Server(app, "127.0.0.1", 0).start()
    adj = server._server.adj
    adj.channel_timeout, adj.cleanup_interval = 1, 1
    server._server.next_channel_cleanup = 0
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            assert _ask(sock, b"x") == b"okx"
            assert sock.recv(1) == b"", "the idle connection was not closed"
    finally:
        server.stop()
