"""The stack's HTTP server: keep-alive for SDK clients, no access log, clean stop, clear errors."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
import requests

from webapp.serving import PortInUse, Server


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
