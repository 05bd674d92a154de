"""``dev-token`` and ``users`` as commands, each in a subprocess, with no server running.

They run as ``python -m webapp.idp.devtoken`` / ``python -m webapp.idp.users``: the same
``configure``/``run`` that ``python -m webapp dev-token|users`` dispatches to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from webapp.idp import IdentityProvider
from webapp.settings import Settings

ROOT = Path(__file__).resolve().parents[4]


def command(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", f"webapp.idp.{module}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_dev_token_is_signed_with_the_keys_the_stack_publishes(data_dir: Path) -> None:
    provider = IdentityProvider.open(Settings(data_dir=data_dir))  # as the running stack would
    out = command("devtoken", "alice", "--data-dir", str(data_dir),
                  "--claim", 'aud="other"', "--claim", "custom=[1, 2]", "--claim", "email=null",
                  "--lifetime", "-30")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    claims = jwt.decode(token, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"]).claims
    assert claims["sub"] == provider.users.get("alice").sub
    assert claims["aud"] == "other" and claims["custom"] == [1, 2] and "email" not in claims
    assert claims["exp"] - claims["iat"] == -30
    assert claims["iss"] == "https://idp.localhost/dev"


def test_dev_token_creates_the_provider_state_on_first_use(data_dir: Path) -> None:
    out = command("devtoken", "bob", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    provider = IdentityProvider.open(Settings(data_dir=data_dir))
    claims = jwt.decode(out.stdout.strip(), KeySet.import_key_set(provider.jwks()), algorithms=["RS256"]).claims
    assert claims["sub"] == provider.users.get("bob").sub


@pytest.mark.parametrize(("args", "code", "message"), [
    pytest.param(["zed"], 1, "unknown user 'zed'; known users: alice, bob, carol", id="unknown user"),
    pytest.param(["alice", "--claim", "exp"], 2, "expected NAME=JSON", id="claim without a value"),
    pytest.param(["alice", "--claim", "aud=other"], 2, "the value is not JSON", id="claim value not JSON"),
])
def test_dev_token_errors_say_what_to_do(data_dir: Path, args: list[str], code: int, message: str) -> None:
    out = command("devtoken", *args, "--data-dir", str(data_dir))
    assert out.returncode == code
    assert message in out.stderr and out.stdout == ""
    assert "Traceback" not in out.stderr


def test_users_add_then_list(data_dir: Path) -> None:
    added = command("users", "--data-dir", str(data_dir), "add", "Dave", "--email", "dave@example.net",
                    "--display-name", "Dave D.", "--format", "json")
    assert added.returncode == 0, added.stderr
    dave = json.loads(added.stdout)
    assert dave["name"] == "dave" and dave["email"] == "dave@example.net" and dave["display_name"] == "Dave D."

    listed = command("users", "list", "--format", "json", "--data-dir", str(data_dir))
    assert [u["name"] for u in json.loads(listed.stdout)] == ["alice", "bob", "carol", "dave"]
    text = command("users", "list", "--data-dir", str(data_dir)).stdout.splitlines()
    assert text[0].split()[:2] == ["NAME", "SUB"]
    assert text[-1].split()[:2] == ["dave", dave["sub"]]
    # The running provider sees the addition without a restart.
    provider = IdentityProvider.open(Settings(data_dir=data_dir))
    assert provider.users.get("dave").sub == dave["sub"]


@pytest.mark.parametrize(("name", "message"), [
    pytest.param("alice", "already exists", id="taken"),
    pytest.param("x", "invalid user name", id="invalid"),
])
def test_users_add_refusals(data_dir: Path, name: str, message: str) -> None:
    out = command("users", "add", name, "--data-dir", str(data_dir))
    assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr
    assert command("users", "list", "--data-dir", str(data_dir)).stdout.count("\n") == 4


def test_key_rotation_command_publishes_old_and_new_until_retired(data_dir: Path) -> None:
    provider = IdentityProvider.open(Settings(data_dir=data_dir))
    old_token = provider.mint_id_token("alice")
    old_kid = provider.jwks()["keys"][0]["kid"]

    rotated = json.loads(command("keycmd", "--data-dir", str(data_dir), "--format", "json", "rotate").stdout)
    assert rotated["kids"] == [rotated["signing"], old_kid]
    new_token = jwt.decode(provider.mint_id_token("bob"), KeySet.import_key_set(provider.jwks()), algorithms=["RS256"])
    assert new_token.header["kid"] == rotated["signing"]
    jwt.decode(old_token, KeySet.import_key_set(provider.jwks()), algorithms=["RS256"])

    assert command("keycmd", "--data-dir", str(data_dir), "retire", "--keep", "0").returncode == 2
    assert len(provider.jwks()["keys"]) == 2
    retired = command("keycmd", "--data-dir", str(data_dir), "retire")
    assert retired.stdout.split() == [rotated["signing"], "signing"]
    assert [k["kid"] for k in provider.jwks()["keys"]] == [rotated["signing"]]


def test_python_m_webapp_dispatches_to_both_commands(data_dir: Path) -> None:
    def webapp(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "webapp", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)

    added = webapp("users", "add", "zoe", "--data-dir", str(data_dir))
    assert added.returncode == 0, added.stderr
    token = webapp("dev-token", "zoe", "--data-dir", str(data_dir), "--claim", "nonce=\"n\"")
    assert token.returncode == 0, token.stderr
    provider = IdentityProvider.open(Settings(data_dir=data_dir))
    claims = jwt.decode(token.stdout.strip(), KeySet.import_key_set(provider.jwks()), algorithms=["RS256"]).claims
    assert claims["sub"] == provider.users.get("zoe").sub and claims["nonce"] == "n"
