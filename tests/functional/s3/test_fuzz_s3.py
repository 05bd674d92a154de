"""Hostile input to the S3 endpoint that was a 500 (found by fuzzing the running stack, issue 11).

A ``DeleteObjects`` body with a document type declaration (entities, the billion-laughs shape)
reached moto's XML parser, which raised on it: S3's ``MalformedXML`` now, and nothing deleted.
"""

from __future__ import annotations

import http.client
import secrets
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENTITIES = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<Delete><Object><Key>&b;</Key></Object><Object><Key>kept</Key></Object></Delete>")

#: (what, DeleteObjects body)
BODIES = [
    ("entities in a DOCTYPE", ENTITIES),
    ("a lower-case doctype", ENTITIES.replace(b"DOCTYPE", b"doctype")),
    ("an external entity", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                           b"<Delete><Object><Key>&x;</Key></Object></Delete>"),
]


def _signed(stack: Any, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    admin = stack.admin_credentials()
    url = stack.s3_url + path
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/xml"})
    S3SigV4Auth(Credentials(admin.access_key_id, admin.secret_access_key), "s3", stack.region).add_auth(request)
    conn = http.client.HTTPConnection("localhost", stack.port + 4, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(request.headers.items()))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("what, body", BODIES, ids=[b[0] for b in BODIES])
def test_a_delete_objects_body_with_a_dtd_is_malformed_xml(what: str, body: bytes, stack: Any) -> None:
    s3 = stack.admin("s3")
    bucket = f"fuzz-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    status, answer = _signed(stack, "POST", f"/{bucket}?delete", body)
    assert (status, b"<Code>MalformedXML</Code>" in answer) == (400, True), answer[:300]
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"x"
