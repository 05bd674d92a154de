"""Temporary credentials minted by the local STS, and the static keys of service principals.

A session token is self-describing: it carries the session (role, session name, expiry, session
policy, web-identity keys) and a MAC under a key kept in the data directory, and the secret
access key is derived from the access key id with the same key. So credentials survive a restart
(or a crash) with no session database, and a token cannot be forged, altered or moved to another
access key. This mirrors what AWS promises: "make no assumptions about the maximum size" of the
token (STS API reference, AssumeRoleWithWebIdentity, Credentials).

Static keys (``AKIA...``) belong to service principals (the host, the admin); they are bound to
a role whose policies apply to them, and are stored in ``<data>/keys/service-keys.json``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.clock import Clock, system_clock
from webapp.files import write_private, write_private_if_changed

_TOKEN_PREFIX = "LoCaL"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

PrincipalValue = str | Sequence[str]


class UnknownCredentials(Exception):
    """The access key is not known, or the session token does not belong to it."""


class ExpiredCredentials(Exception):
    """The session token was valid but has expired."""


@dataclass(frozen=True)
class Principal:
    """Who signed a request: an assumed-role session (temporary or service key)."""

    arn: str
    role_arn: str
    role_id: str
    session_name: str
    access_key_id: str
    temporary: bool
    expiration: float | None = None
    issued_at: float | None = None
    #: Inline session policy (JSON text) passed to AssumeRoleWithWebIdentity, if any.
    session_policy: str | None = None
    session_policy_arns: tuple[str, ...] = ()
    #: Principal and session condition keys, usable as ``${...}`` and in conditions
    #: (``aws:userid``, ``aws:PrincipalArn``, ``<provider>:sub``, ...).
    variables: Mapping[str, PrincipalValue] = field(default_factory=dict)

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def web_identity_subject(self) -> str | None:
        for key, value in self.variables.items():
            if key.endswith(":sub") and isinstance(value, str):
                return value
        return None


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float


@dataclass(frozen=True)
class ServiceKey:
    access_key_id: str
    secret_access_key: str
    role_arn: str
    session_name: str
    role_id: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def random_id(prefix: str, length: int) -> str:
    """An AWS-style unique id: a prefix naming its kind (``AKIA`` long-term key, ``ASIA``
    temporary key, ``ANPA`` managed policy) and ``length`` random base32 characters (IAM UG, "IAM
    identifiers", "Understand unique ID prefixes")."""
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(length))


def role_id_for(role_arn: str) -> str:
    """A stable, AWS-looking role id (``AROA`` + 17 characters) for a role ARN."""
    digest = hashlib.sha256(role_arn.encode()).digest()
    return "AROA" + "".join(_KEY_ALPHABET[b % 32] for b in digest[:17])


def assumed_role_arn(role_arn: str, session_name: str) -> str:
    """``arn:aws:iam::A:role/path/Name`` -> ``arn:aws:sts::A:assumed-role/Name/session``."""
    prefix, _, resource = role_arn.partition(":role/")
    partition_account = prefix.replace(":iam:", ":sts:", 1)
    return f"{partition_account}:assumed-role/{resource.rsplit('/', 1)[-1]}/{session_name}"


class CredentialAuthority:
    """Mints and resolves credentials. Thread-safe: all state is immutable after construction,
    except the service-key table, which is replaced wholesale."""

    def __init__(self, master_key: bytes, clock: Clock = system_clock,
                 service_keys: Mapping[str, ServiceKey] | None = None) -> None:
        if len(master_key) < 32:
            raise ValueError("the credential master key must be at least 32 bytes")
        self._key = master_key
        self._clock = clock
        self._service_keys = dict(service_keys or {})

    # Persistence ---------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, clock: Clock = system_clock) -> CredentialAuthority:
        """Load (or create on first use) the master key and service keys under ``data_dir/keys``."""
        keys_dir = data_dir / "keys"
        keys_dir.mkdir(parents=True, exist_ok=True)
        key_file = keys_dir / "credentials.key"
        if not key_file.exists():
            write_private(key_file, secrets.token_bytes(32))
        authority = cls(key_file.read_bytes(), clock)
        service_file = keys_dir / "service-keys.json"
        if service_file.exists():
            raw = json.loads(service_file.read_text())
            authority._service_keys = {k: ServiceKey(**v) for k, v in raw.items()}
        return authority

    def save_service_keys(self, data_dir: Path) -> None:
        raw = {k: v.__dict__ for k, v in self._service_keys.items()}
        write_private_if_changed(data_dir / "keys" / "service-keys.json", json.dumps(raw, indent=2).encode())

    def ensure_service_key(self, role_arn: str, session_name: str) -> ServiceKey:
        """The static key of the service principal ``session_name`` acting as ``role_arn``."""
        for key in self._service_keys.values():
            if key.role_arn == role_arn and key.session_name == session_name:
                return key
        key = ServiceKey(
            access_key_id=random_id("AKIA", 16),
            secret_access_key=secrets.token_urlsafe(30)[:40],
            role_arn=role_arn,
            session_name=session_name,
            role_id=role_id_for(role_arn),
        )
        self._service_keys = {**self._service_keys, key.access_key_id: key}
        return key

    # Minting -------------------------------------------------------------------------------

    def mint_session(
        self,
        *,
        role_arn: str,
        session_name: str,
        duration_seconds: int,
        variables: Mapping[str, PrincipalValue] | None = None,
        session_policy: str | None = None,
        session_policy_arns: Sequence[str] = (),
    ) -> SessionCredentials:
        """Temporary credentials for ``session_name`` in ``role_arn``, valid ``duration_seconds``."""
        now = self._clock()
        access_key_id = random_id("ASIA", 16)
        expires = int(now) + duration_seconds
        claims: dict[str, Any] = {
            "k": access_key_id,
            "r": role_arn,
            "s": session_name,
            "i": int(now),
            "e": expires,
            "p": session_policy,
            "pa": list(session_policy_arns),
            "v": dict(variables or {}),
            "n": secrets.token_hex(8),
        }
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        token = f"{_TOKEN_PREFIX}{payload}.{_b64(self._mac(b'token', payload.encode()))}"
        return SessionCredentials(access_key_id, self._secret_for(access_key_id), token, expires)

    def _mac(self, purpose: bytes, message: bytes) -> bytes:
        return hmac.new(self._key, purpose + b"\0" + message, hashlib.sha256).digest()

    def _secret_for(self, access_key_id: str) -> str:
        return _b64(self._mac(b"secret", access_key_id.encode()))[:40]

    # Resolving -----------------------------------------------------------------------------

    def secret_for(self, access_key_id: str, session_token: str | None) -> tuple[str, Principal]:
        """The secret key to verify a signature with, and the principal the key belongs to.

        Raises ``UnknownCredentials`` for an unknown key, a temporary key without (or with a
        foreign or altered) session token, and ``ExpiredCredentials`` for an expired session.
        """
        if access_key_id in self._service_keys:
            if session_token:
                raise UnknownCredentials("a long-term key does not take a session token")
            key = self._service_keys[access_key_id]
            principal = _service_principal(key)
            return key.secret_access_key, principal
        if not access_key_id.startswith("ASIA") or not session_token:
            raise UnknownCredentials("unknown access key")
        claims = self._open_token(session_token)
        if not hmac.compare_digest(str(claims.get("k", "")), access_key_id):
            raise UnknownCredentials("the session token belongs to another access key")
        if self._clock() >= claims["e"]:
            raise ExpiredCredentials("the session has expired")
        return self._secret_for(access_key_id), _session_principal(claims)

    def _open_token(self, token: str) -> dict[str, Any]:
        if not token.startswith(_TOKEN_PREFIX) or token.count(".") != 1 or len(token) > 16384:
            raise UnknownCredentials("malformed session token")
        payload, mac = token[len(_TOKEN_PREFIX):].split(".")
        try:
            given = _unb64(mac)
        except ValueError as exc:
            raise UnknownCredentials("malformed session token") from exc
        if not hmac.compare_digest(given, self._mac(b"token", payload.encode())):
            raise UnknownCredentials("session token signature mismatch")
        claims: dict[str, Any] = json.loads(_unb64(payload))
        return claims


def _service_principal(key: ServiceKey) -> Principal:
    arn = assumed_role_arn(key.role_arn, key.session_name)
    role_id = key.role_id or role_id_for(key.role_arn)
    return Principal(
        arn=arn,
        role_arn=key.role_arn,
        role_id=role_id,
        session_name=key.session_name,
        access_key_id=key.access_key_id,
        temporary=False,
        variables=_assumed_role_keys(key.role_arn, role_id, key.session_name),
    )


def _session_principal(claims: Mapping[str, Any]) -> Principal:
    role_arn: str = claims["r"]
    role_id = role_id_for(role_arn)
    variables: dict[str, PrincipalValue] = {
        **_assumed_role_keys(role_arn, role_id, claims["s"]),
        "aws:TokenIssueTime": _iso(claims["i"]),
        **claims.get("v", {}),
    }
    return Principal(
        arn=assumed_role_arn(role_arn, claims["s"]),
        role_arn=role_arn,
        role_id=role_id,
        session_name=claims["s"],
        access_key_id=claims["k"],
        temporary=True,
        expiration=float(claims["e"]),
        issued_at=float(claims["i"]),
        session_policy=claims.get("p"),
        session_policy_arns=tuple(claims.get("pa", ())),
        variables=variables,
    )


def _assumed_role_keys(role_arn: str, role_id: str, session_name: str) -> dict[str, PrincipalValue]:
    """The principal keys of an assumed-role session (IAM UG, "AWS global condition context keys":
    ``aws:userid`` is ``role-id:caller-specified-role-name`` for an assumed role)."""
    return {
        "aws:userid": f"{role_id}:{session_name}",
        "aws:PrincipalArn": role_arn,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalAccount": role_arn.split(":")[4],
    }


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

