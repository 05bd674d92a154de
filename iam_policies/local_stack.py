"""Finding the local stack from the admin commands: its discovery file and the credentials to use.

``python -m webapp serve`` writes ``<data>/stack.json`` when it is ready (and removes it when it
stops): its process id, region, account, the URL of each endpoint and the path of the admin
profile (an AWS shared-credentials file). The admin commands (``python -m iam_policies plan``,
``python -m webapp tables``) read it when boto3 finds no credentials of its own, so that a new
admin who ran ``./dev serve`` and then a command from the README reaches the running stack
instead of failing with a bare "Unable to locate credentials".

The order is fixed and printed: credentials that boto3 finds (environment, ``AWS_PROFILE``,
shared files; AWS SDKs' "standard credential provider chain") always win, because they say the
admin meant AWS or chose a profile; only without them is the local stack used, and the command
says so on standard error. With neither, the error names the exact options that would work.
"""

from __future__ import annotations

import configparser
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISCOVERY_FILE = "stack.json"
ADMIN_PROFILE = "admin-credentials"


class StackNotFound(Exception):
    """No credentials and no running local stack: the message says what to pass."""


@dataclass(frozen=True)
class StackInfo:
    """What ``<data>/stack.json`` says about a running local stack."""

    data_dir: Path
    pid: int
    region: str
    account: str
    #: ``{"host": url, "sts": url, "dynamodb": url, "iam": url, "s3": url}``
    endpoints: Mapping[str, str]
    admin_credentials: Path
    table_prefix: str = ""

    def to_json(self) -> str:
        return json.dumps({
            "pid": self.pid, "region": self.region, "account": self.account,
            "endpoints": dict(self.endpoints), "admin_credentials": str(self.admin_credentials),
            "table_prefix": self.table_prefix,
        }, indent=2)

    def admin_keys(self) -> tuple[str, str]:
        """The admin profile's access key id and secret (the ``[default]`` section)."""
        profile = configparser.ConfigParser()
        if not profile.read(self.admin_credentials) or "default" not in profile:
            raise StackNotFound(f"the local stack's admin profile {self.admin_credentials} is missing")
        section = profile["default"]
        return section["aws_access_key_id"], section["aws_secret_access_key"]

    def serves(self, url: str) -> bool:
        return url.rstrip("/") in {u.rstrip("/") for u in self.endpoints.values()}


def default_data_dir() -> Path:
    """The stack's default data directory, as ``python -m webapp serve`` chooses it."""
    return Path(os.environ.get("WEBAPP_DATA_DIR") or "data")


def write_discovery(info: StackInfo) -> Path:
    path = info.data_dir / DISCOVERY_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(info.to_json() + "\n")
    tmp.replace(path)
    return path


def remove_discovery(data_dir: Path, pid: int) -> None:
    """Remove the discovery file if it is still this process's (a newer stack may own it)."""
    info = read_discovery(data_dir, require_running=False)
    if info is not None and info.pid == pid:
        (data_dir / DISCOVERY_FILE).unlink(missing_ok=True)


def read_discovery(data_dir: Path, *, require_running: bool = True) -> StackInfo | None:
    """The stack described in ``data_dir``, or None (no file, unreadable, or its process is gone)."""
    path = Path(data_dir) / DISCOVERY_FILE
    try:
        raw: Any = json.loads(path.read_text())
        info = StackInfo(
            Path(data_dir), int(raw["pid"]), str(raw["region"]), str(raw["account"]),
            {str(k): str(v) for k, v in raw["endpoints"].items()}, Path(raw["admin_credentials"]),
            str(raw.get("table_prefix", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if require_running and not _alive(info.pid):
        return None
    return info


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Target:
    """Where a command sends its calls, and with which keys (None: boto3's own chain)."""

    endpoint_url: str | None
    region: str | None
    keys: tuple[str, str] | None = None
    #: Said on standard error when the local stack was chosen for the admin.
    note: str = ""

    def client(self, service: str) -> Any:
        import boto3  # type: ignore[import-untyped]

        if self.keys is not None:
            session = boto3.Session(aws_access_key_id=self.keys[0], aws_secret_access_key=self.keys[1],
                                    region_name=self.region or "us-east-1")
        else:
            session = boto3.Session(region_name=self.region or "us-east-1")
        return session.client(service, endpoint_url=self.endpoint_url)


def has_aws_credentials() -> bool:
    """Whether boto3's credential chain finds keys (environment, profile, shared files, ...)."""
    import boto3

    return boto3.Session().get_credentials() is not None


def resolve_target(service: str, endpoint_url: str | None, region: str | None, data_dir: Path,
                   *, endpoint_option: str = "--endpoint-url") -> Target:
    """Where ``service`` calls go: see the module docstring for the order."""
    if has_aws_credentials():
        return Target(endpoint_url, region)
    stack = read_discovery(data_dir)
    if stack is not None and (endpoint_url is None or stack.serves(endpoint_url)):
        url = endpoint_url or stack.endpoints.get(service)
        note = "" if endpoint_url else (
            f"no AWS credentials found; using the local stack of {data_dir} at {url} "
            f"(admin profile {stack.admin_credentials})")
        return Target(url, region or stack.region, stack.admin_keys(), note)
    profile = data_dir / ADMIN_PROFILE
    local = "http://localhost:8002" if service == "dynamodb" else "http://localhost:8003"
    if endpoint_url:
        raise StackNotFound(
            f"no AWS credentials found for {endpoint_url}. For the local stack pass its admin profile: "
            f"AWS_SHARED_CREDENTIALS_FILE=<data dir>/{ADMIN_PROFILE} (./dev serve prints it), or "
            f"--data-dir DIR of the running stack; for AWS, configure credentials (aws configure, AWS_PROFILE)")
    raise StackNotFound(
        f"no AWS credentials found, and no local stack is running with data in {data_dir} "
        f"(no live {data_dir / DISCOVERY_FILE}). For the local stack: start it (./dev serve) or pass "
        f"--data-dir DIR of the running stack, or {endpoint_option} {local} with "
        f"AWS_SHARED_CREDENTIALS_FILE={profile}; for AWS: configure credentials (aws configure, AWS_PROFILE)")
