"""``python -m webapp serve`` as a user runs it: the banner, the five ports, a clean stop, and a
restart on the same data directory that keeps users, keys and credentials."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import RunningStack, free_port_block


def test_banner_names_every_endpoint_and_config_points_at_them(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    log = stack.log()
    for url in (f"{stack.host_url}/", stack.sts_url, stack.dynamodb_url, stack.iam_url, stack.s3_url):
        assert url in log
    admin_config = (stack.data_dir / "admin-config").read_text()
    assert all(f"endpoint_url = {url}\n" in admin_config
               for url in (stack.sts_url, stack.dynamodb_url, stack.iam_url, stack.s3_url))
    assert "alice, bob, carol" in log
    # README: "./dev serve also prints the admin profile, for tools of your own"
    assert f"Admin profile: AWS_SHARED_CREDENTIALS_FILE={stack.data_dir.resolve() / 'admin-credentials'}" in log
    config = requests.get(f"{stack.host_url}/config.json", timeout=10).json()
    assert (config["stsEndpoint"], config["dynamodbEndpoint"]) == (stack.sts_url, stack.dynamodb_url)
    assert set(config["tables"]) == {"photos", "photoTags", "profiles", "games", "sessions"}
    # README/--help: "0 stopped by Ctrl-C", and the discovery file goes with the stack
    stack.stop(signal.SIGINT)
    assert stack.process is not None and stack.process.returncode == 0
    assert "Stopping." in stack.log() and "Traceback" not in stack.log()
    assert not (stack.data_dir / "stack.json").exists()


def test_sigterm_stops_cleanly_and_a_restart_keeps_identities_and_credentials(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    alice = stack.login("alice")
    db = stack.dynamodb(alice)
    db.put_item(TableName="Photos", Item={"UserId": {"S": alice.subject}, "PhotoId": {"S": "2026#keep"}})
    stack.stop()
    assert stack.process is not None and stack.process.returncode == 0
    assert "Traceback" not in stack.log()

    stack.start()
    again = stack.login("alice")
    assert again.subject == alice.subject
    # credentials minted before the restart still work after it
    item = stack.dynamodb(alice).get_item(TableName="Photos", Key={"UserId": {"S": alice.subject}, "PhotoId": {"S": "2026#keep"}})
    assert item["Item"]["PhotoId"] == {"S": "2026#keep"}


def test_a_taken_port_moves_the_stack_to_free_ones(tmp_path: Path) -> None:
    base = free_port_block()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", base + 2))
    blocker.listen()
    stack = RunningStack(tmp_path / "data", base)
    try:
        stack.start()
        assert stack.port != base
        assert requests.get(f"{stack.host_url}/healthz", timeout=10).ok
    finally:
        stack.stop()
        blocker.close()


def test_ready_file_is_written_only_when_serving(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    ready = json.loads((stack.data_dir.parent / f"ready-{stack.port}.json").read_text())
    assert ready["url"] == stack.host_url


def test_a_taken_port_is_one_line_on_stderr_and_exit_code_one(tmp_path: Path) -> None:
    """Any of the five ports taken: the servers already bound are stopped, no traceback."""
    base = free_port_block()
    for taken, name in ((base, "host"), (base + 4, "s3")):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", taken))
        blocker.listen()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "webapp", "serve", "--port", str(base), "--data-dir", str(tmp_path / "data")],
                capture_output=True, text=True, timeout=60,
            )
        finally:
            blocker.close()
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert f"port {taken} ({name}) is taken" in lines[0]
        assert "Local stack ready" not in done.stdout


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webapp", "serve", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_a_data_directory_in_use_is_one_line_and_exit_one(stack: RunningStack) -> None:
    """A second ``./dev serve`` on the running stack's data directory (README: "one line on
    stderr"), not the journal lock's traceback; the running stack keeps serving."""
    done = _serve("--port", str(free_port_block()), "--data-dir", str(stack.data_dir))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: another local stack is running on the data "
                                  f"directory {stack.data_dir}")
    assert requests.get(f"{stack.host_url}/healthz", timeout=10).ok


#: (arguments, the one line on stderr, exit code): what cannot be served is said before anything starts.
UNUSABLE = [
    (["--data-dir", "{file}"], "error: cannot use {file} as the data directory: File exists", 1),
    (["--port", "65532"], "error: the port (--port or WEBAPP_PORT) must be 1 to 65531, so "
                          "that it and the next four are ports, not 65532", 2),
    (["--bind", "192.0.2.1", "--port", "{port}"],  # TEST-NET-1 (RFC 5737): no machine has it
     "error: cannot listen on 192.0.2.1: no network interface of this machine has that "
     "address; pass another --bind (or WEBAPP_BIND), e.g. 127.0.0.1", 1),
    (["--backend-url", "http://127.0.0.1:9"], "error: WEBAPP_BACKEND_URL (--backend-url) is set "
     "but no credentials were found for it: set WEBAPP_BACKEND_ACCESS_KEY_ID and WEBAPP_BACKEND_SECRET_ACCESS_KEY, "
     "or configure the AWS default credential chain", 2),
]


@pytest.mark.parametrize(("args", "message", "code"), UNUSABLE,
                         ids=["data-dir-is-a-file", "port-range", "no-such-address", "no-backend-keys"])
def test_what_cannot_be_served_is_one_line(tmp_path: Path, args: list[str], message: str, code: int) -> None:
    file = tmp_path / "a-file"
    file.write_text("")
    data = [] if "--data-dir" in args else ["--data-dir", str(tmp_path / "data")]
    no_aws = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WEBAPP_"))}
    no_aws.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
                  AWS_EC2_METADATA_DISABLED="true")
    done = _serve(*[a.format(file=file, port=free_port_block()) for a in args], *data, env=no_aws)
    assert (done.returncode, done.stderr, done.stdout) == (code, message.format(file=file) + "\n", "")
