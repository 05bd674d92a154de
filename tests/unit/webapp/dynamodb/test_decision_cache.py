"""The gateway with the decision cache (``webapp.authorize.DecisionCache``) in front of the
policies: an expired session is refused before authorization, whatever was decided for it before,
and a policy changed through the registry takes effect on the next request. In process, through
the WSGI app, with requests signed by botocore and a real registry."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.unit.webapp.dynamodb.conftest import RecordingBackend, signed_wsgi_call
from webapp.clock import ManualClock
from webapp.credentials import CredentialAuthority, SessionCredentials
from webapp.dynamodb.gateway import Gateway
from webapp.iam.registry import IamRegistry
from webapp.settings import Settings

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Federated": "x"}, "Action": "sts:AssumeRoleWithWebIdentity"}]})
ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Notes", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]})
DENY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoNotes", "Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}]})
BODY = json.dumps({"TableName": "Notes", "Key": {"owner": {"S": "alice-sub"}, "noteId": {"S": "1"}}}).encode()


def make(tmp_path: Path) -> tuple[Gateway, IamRegistry, RecordingBackend, ManualClock, SessionCredentials, list[Any]]:
    clock = ManualClock(time.time())  # botocore signs with the real time
    settings = Settings(data_dir=tmp_path, port=18000)
    registry = IamRegistry.open(settings, clock)
    role = registry.create_role("Cached", TRUST)
    registry.put_role_policy("Cached", "notes", ALLOW)
    authority = CredentialAuthority(b"c" * 32, clock)
    session = authority.mint_session(role_arn=role.arn, session_name="alice", duration_seconds=60)
    backend, audit = RecordingBackend(), list[Any]()
    return Gateway(settings, registry, authority, backend, audit.append, clock), registry, backend, clock, session, audit


def call(gateway: Gateway, session: SessionCredentials) -> tuple[str, dict[str, Any]]:
    return signed_wsgi_call(gateway, session, "GetItem", BODY)


def test_an_expired_session_is_refused_though_its_requests_were_allowed_from_the_cache(tmp_path: Path) -> None:
    gateway, _, backend, clock, session, audit = make(tmp_path)
    assert [call(gateway, session)[0] for _ in range(2)] == ["200 OK", "200 OK"]
    assert (gateway.authorizer.decisions.misses, gateway.authorizer.decisions.hits) == (1, 1)
    clock.advance(61)  # past the session's 60 s, inside SigV4's 5-minute window
    status, body = call(gateway, session)
    assert (status, body["__type"].rsplit("#", 1)[1]) == ("400 Bad Request", "ExpiredTokenException")
    assert len(backend.calls) == 2  # nothing ran for the expired session
    assert (audit[-1].decision, audit[-1].error) == ("Deny", "ExpiredTokenException")
    assert gateway.authorizer.decisions.hits == 1  # refused before authorization


def test_a_role_policy_changed_through_the_registry_decides_the_next_request(tmp_path: Path) -> None:
    gateway, registry, backend, _, session, audit = make(tmp_path)
    assert [call(gateway, session)[0] for _ in range(2)] == ["200 OK", "200 OK"]
    registry.put_role_policy("Cached", "notes", DENY)
    status, body = call(gateway, session)
    assert (status, body["__type"].rsplit("#", 1)[1]) == ("400 Bad Request", "AccessDeniedException")
    assert "explicit deny" in body["Message"]
    assert len(backend.calls) == 2
    assert (audit[-1].decision, audit[-1].why) == ("Deny", "explicit by NoNotes")
