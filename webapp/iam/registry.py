"""The local IAM: OIDC providers, roles and managed policies, persisted in ``<data>/iam``.

Every service of the local stack asks this registry who may do what: STS reads the providers and
the roles' trust policies, the DynamoDB endpoint the roles' identity policies (on every request,
so ``identity_policies`` is a dictionary lookup of policies compiled once), and the IAM endpoint
changes them. Each change is validated like IAM does it (``MalformedPolicyDocument`` with the JSON
path, the IAM quotas), written to disk atomically (temporary file, fsync, rename) before it is
visible, and drops the compiled-policy cache, so the next DynamoDB request enforces the new policy.

On first start the registry provisions itself from ``iam_policies.deployment.desired_state``,
the same templates the admin tooling applies to AWS: the dev OIDC provider, the user role (trust:
the provider, ``<provider>:aud`` = the client id), the host role (Sessions table only) and the
Admin role (full access, the admin's static key).

State is held in immutable records (``records``) replaced wholesale under a lock, so readers
never lock; the input rules and quotas are ``validation``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from iam_policies.deployment import DeploymentParams, DesiredState, desired_state
from iam_policies.issuers import issuer_problem, issuers_for, provider_key
from iam_policies.policy import Policy
from webapp.clock import Clock, system_clock
from webapp.credentials import random_id, role_id_for
from webapp.files import write_private
from webapp.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from webapp.iam.records import (
    ManagedPolicy,
    OidcProvider,
    PolicyVersion,
    RegistryState,
    Role,
    dump_state,
    load_state,
)
from webapp.iam.validation import (
    INLINE_ROLE_POLICY_CHARS,
    MAX_ATTACHED_POLICIES,
    MAX_POLICY_VERSIONS,
    check_client_ids,
    check_duration,
    check_name,
    check_path,
    check_thumbprints,
    policy_document,
)
from webapp.settings import Settings

STATE_FILE = "registry.json"


class IamRegistry:
    """The local IAM's state. Reads are lock-free; writes are serialized and persisted."""

    def __init__(self, settings: Settings, clock: Clock = system_clock, *, directory: Path | None = None) -> None:
        self.settings = settings
        self._clock = clock
        self._dir = directory if directory is not None else settings.data_dir / "iam"
        self._state = RegistryState()
        self._lock = threading.RLock()
        self._identity_cache: dict[str, tuple[Policy, ...]] = {}
        self._trust_cache: dict[str, Policy] = {}
        self._managed_cache: dict[str, Policy] = {}
        #: Incremented on every change; lets callers see that policies changed.
        self.generation = 0

    # Opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, clock: Clock = system_clock) -> IamRegistry:
        """Load the registry from ``<data>/iam``, provisioning it from the templates on first use."""
        registry = cls(settings, clock)
        path = registry._dir / STATE_FILE
        if path.exists():
            registry._state = load_state(json.loads(path.read_text()))
            registry.trust_configured_provider()
        else:
            registry.provision()
        return registry

    def _desired(self) -> DesiredState:
        s = self.settings
        return desired_state(DeploymentParams(
            account=s.account_id, region=s.region, issuer=s.issuer, client_ids=(s.client_id,),
            user_role=s.user_role_name, host_role=s.host_role_name, admin_role=s.admin_role_name,
            table_prefix=s.table_prefix, max_session_duration=max(3600, s.session_duration_seconds),
        ))

    def trust_configured_provider(self) -> None:
        """Register the configured issuer (``WEBAPP_ISSUER``) when the registry does not know it
        yet, and point the user role at it (its trust policy and the ``${provider:sub}`` of its
        identity policy, from the templates), so that switching the stack to another provider
        needs no other step. A user role that already trusts the issuer is left as it is (an
        admin's changes to it are kept)."""
        with self._lock:
            state = self._desired()
            for spec in state.providers:
                if self.oidc_provider_for_issuer(spec.url) is None:
                    self.create_oidc_provider(spec.url, spec.client_ids, spec.thumbprints)
            user = state.role(self.settings.user_role_name)
            current = self.role_by_name(user.name) if user is not None else None
            if user is None or current is None:
                self.provision()
                return
            if self.settings.oidc_provider_arn in current.trust_policy:
                return
            self.update_assume_role_policy(user.name, json.dumps(user.trust))
            for name, document in user.policies.items():
                self.put_role_policy(user.name, name, json.dumps(document))

    def provision(self) -> None:
        """Create the provider and roles of ``desired_state`` (the shipped templates)."""
        state = self._desired()
        with self._lock:
            for spec in state.providers:
                if self.oidc_provider_for_issuer(spec.url) is None:
                    self.create_oidc_provider(spec.url, spec.client_ids, spec.thumbprints)
            for role in state.roles:
                if self.role_by_name(role.name) is None:
                    self.create_role(role.name, json.dumps(role.trust), description=role.description,
                                     max_session_duration=role.max_session_duration)
                for name, document in role.policies.items():
                    self.put_role_policy(role.name, name, json.dumps(document))

    # Reads (lock-free) ------------------------------------------------------------------------

    def role(self, role_arn: str) -> Role | None:
        name = _role_name(role_arn)
        role = self._state.roles.get(name) if name else None
        return role if role is not None and role.arn == role_arn else None

    def role_by_name(self, name: str) -> Role | None:
        return self._state.roles.get(name)

    def roles(self) -> list[Role]:
        return sorted(self._state.roles.values(), key=lambda r: r.name)

    def oidc_providers(self) -> list[OidcProvider]:
        return sorted(self._state.providers.values(), key=lambda p: p.arn)

    def oidc_provider(self, arn: str) -> OidcProvider | None:
        return self._state.providers.get(arn)

    def oidc_provider_for_issuer(self, iss: str) -> OidcProvider | None:
        """The provider whose issuer is exactly ``iss`` (``https://`` + URL; case-sensitive; also
        ``http://`` for a loopback provider, the local stack's exception: ``iam_policies.issuers``)."""
        scheme, sep, key = iss.partition("://")
        if not sep or key != key.rstrip("/"):
            return None
        provider = self._state.providers.get(self._provider_arn(key))
        return provider if provider is not None and iss in issuers_for(provider.url) else None

    def managed_policy_record(self, arn: str) -> ManagedPolicy | None:
        return self._state.policies.get(arn)

    def managed_policies(self) -> list[ManagedPolicy]:
        return sorted(self._state.policies.values(), key=lambda p: p.arn)

    def managed_policy(self, arn: str) -> Policy | None:
        """The compiled default version of managed policy ``arn``."""
        cache = self._managed_cache  # taken before the state: a concurrent change discards it
        compiled = cache.get(arn)
        if compiled is not None:
            return compiled
        record = self._state.policies.get(arn)
        if record is None:
            return None
        compiled = Policy.parse(record.default_version.document, kind="identity", name=record.name)
        cache[arn] = compiled
        return compiled

    def identity_policies(self, role_arn: str) -> tuple[Policy, ...]:
        """The role's inline and attached policies, compiled; a dict lookup after the first call."""
        cached = self._identity_cache.get(role_arn)
        if cached is not None:
            return cached
        with self._lock:
            generation = self.generation
            role = self.role(role_arn)
            if role is None:
                return ()
            policies = [Policy.parse(text, kind="identity", max_size=INLINE_ROLE_POLICY_CHARS, name=name)
                        for name, text in role.inline_policies.items()]
            for arn in role.attached_policies:
                managed = self.managed_policy(arn)
                if managed is not None:
                    policies.append(managed)
            result = tuple(policies)
            if generation == self.generation:
                self._identity_cache[role_arn] = result
            return result

    def trust_policy(self, role_arn: str) -> Policy | None:
        cache = self._trust_cache  # taken before the state: a concurrent change discards it
        cached = cache.get(role_arn)
        if cached is not None:
            return cached
        role = self.role(role_arn)
        if role is None:
            return None
        compiled = Policy.parse(role.trust_policy, kind="trust", name="trust")
        cache[role_arn] = compiled
        return compiled

    # OIDC providers ---------------------------------------------------------------------------

    def _provider_arn(self, url: str) -> str:
        return f"arn:aws:iam::{self.settings.account_id}:oidc-provider/{url}"

    def create_oidc_provider(self, url: str, client_ids: Sequence[str] = (),
                             thumbprints: Sequence[str] = ()) -> OidcProvider:
        problem = issuer_problem(url, allow_loopback=True)
        if problem is not None:
            raise InvalidInput(f"Invalid Url: {problem}")
        host = provider_key(url)
        check_client_ids(client_ids)
        check_thumbprints(thumbprints)
        with self._lock:
            arn = self._provider_arn(host)
            if arn in self._state.providers:
                raise EntityAlreadyExists(f"Provider with url {url} already exists.")
            provider = OidcProvider(host, arn, tuple(dict.fromkeys(client_ids)),
                                    tuple(t.lower() for t in thumbprints), self._clock())
            self._commit(replace(self._state, providers={**self._state.providers, arn: provider}))
            return provider

    def existing_provider(self, arn: str) -> OidcProvider:
        """The OIDC provider ``arn``, or ``NoSuchEntity`` worded as IAM words it."""
        provider = self._state.providers.get(arn)
        if provider is None:
            raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
        return provider

    def update_oidc_thumbprints(self, arn: str, thumbprints: Sequence[str]) -> None:
        check_thumbprints(thumbprints)
        with self._lock:
            provider = self.existing_provider(arn)
            self._put_provider(replace(provider, thumbprints=tuple(t.lower() for t in thumbprints)))

    def add_client_id(self, arn: str, client_id: str) -> None:
        with self._lock:
            provider = self.existing_provider(arn)
            if client_id in provider.client_ids:
                return
            check_client_ids((*provider.client_ids, client_id))
            self._put_provider(replace(provider, client_ids=(*provider.client_ids, client_id)))

    def remove_client_id(self, arn: str, client_id: str) -> None:
        with self._lock:
            provider = self.existing_provider(arn)
            self._put_provider(replace(provider, client_ids=tuple(c for c in provider.client_ids if c != client_id)))

    def delete_oidc_provider(self, arn: str) -> None:
        with self._lock:
            self.existing_provider(arn)
            self._commit(replace(self._state, providers={k: v for k, v in self._state.providers.items() if k != arn}))

    def _put_provider(self, provider: OidcProvider) -> None:
        self._commit(replace(self._state, providers={**self._state.providers, provider.arn: provider}))

    # Roles --------------------------------------------------------------------------------------

    def create_role(self, name: str, trust_policy: str, *, path: str = "/", description: str = "",
                    max_session_duration: int = 3600) -> Role:
        check_name(name, "roleName", 64)
        check_path(path)
        check_duration(max_session_duration)
        if len(description) > 1000:
            raise ValidationError("1 validation error detected: Value at 'description' failed to satisfy "
                                  "constraint: Member must have length less than or equal to 1000")
        trust = policy_document(trust_policy, "trust")
        with self._lock:
            if self._find_role_ci(name) is not None:
                raise EntityAlreadyExists(f"Role with name {name} already exists.")
            arn = f"arn:aws:iam::{self.settings.account_id}:role{path}{name}"
            role = Role(name, path, arn, role_id_for(arn), trust, max_session_duration, description, self._clock())
            self._put_role(role)
            return role

    def _find_role_ci(self, name: str) -> Role | None:
        """IAM role names are unique case-insensitively."""
        return next((r for r in self._state.roles.values() if r.name.lower() == name.lower()), None)

    def existing_role(self, name: str) -> Role:
        """The role ``name``, or ``NoSuchEntity`` worded as IAM words it."""
        role = self._state.roles.get(name)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return role

    def update_role(self, name: str, *, max_session_duration: int | None = None,
                    description: str | None = None) -> None:
        if max_session_duration is not None:
            check_duration(max_session_duration)
        with self._lock:
            role = self.existing_role(name)
            self._put_role(replace(
                role,
                max_session_duration=role.max_session_duration if max_session_duration is None else max_session_duration,
                description=role.description if description is None else description,
            ))

    def update_assume_role_policy(self, name: str, document: str) -> None:
        trust = policy_document(document, "trust")
        with self._lock:
            self._put_role(replace(self.existing_role(name), trust_policy=trust))

    def delete_role(self, name: str) -> None:
        with self._lock:
            role = self.existing_role(name)
            if role.inline_policies:
                raise DeleteConflict("Cannot delete entity, must delete policies first.")
            if role.attached_policies:
                raise DeleteConflict("Cannot delete entity, must detach all policies first.")
            self._commit(replace(self._state, roles={k: v for k, v in self._state.roles.items() if k != name}))

    def put_role_policy(self, role_name: str, policy_name: str, document: str) -> None:
        check_name(policy_name, "policyName", 128)
        text = policy_document(document, "identity", max_size=INLINE_ROLE_POLICY_CHARS)
        with self._lock:
            role = self.existing_role(role_name)
            policies = {**role.inline_policies, policy_name: text}
            total = sum(len(re.sub(r"\s", "", t)) for t in policies.values())
            if total > INLINE_ROLE_POLICY_CHARS:
                raise LimitExceeded(f"Maximum policy size of {INLINE_ROLE_POLICY_CHARS} bytes exceeded for role {role_name}")
            self._put_role(replace(role, inline_policies=policies))

    def role_policy(self, role_name: str, policy_name: str) -> str:
        role = self.existing_role(role_name)
        text = role.inline_policies.get(policy_name)
        if text is None:
            raise NoSuchEntity(f"The role policy with name {policy_name} cannot be found.")
        return text

    def delete_role_policy(self, role_name: str, policy_name: str) -> None:
        with self._lock:
            role = self.existing_role(role_name)
            if policy_name not in role.inline_policies:
                raise NoSuchEntity(f"The role policy with name {policy_name} cannot be found.")
            self._put_role(replace(role, inline_policies={
                k: v for k, v in role.inline_policies.items() if k != policy_name}))

    def attach_role_policy(self, role_name: str, policy_arn: str) -> None:
        with self._lock:
            role = self.existing_role(role_name)
            self.existing_policy(policy_arn)
            if policy_arn in role.attached_policies:
                return
            if len(role.attached_policies) >= MAX_ATTACHED_POLICIES:
                raise LimitExceeded(f"Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED_POLICIES}")
            self._put_role(replace(role, attached_policies=(*role.attached_policies, policy_arn)))

    def detach_role_policy(self, role_name: str, policy_arn: str) -> None:
        with self._lock:
            role = self.existing_role(role_name)
            if policy_arn not in role.attached_policies:
                raise NoSuchEntity(f"Policy {policy_arn} was not found.")
            self._put_role(replace(role, attached_policies=tuple(
                a for a in role.attached_policies if a != policy_arn)))

    def _put_role(self, role: Role) -> None:
        self._commit(replace(self._state, roles={**self._state.roles, role.name: role}))

    # Managed policies ---------------------------------------------------------------------------

    def create_policy(self, name: str, document: str, *, path: str = "/", description: str = "") -> ManagedPolicy:
        check_name(name, "policyName", 128)
        check_path(path)
        text = policy_document(document, "identity")
        with self._lock:
            arn = f"arn:aws:iam::{self.settings.account_id}:policy{path}{name}"
            if any(p.name.lower() == name.lower() and p.path == path for p in self._state.policies.values()):
                raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            now = self._clock()
            policy = ManagedPolicy(
                name, path, arn, random_id("ANPA", 17),
                "v1", (PolicyVersion("v1", text, now),), description, now, now,
            )
            self._put_policy(policy)
            return policy

    def existing_policy(self, arn: str) -> ManagedPolicy:
        """The managed policy ``arn``, or ``NoSuchEntity`` worded as IAM words it."""
        policy = self._state.policies.get(arn)
        if policy is None:
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return policy

    def attachment_count(self, arn: str) -> int:
        return sum(arn in r.attached_policies for r in self._state.roles.values())

    def create_policy_version(self, arn: str, document: str, *, set_as_default: bool) -> PolicyVersion:
        text = policy_document(document, "identity")
        with self._lock:
            policy = self.existing_policy(arn)
            if len(policy.versions) >= MAX_POLICY_VERSIONS:
                raise LimitExceeded(
                    f"A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new "
                    "version, you must delete an existing version."
                )
            version = PolicyVersion(f"v{policy.next_version}", text, self._clock())
            self._put_policy(replace(
                policy, versions=(*policy.versions, version), next_version=policy.next_version + 1,
                default_version_id=version.version_id if set_as_default else policy.default_version_id,
                update_date=self._clock(),
            ))
            return version

    def set_default_policy_version(self, arn: str, version_id: str) -> None:
        with self._lock:
            policy = self.existing_policy(arn)
            if policy.version(version_id) is None:
                raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
            self._put_policy(replace(policy, default_version_id=version_id, update_date=self._clock()))

    def delete_policy_version(self, arn: str, version_id: str) -> None:
        with self._lock:
            policy = self.existing_policy(arn)
            if policy.version(version_id) is None:
                raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
            if version_id == policy.default_version_id:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            self._put_policy(replace(policy, versions=tuple(v for v in policy.versions if v.version_id != version_id)))

    def delete_policy(self, arn: str) -> None:
        with self._lock:
            policy = self.existing_policy(arn)
            if self.attachment_count(arn):
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            if len(policy.versions) > 1:
                raise DeleteConflict("Cannot delete a policy with multiple versions. Delete the non-default versions first.")
            self._commit(replace(self._state, policies={k: v for k, v in self._state.policies.items() if k != arn}))

    def _put_policy(self, policy: ManagedPolicy) -> None:
        self._commit(replace(self._state, policies={**self._state.policies, policy.arn: policy}))

    # Commit -------------------------------------------------------------------------------------

    def _commit(self, state: RegistryState) -> None:
        """Persist ``state``, then publish it and drop every compiled policy."""
        write_private(self._dir / STATE_FILE, json.dumps(dump_state(state), indent=1, sort_keys=True).encode())
        # The state first, then fresh caches: a reader takes its cache dict before it reads the
        # state, so whatever it compiles from an old state lands in a dict already discarded.
        self._state = state
        self.generation += 1
        self._identity_cache = {}
        self._trust_cache = {}
        self._managed_cache = {}


def _role_name(role_arn: str) -> str | None:
    prefix, sep, resource = role_arn.partition(":role/")
    if not sep or not prefix.startswith("arn:"):
        return None
    return resource.rsplit("/", 1)[-1]
