"""The dev provider's users, in ``<data>/idp/users.json``.

Each user has a ``sub`` that is a random, stable identifier and never the user name: OpenID
Connect Core §2 says ``sub`` is "a locally unique and never reassigned identifier", and the app
uses it as the DynamoDB partition key checked by ``dynamodb:LeadingKeys``
(``${idp.localhost/dev:sub}``), so renaming or re-adding a name must never hand over someone's
items. The demo users alice, bob and carol are created on first start; their plan and role seed
the Profiles table (docs/data-model.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from webapp.idp.jsonfile import Document, JsonFile

#: Names double as ``preferred_username`` and as STS ``RoleSessionName`` (2-64 of ``[\w+=,.@-]``).
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
DISPLAY_NAME_MAX = 60
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")


@dataclass(frozen=True)
class User:
    name: str
    sub: str
    display_name: str
    email: str
    plan: str = "free"
    role: str = "member"
    created_at: int = 0


#: (name, display name, plan, role): docs/data-model.md, Profiles.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("alice", "Alice", "pro", "moderator"),
    ("bob", "Bob", "free", "member"),
    ("carol", "Carol", "free", "member"),
)


class InvalidUser(ValueError):
    """A name, display name or e-mail address that the provider does not accept."""


class UserExists(ValueError):
    """The name is taken."""


class UnknownUser(LookupError):
    """No user has that name."""


def normalize_name(name: str) -> str:
    """The canonical (lower-case) form of a user name, or ``InvalidUser`` saying what is allowed."""
    canonical = name.strip().lower()
    if not NAME_PATTERN.match(canonical):
        raise InvalidUser(
            f"invalid user name {name!r}: use 2 to 32 characters, lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return canonical


def _new_user(name: str, *, display_name: str | None, email: str | None, plan: str, role: str,
              now: int) -> User:
    display = (display_name if display_name is not None else name.capitalize()).strip()
    if not display or len(display) > DISPLAY_NAME_MAX or any(ord(c) < 32 for c in display):
        raise InvalidUser(f"invalid display name: use 1 to {DISPLAY_NAME_MAX} printable characters")
    address = (email if email is not None else f"{name}@example.org").strip()
    if not EMAIL_PATTERN.match(address):
        raise InvalidUser(f"invalid e-mail address {address!r}")
    return User(name=name, sub=str(uuid.uuid4()), display_name=display, email=address,
                plan=plan, role=role, created_at=now)


def _initial(clock: Callable[[], float]) -> Callable[[], Document]:
    def make() -> Document:
        now = int(clock())
        users = [
            asdict(_new_user(name, display_name=display, email=None, plan=plan, role=role, now=now))
            for name, display, plan, role in DEMO_USERS
        ]
        return {"users": users}

    return make


class UserDirectory:
    """The users, shared between the running stack and ``python -m webapp users``."""

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._file = JsonFile(path, _initial(clock))

    def names(self) -> list[str]:
        return [raw["name"] for raw in self._file.read()["users"]]

    def all(self) -> list[User]:
        return [User(**raw) for raw in self._file.read()["users"]]

    def find(self, name: str) -> User | None:
        canonical = name.strip().lower()
        for raw in self._file.read()["users"]:
            if raw["name"] == canonical:
                return User(**raw)
        return None

    def get(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            known = ", ".join(self.names())
            raise UnknownUser(f"unknown user {name!r}; known users: {known}")
        return user

    def by_sub(self, sub: str) -> User | None:
        for raw in self._file.read()["users"]:
            if raw["sub"] == sub:
                return User(**raw)
        return None

    def add(self, name: str, *, display_name: str | None = None, email: str | None = None,
            plan: str = "free", role: str = "member") -> User:
        canonical = normalize_name(name)
        user = _new_user(canonical, display_name=display_name, email=email, plan=plan, role=role,
                         now=int(self._clock()))

        def change(doc: Document) -> None:
            if any(raw["name"] == canonical for raw in doc["users"]):
                raise UserExists(f"user {canonical!r} already exists")
            doc["users"].append(asdict(user))

        self._file.update(change)
        return user

    def ensure(self) -> None:
        """Create the file (with the demo users) if it does not exist yet."""
        self._file.read()
