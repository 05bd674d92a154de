"""Property: whatever path, query and headers botocore signs, the verifier, given the request as
it goes on the wire (botocore's own prepared URL), accepts it; so our canonicalization agrees
with the SDK's beyond the published vectors (UTF-8, reserved characters, repeated names)."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.sigv4 import SignedRequest, verify

NOW = dt.datetime(2026, 1, 15, 8, 0, 0)
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
SEGMENT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/?#%"),
                  min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@settings(max_examples=200, deadline=None)
@given(segments=st.lists(SEGMENT, max_size=3), params=st.lists(st.tuples(TEXT, TEXT), max_size=4),
       header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
       body=st.binary(max_size=64))
def test_botocore_signed_requests_verify(segments: list[str], params: list[tuple[str, str]],
                                         header: str, body: bytes) -> None:
    path = "/" + "/".join(segments)
    request = AWSRequest(method="POST", url=f"https://example.amazonaws.com{path}", params=params,
                         data=body, headers={"X-Amz-Meta": header})
    with mock.patch("botocore.auth.get_current_datetime", lambda: NOW):
        SigV4Auth(CREDS, "service", "us-east-1").add_auth(request)
    prepared = request.prepare()
    wire = urlsplit(prepared.url)
    headers = [("Host", wire.netloc), *((k, v) for k, v in prepared.headers.items())]
    signed = SignedRequest("POST", wire.path or "/", wire.query, headers, body)
    verified = verify(signed, lookup=lambda k, t: (CREDS.secret_key, k),
                      clock=lambda: NOW.replace(tzinfo=dt.UTC).timestamp(),
                      region="us-east-1", service="service")
    assert verified.principal == "AKIDEXAMPLE"
