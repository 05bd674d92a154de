"""Session credentials: minted by STS, resolved by the SigV4 layer, unforgeable, expiring."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.clock import ManualClock
from webapp.credentials import (
    CredentialAuthority,
    ExpiredCredentials,
    UnknownCredentials,
    assumed_role_arn,
    random_id,
)

ROLE = "arn:aws:iam::000000000000:role/WebUser"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def authority(tmp_path: Path, clock: ManualClock) -> CredentialAuthority:
    return CredentialAuthority.open(tmp_path, clock)


def mint(authority: CredentialAuthority, **overrides):
    args = dict(role_arn=ROLE, session_name="alice", duration_seconds=900,
                variables={"idp.localhost/dev:sub": "alice-sub"})
    args.update(overrides)
    return authority.mint_session(**args)


def test_minted_session_resolves_to_its_principal(authority: CredentialAuthority) -> None:
    creds = mint(authority, session_policy='{"Version":"2012-10-17"}')
    secret, principal = authority.secret_for(creds.access_key_id, creds.session_token)
    assert secret == creds.secret_access_key
    assert creds.access_key_id.startswith("ASIA") and len(creds.access_key_id) == 20
    assert principal.arn == "arn:aws:sts::000000000000:assumed-role/WebUser/alice"
    assert principal.variables["idp.localhost/dev:sub"] == "alice-sub"
    assert principal.variables["aws:userid"] == f"{principal.role_id}:alice"
    assert principal.session_policy == '{"Version":"2012-10-17"}'
    assert principal.web_identity_subject == "alice-sub"


def test_session_survives_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    creds = mint(CredentialAuthority.open(tmp_path, clock))
    reopened = CredentialAuthority.open(tmp_path, clock)
    assert reopened.secret_for(creds.access_key_id, creds.session_token)[0] == creds.secret_access_key


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: (c.access_key_id, None), id="token missing"),
        pytest.param(lambda c: (c.access_key_id, c.session_token[:-2] + "AA"), id="mac altered"),
        pytest.param(lambda c: (c.access_key_id, c.session_token.replace("LoCaL", "LoCaL0")), id="payload altered"),
        pytest.param(lambda c: ("ASIA" + "A" * 16, c.session_token), id="token of another key"),
        pytest.param(lambda c: ("AKIA" + "A" * 16, None), id="unknown long-term key"),
        pytest.param(lambda c: (c.access_key_id, "garbage"), id="garbage token"),
    ],
)
def test_forged_or_foreign_tokens_are_unknown(authority: CredentialAuthority, tamper) -> None:
    key, token = tamper(mint(authority))
    with pytest.raises(UnknownCredentials):
        authority.secret_for(key, token)


def test_token_from_another_data_dir_is_unknown(tmp_path: Path, clock: ManualClock) -> None:
    creds = mint(CredentialAuthority.open(tmp_path / "a", clock))
    with pytest.raises(UnknownCredentials):
        CredentialAuthority.open(tmp_path / "b", clock).secret_for(creds.access_key_id, creds.session_token)


def test_session_expires(authority: CredentialAuthority, clock: ManualClock) -> None:
    creds = mint(authority, duration_seconds=900)
    clock.advance(899)
    authority.secret_for(creds.access_key_id, creds.session_token)
    clock.advance(1)
    with pytest.raises(ExpiredCredentials):
        authority.secret_for(creds.access_key_id, creds.session_token)


def test_service_keys_persist_and_resolve(tmp_path: Path, clock: ManualClock) -> None:
    authority = CredentialAuthority.open(tmp_path, clock)
    key = authority.ensure_service_key("arn:aws:iam::000000000000:role/WebHost", "host")
    assert authority.ensure_service_key("arn:aws:iam::000000000000:role/WebHost", "host") == key
    authority.save_service_keys(tmp_path)
    secret, principal = CredentialAuthority.open(tmp_path, clock).secret_for(key.access_key_id, None)
    assert secret == key.secret_access_key
    assert principal.arn == "arn:aws:sts::000000000000:assumed-role/WebHost/host"
    assert not principal.temporary
    with pytest.raises(UnknownCredentials):
        authority.secret_for(key.access_key_id, "a-token-on-a-long-term-key")


def test_assumed_role_arn_drops_the_role_path() -> None:
    assert (assumed_role_arn("arn:aws:iam::123456789012:role/app/WebUser", "s1")
            == "arn:aws:sts::123456789012:assumed-role/WebUser/s1")


@pytest.mark.parametrize(("prefix", "length"), [("AKIA", 16), ("ASIA", 16), ("ANPA", 17)])
def test_random_ids_look_like_aws_unique_ids(prefix: str, length: int) -> None:
    ids = {random_id(prefix, length) for _ in range(50)}
    assert len(ids) == 50
    for value in ids:
        assert value.startswith(prefix) and len(value) == len(prefix) + length
        assert set(value[len(prefix):]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
