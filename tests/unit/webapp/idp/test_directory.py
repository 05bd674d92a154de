"""Users of the dev provider: names, stable subs, and sharing the file between processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.clock import ManualClock
from webapp.idp.directory import InvalidUser, UnknownUser, UserDirectory, UserExists


@pytest.fixture
def users(tmp_path: Path) -> UserDirectory:
    return UserDirectory(tmp_path / "idp" / "users.json", ManualClock())


def test_the_demo_users_exist_from_the_start(users: UserDirectory) -> None:
    assert users.names() == ["alice", "bob", "carol"]
    assert users.get("alice").plan == "pro" and users.get("alice").role == "moderator"
    assert {users.get(n).plan for n in ("bob", "carol")} == {"free"}


@pytest.mark.parametrize(("name", "stored"), [
    pytest.param("dave", "dave", id="lower case"),
    pytest.param("Dave", "dave", id="names are case-insensitive, stored lower-case"),
    pytest.param("  erin ", "erin", id="surrounding blanks are trimmed"),
    pytest.param("frank.o-k_1", "frank.o-k_1", id="dots, dashes, underscores, digits"),
    pytest.param("x" * 32, "x" * 32, id="32 characters"),
])
def test_accepted_names(users: UserDirectory, name: str, stored: str) -> None:
    user = users.add(name)
    assert user.name == stored and users.get(stored) == user
    assert user.display_name == stored.capitalize() and user.email == f"{stored}@example.org"


@pytest.mark.parametrize("name", [
    pytest.param("a", id="too short for a RoleSessionName (2-64)"),
    pytest.param("x" * 33, id="too long"),
    pytest.param("-dash", id="must start with a letter or digit"),
    pytest.param("two words", id="no spaces"),
    pytest.param("ünï", id="ASCII only"),
    pytest.param("a/b", id="no slashes"),
    pytest.param("", id="empty"),
])
def test_refused_names_leave_the_directory_unchanged(users: UserDirectory, name: str) -> None:
    with pytest.raises(InvalidUser, match="invalid user name"):
        users.add(name)
    assert users.names() == ["alice", "bob", "carol"]


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({"display_name": ""}, "invalid display name", id="empty display name"),
    pytest.param({"display_name": "x" * 61}, "invalid display name", id="display name over 60"),
    pytest.param({"display_name": "a\nb"}, "invalid display name", id="control characters"),
    pytest.param({"email": "not-an-address"}, "invalid e-mail", id="e-mail without @"),
])
def test_refused_details(users: UserDirectory, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidUser, match=message):
        users.add("dave", **kwargs)
    assert users.find("dave") is None


def test_a_taken_name_is_refused_and_keeps_its_sub(users: UserDirectory) -> None:
    sub = users.get("bob").sub
    with pytest.raises(UserExists):
        users.add("BOB")
    assert users.get("bob").sub == sub and users.names().count("bob") == 1


def test_an_unknown_user_is_named_with_the_known_ones(users: UserDirectory) -> None:
    with pytest.raises(UnknownUser, match="unknown user 'zed'; known users: alice, bob, carol"):
        users.get("zed")


def test_two_directories_on_one_file_see_each_others_additions(tmp_path: Path) -> None:
    """The running stack and ``python -m webapp users add`` are separate processes on one file."""
    path = tmp_path / "users.json"
    server, cli = UserDirectory(path, ManualClock()), UserDirectory(path, ManualClock())
    assert server.names() == cli.names()
    cli.add("dave")
    assert "dave" in server.names()
    server.add("erin")
    assert cli.names() == ["alice", "bob", "carol", "dave", "erin"]
    assert server.get("dave").sub == cli.get("dave").sub
