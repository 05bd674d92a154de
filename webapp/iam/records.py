"""The local IAM's entities as immutable records, and the form they take on disk.

The registry replaces records wholesale (``dataclasses.replace``) under its lock, so readers never
lock. Field names follow IAM's API shapes (``Role``, ``ManagedPolicy``, ``PolicyVersion``,
``OpenIDConnectProvider``; IAM API reference, "Data Types"). ``dump_state``/``load_state`` are the
``<data>/iam/registry.json`` format (``"format": 1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class OidcProvider:
    """An IAM OIDC identity provider; ``url`` is the issuer without ``https://``."""

    url: str
    arn: str
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...] = ()
    create_date: float = 0.0

    @property
    def issuer(self) -> str:
        return "https://" + self.url


@dataclass(frozen=True)
class Role:
    name: str
    path: str
    arn: str
    role_id: str
    trust_policy: str
    max_session_duration: int = 3600
    description: str = ""
    create_date: float = 0.0
    #: Inline policies: name -> JSON text.
    inline_policies: Mapping[str, str] = field(default_factory=dict)
    #: ARNs of attached managed policies, in attachment order.
    attached_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str
    document: str
    create_date: float


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    path: str
    arn: str
    policy_id: str
    default_version_id: str
    versions: tuple[PolicyVersion, ...]
    description: str = ""
    create_date: float = 0.0
    update_date: float = 0.0
    next_version: int = 2

    def version(self, version_id: str) -> PolicyVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)

    @property
    def default_version(self) -> PolicyVersion:
        found = self.version(self.default_version_id)
        assert found is not None
        return found


@dataclass(frozen=True)
class RegistryState:
    providers: Mapping[str, OidcProvider] = field(default_factory=dict)  # by ARN
    roles: Mapping[str, Role] = field(default_factory=dict)  # by name
    policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)  # by ARN


def dump_state(state: RegistryState) -> dict[str, Any]:
    return {
        "format": 1,
        "providers": [asdict(p) for p in state.providers.values()],
        "roles": [{**asdict(r), "inline_policies": dict(r.inline_policies)} for r in state.roles.values()],
        "policies": [asdict(p) for p in state.policies.values()],
    }


def load_state(raw: Mapping[str, Any]) -> RegistryState:
    providers = {
        p["arn"]: OidcProvider(p["url"], p["arn"], tuple(p["client_ids"]), tuple(p["thumbprints"]), p["create_date"])
        for p in raw.get("providers", [])
    }
    roles = {
        r["name"]: Role(
            r["name"], r["path"], r["arn"], r["role_id"], r["trust_policy"], r["max_session_duration"],
            r["description"], r["create_date"], dict(r["inline_policies"]), tuple(r["attached_policies"]),
        )
        for r in raw.get("roles", [])
    }
    policies = {
        p["arn"]: ManagedPolicy(
            p["name"], p["path"], p["arn"], p["policy_id"], p["default_version_id"],
            tuple(PolicyVersion(v["version_id"], v["document"], v["create_date"]) for v in p["versions"]),
            p["description"], p["create_date"], p["update_date"], p["next_version"],
        )
        for p in raw.get("policies", [])
    }
    return RegistryState(providers, roles, policies)
