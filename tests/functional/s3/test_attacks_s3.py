"""Presigned URLs on the local S3, played by an attacker who holds one (or signs one himself).

A presigned URL is a bearer capability for exactly one method on one key, until it expires
(S3 User Guide, "Sharing objects with presigned URLs"). Each row changes something the signature
covers, adds a header it does not cover, or uses it out of its time, and must be refused with
S3's answer while the bucket stays as it was. The texts of the time refusals are S3's as users
quote them: ``AccessDenied`` "Request has expired" with ``X-Amz-Expires``, ``Expires`` and
``ServerTime`` (aws/aws-sdk-js#3493, aws/aws-sdk-php#1333), "Request is not yet valid"
(minio/minio#2638), and ``AuthorizationQueryParametersError`` for a lifetime over 7 days
(noobaa/noobaa-core#8493; S3 API Reference, "Authenticating Requests: Using Query Parameters").
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import RunningStack
from tests.functional.s3.test_s3_endpoint import BUCKET, keys, s3

Attack = Callable[[str], requests.Response]

# (id, what the attacker does with a presigned PUT URL, expected code)
PUT_ATTACKS: list[tuple[str, Attack, str]] = [
    ("other key", lambda url: requests.put(url.replace("/target?", "/victim?"), data=b"x", timeout=30),
     "SignatureDoesNotMatch"),
    ("PUT URL used to DELETE", lambda url: requests.delete(url, timeout=30), "SignatureDoesNotMatch"),
    ("unsigned x-amz-acl", lambda url: requests.put(url, data=b"x", headers={"x-amz-acl": "public-read"},
                                                    timeout=30), "AccessDenied"),
    ("unsigned x-amz-copy-source", lambda url: requests.put(
        url, headers={"x-amz-copy-source": f"/{BUCKET}/elsewhere"}, timeout=30), "AccessDenied"),
    ("unsigned x-amz-tagging", lambda url: requests.put(url, data=b"x", headers={"x-amz-tagging": "a=b"},
                                                        timeout=30), "AccessDenied"),
    ("a session token header", lambda url: requests.put(url, data=b"x", headers={"x-amz-security-token": "t"},
                                                        timeout=30), "AccessDenied"),
    ("an added query parameter", lambda url: requests.put(url + "&uploads=", data=b"x", timeout=30),
     "SignatureDoesNotMatch"),
    ("an Authorization header too", lambda url: requests.put(
        url, data=b"x", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"}, timeout=30),
     "SignatureDoesNotMatch"),
]


@pytest.mark.parametrize(("case", "attack", "expected"), PUT_ATTACKS, ids=[c for c, _, _ in PUT_ATTACKS])
def test_a_presigned_put_does_only_what_was_signed(stack: RunningStack, case: str, attack: Attack,
                                                   expected: str) -> None:
    prefix = f"atk-{uuid.uuid4().hex[:8]}/"
    admin = s3(stack, stack.admin_credentials(), signature_version="s3v4")
    url = admin.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": prefix + "target"},
                                       ExpiresIn=300)
    answer = attack(url)
    assert answer.status_code in (400, 403), (case, answer.status_code, answer.text)
    assert f"<Code>{expected}</Code>".encode() in answer.content, (case, answer.text)
    assert keys(stack, prefix) == [], "a refused request wrote"


def test_an_expired_presigned_url_is_accessdenied_request_has_expired(stack: RunningStack) -> None:
    admin = s3(stack, stack.admin_credentials(), signature_version="s3v4")
    key = f"atk-{uuid.uuid4().hex[:8]}/kept"
    admin.put_object(Bucket=BUCKET, Key=key, Body=b"secret")
    url = admin.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=1)
    time.sleep(2.5)  # waits for the URL to lapse; a slower machine only lets it lapse further
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>1</X-Amz-Expires>" \
        in answer.content, answer.text
    assert b"<ServerTime>" in answer.content and b"secret" not in answer.content


def _signed_at(moment: dt.datetime, monkeypatch: pytest.MonkeyPatch, make: Callable[[], str]) -> str:
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: moment)
    try:
        return make()
    finally:
        monkeypatch.undo()


def test_a_presigned_url_from_the_future_is_not_yet_valid(stack: RunningStack,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    admin = s3(stack, stack.admin_credentials(), signature_version="s3v4")
    key = f"atk-{uuid.uuid4().hex[:8]}/future"
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=2)
    url = _signed_at(later, monkeypatch, lambda: admin.generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600))
    answer = requests.put(url, data=b"x", timeout=30)
    assert answer.status_code == 403
    assert b"<Code>AccessDenied</Code><Message>Request is not yet valid</Message>" in answer.content, answer.text
    assert keys(stack, key) == []


def test_a_presigned_lifetime_over_seven_days_is_refused(stack: RunningStack) -> None:
    admin = s3(stack, stack.admin_credentials(), signature_version="s3v4")
    key = f"atk-{uuid.uuid4().hex[:8]}/week"
    url = admin.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=604801)
    answer = requests.put(url, data=b"x", timeout=30)
    assert answer.status_code == 400
    assert b"<Code>AuthorizationQueryParametersError</Code>" in answer.content, answer.text
    assert keys(stack, key) == []


def test_a_users_own_presigned_url_carries_no_more_than_the_user(stack: RunningStack) -> None:
    """The user role has no S3 permission: a URL alice presigns with her session is refused as
    her request would be (IAM decides at use, for the signer), and writes nothing."""
    alice = s3(stack, stack.login("alice"), signature_version="s3v4")
    key = f"atk-{uuid.uuid4().hex[:8]}/alice"
    url = alice.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
    answer: Any = requests.put(url, data=b"x", timeout=30)
    assert answer.status_code == 403 and b"<Code>AccessDenied</Code>" in answer.content
    assert b"assumed-role/WebUser/alice is not authorized to perform: s3:PutObject" in answer.content
    assert keys(stack, key) == []
