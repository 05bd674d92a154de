"""``python -m webapp top`` without a stack: one line and exit code 1 (README: ``python -m webapp``
commands exit 1 when they cannot do what was asked), never a traceback;
and the sparkline's scale."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from webapp.__main__ import main
from webapp.cli.top import sparkline


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(("env", "expected"), [
    ({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}, "error: no local stack at "),
    ({}, "error: no AWS credentials found for http://127.0.0.1:"),
])
def test_failures_are_one_line_with_exit_code_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path, env: dict[str, str], expected: str) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["top", "--once", "--endpoint-url", f"http://127.0.0.1:{closed_port()}",
                 "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(expected) and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("values", "expected"), [
    ([0, 0, 0], "   "),                 # nothing happened: blank, not a floor of bars
    ([0, 1, 2, 4, 8], " ▁▂▄█"),         # scaled to the peak
    ([5], "█"),
])
def test_sparkline(values: list[float], expected: str) -> None:
    assert sparkline(values) == expected
