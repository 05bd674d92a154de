"""The IAM registry: provisioned from the templates, validated like IAM, durable, and its
compiled-policy cache dropped on every change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_policies.policy import Policy
from webapp.clock import ManualClock
from webapp.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings

ACCOUNT = "000000000000"
USER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/WebUser"
ALLOW_GET = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.localhost/dev"},
    "Action": "sts:AssumeRoleWithWebIdentity"}]})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, table_prefix="t-")


@pytest.fixture
def registry(settings: Settings) -> IamRegistry:
    return IamRegistry.open(settings, ManualClock())


def test_first_start_provisions_provider_and_roles_from_the_templates(registry: IamRegistry,
                                                                       settings: Settings) -> None:
    provider = registry.oidc_provider_for_issuer("https://idp.localhost/dev")
    assert provider is not None and provider.client_ids == ("webapp",)
    assert provider.arn == settings.oidc_provider_arn
    assert {r.name for r in registry.roles()} == {"WebUser", "WebHost", "Admin"}
    trust = json.loads(registry.role(USER_ROLE).trust_policy)  # type: ignore[union-attr]
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Federated": settings.oidc_provider_arn}
    assert statement["Condition"] == {"StringEquals": {"idp.localhost/dev:aud": "webapp"}}
    text = json.dumps([json.loads(t) for t in registry.role(USER_ROLE).inline_policies.values()])  # type: ignore[union-attr]
    assert "table/t-Photos" in text and "${idp.localhost/dev:sub}" in text


@pytest.mark.parametrize(
    "issuer",
    ["https://idp.localhost/dev/", "http://idp.localhost/dev", "https://IDP.localhost/dev", "idp.localhost/dev",
     "https://idp.localhost"],
)
def test_issuer_lookup_is_an_exact_match(registry: IamRegistry, issuer: str) -> None:
    assert registry.oidc_provider_for_issuer(issuer) is None


def test_identity_policies_are_compiled_once_and_cached(registry: IamRegistry) -> None:
    first = registry.identity_policies(USER_ROLE)
    assert first and all(isinstance(p, Policy) for p in first)
    assert registry.identity_policies(USER_ROLE) is first


def test_every_change_drops_the_cache_so_the_next_request_sees_it(registry: IamRegistry) -> None:
    before = registry.identity_policies(USER_ROLE)
    registry.put_role_policy("WebUser", "extra", ALLOW_GET)
    after = registry.identity_policies(USER_ROLE)
    assert len(after) == len(before) + 1
    policy = registry.create_policy("Managed", ALLOW_GET)
    registry.attach_role_policy("WebUser", policy.arn)
    assert len(registry.identity_policies(USER_ROLE)) == len(before) + 2
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    registry.create_policy_version(policy.arn, deny, set_as_default=True)
    managed = registry.identity_policies(USER_ROLE)[-1]
    assert managed.statements[0].effect == "Deny"
    registry.detach_role_policy("WebUser", policy.arn)
    registry.delete_role_policy("WebUser", "extra")
    assert len(registry.identity_policies(USER_ROLE)) == len(before)


def test_state_survives_a_restart(settings: Settings, registry: IamRegistry) -> None:
    registry.put_role_policy("WebUser", "extra", ALLOW_GET)
    registry.update_role("WebUser", max_session_duration=7200)
    policy = registry.create_policy("Managed", ALLOW_GET, path="/app/")
    registry.attach_role_policy("WebHost", policy.arn)
    registry.add_client_id(settings.oidc_provider_arn, "cli")
    reopened = IamRegistry.open(settings, ManualClock())
    role = reopened.role(USER_ROLE)
    assert role is not None and role.max_session_duration == 7200 and "extra" in role.inline_policies
    assert reopened.role_by_name("WebHost").attached_policies == (policy.arn,)  # type: ignore[union-attr]
    assert reopened.oidc_provider(settings.oidc_provider_arn).client_ids == ("webapp", "cli")  # type: ignore[union-attr]
    assert reopened.managed_policy(policy.arn) is not None


def test_writes_are_atomic_no_temporary_file_is_left(settings: Settings, registry: IamRegistry) -> None:
    registry.put_role_policy("WebUser", "extra", ALLOW_GET)
    assert [p.name for p in (settings.data_dir / "iam").iterdir()] == ["registry.json"]


def test_a_rejected_change_is_neither_visible_nor_persisted(settings: Settings, registry: IamRegistry) -> None:
    before = (settings.data_dir / "iam" / "registry.json").read_text()
    with pytest.raises(MalformedPolicyDocument):
        registry.put_role_policy("WebUser", "bad", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}')
    assert "bad" not in registry.role(USER_ROLE).inline_policies  # type: ignore[union-attr]
    assert (settings.data_dir / "iam" / "registry.json").read_text() == before


BAD = [
    ("not-json", lambda r: r.put_role_policy("WebUser", "p", "{"), MalformedPolicyDocument),
    ("no-effect", lambda r: r.put_role_policy("WebUser", "p", '{"Version":"2012-10-17","Statement":'
                                                             '{"Action":"*","Resource":"*"}}'), MalformedPolicyDocument),
    ("principal-in-identity", lambda r: r.create_policy("P", '{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
                                                        '"Principal":"*","Action":"*","Resource":"*"}}'),
     MalformedPolicyDocument),
    ("trust-without-principal", lambda r: r.update_assume_role_policy("WebUser", ALLOW_GET), MalformedPolicyDocument),
    ("unknown-role", lambda r: r.put_role_policy("Nobody", "p", ALLOW_GET), NoSuchEntity),
    ("unknown-policy", lambda r: r.attach_role_policy("WebUser", f"arn:aws:iam::{ACCOUNT}:policy/None"), NoSuchEntity),
    ("duplicate-role", lambda r: r.create_role("webuser", TRUST), EntityAlreadyExists),
    ("bad-role-name", lambda r: r.create_role("bad name", TRUST), ValidationError),
    ("non-ascii-role-name", lambda r: r.create_role("R\u00f4le", TRUST), ValidationError),
    ("session-too-long", lambda r: r.update_role("WebUser", max_session_duration=43201), ValidationError),
    ("session-too-short", lambda r: r.update_role("WebUser", max_session_duration=3599), ValidationError),
    ("http-provider", lambda r: r.create_oidc_provider("http://idp.example.com", ["a"]), InvalidInput),
    ("provider-with-port", lambda r: r.create_oidc_provider("https://idp.example.com:8443", ["a"]), InvalidInput),
    ("duplicate-provider", lambda r: r.create_oidc_provider("https://idp.localhost/dev", ["a"]), EntityAlreadyExists),
    ("bad-thumbprint", lambda r: r.create_oidc_provider("https://idp.example.com", ["a"], ["abc"]), ValidationError),
    ("role-with-policies", lambda r: r.delete_role("WebUser"), DeleteConflict),
]


@pytest.mark.parametrize(("change", "error"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_changes_get_iams_errors(registry: IamRegistry, change, error) -> None:  # type: ignore[no-untyped-def]
    generation = registry.generation
    with pytest.raises(error):
        change(registry)
    assert registry.generation == generation


def test_policy_versions_follow_iams_rules(registry: IamRegistry) -> None:
    policy = registry.create_policy("Managed", ALLOW_GET)
    for _ in range(4):
        registry.create_policy_version(policy.arn, ALLOW_GET, set_as_default=False)
    with pytest.raises(LimitExceeded, match="up to 5 versions"):
        registry.create_policy_version(policy.arn, ALLOW_GET, set_as_default=False)
    with pytest.raises(DeleteConflict, match="default version"):
        registry.delete_policy_version(policy.arn, "v1")
    registry.delete_policy_version(policy.arn, "v5")
    assert registry.create_policy_version(policy.arn, ALLOW_GET, set_as_default=True).version_id == "v6"
    registry.attach_role_policy("WebUser", policy.arn)
    with pytest.raises(DeleteConflict):
        registry.delete_policy(policy.arn)


def test_role_lifecycle(registry: IamRegistry) -> None:
    role = registry.create_role("Extra", TRUST, path="/app/", max_session_duration=7200)
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/app/Extra" and role.role_id.startswith("AROA")
    assert registry.role(role.arn) is role
    assert registry.role(f"arn:aws:iam::{ACCOUNT}:role/Extra") is None  # the path is part of the ARN
    registry.delete_role("Extra")
    assert registry.role(role.arn) is None and registry.identity_policies(role.arn) == ()


def test_concurrent_changes_are_serialized_and_all_persisted(settings: Settings, registry: IamRegistry) -> None:
    import threading

    def put(index: int) -> None:
        registry.put_role_policy("WebHost", f"p{index}", ALLOW_GET)
        registry.identity_policies(settings.host_role_arn)

    threads = [threading.Thread(target=put, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {f"p{i}" for i in range(12)} | {"host-access"}
    assert set(registry.role(settings.host_role_arn).inline_policies) == expected  # type: ignore[union-attr]
    assert len(registry.identity_policies(settings.host_role_arn)) == len(expected)
    reopened = IamRegistry.open(settings, ManualClock())
    assert set(reopened.role(settings.host_role_arn).inline_policies) == expected  # type: ignore[union-attr]


@pytest.mark.parametrize(("url", "key"), [
    ("http://localhost:8080/realms/x", "localhost:8080/realms/x"),
    ("http://127.0.0.1:9000", "127.0.0.1:9000"),
])
def test_the_local_stack_accepts_loopback_providers_over_http_with_a_port(registry: IamRegistry,
                                                                         url: str, key: str) -> None:
    provider = registry.create_oidc_provider(url, ["c"])
    assert provider.url == key and provider.arn.endswith(f":oidc-provider/{key}")
    assert registry.oidc_provider_for_issuer(url) == provider
    assert registry.oidc_provider_for_issuer("https://" + key) == provider
    assert registry.oidc_provider_for_issuer(url + "/") is None


def test_a_stack_started_with_another_issuer_registers_it_and_trusts_it(tmp_path: Path) -> None:
    IamRegistry.open(Settings(data_dir=tmp_path), ManualClock())  # provisioned for the dev IdP
    mock = Settings(data_dir=tmp_path, issuer="http://localhost:9999", client_id="app-1")
    registry = IamRegistry.open(mock, ManualClock())
    provider = registry.oidc_provider_for_issuer("http://localhost:9999")
    assert provider is not None and provider.client_ids == ("app-1",)
    role = registry.role(USER_ROLE)
    assert role is not None
    trust = json.loads(role.trust_policy)["Statement"][0]
    assert trust["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/localhost:9999"}
    assert trust["Condition"] == {"StringEquals": {"localhost:9999:aud": "app-1"}}
    assert "${localhost:9999:sub}" in "".join(role.inline_policies.values())
    # Back to the dev IdP: still registered, and the role trusts it again.
    again = IamRegistry.open(Settings(data_dir=tmp_path), ManualClock())
    assert "oidc-provider/idp.localhost/dev" in again.role(USER_ROLE).trust_policy  # type: ignore[union-attr]


def test_a_role_that_already_trusts_the_issuer_keeps_its_admins_changes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    IamRegistry.open(settings, ManualClock()).put_role_policy("WebUser", "extra", ALLOW_GET)
    assert "extra" in IamRegistry.open(settings, ManualClock()).role(USER_ROLE).inline_policies  # type: ignore[union-attr]
