"""T-43 (and T-09): the IdP rotates its signing key while the stack runs; STS picks up the new key at once
and stops accepting the old one once it is retired and the cached JWKS expires."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ROOT, RunningStack
from tests.functional.sts.test_attacks import claims, idp_key, refused
from tests.unit.webapp.sts.forge import mint


def keys(stack: RunningStack, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "webapp.idp.keycmd", "--data-dir", str(stack.data_dir), *args],
                   cwd=ROOT, check=True, capture_output=True)


def test_t43_a_rotated_key_is_accepted_after_one_refetch(fresh_stack: RunningStack) -> None:
    stack = fresh_stack.start()
    before = stack.dev_token("alice")
    assert stack.assume(before).access_key_id.startswith("ASIA")
    keys(stack, "rotate")
    after = stack.dev_token("alice")
    assert after.split(".")[0] != before.split(".")[0]  # a new kid in the header
    assert stack.assume(after).access_key_id.startswith("ASIA")
    # T-09: two keys published now, so a token without a kid is ambiguous and refused
    no_kid = mint(claims(), idp_key(stack), {"alg": "RS256", "typ": "JWT"})
    assert refused(stack, no_kid)[:2] == (400, "InvalidIdentityToken")
    keys(stack, "retire", "--keep", "1")
    stack.stop()
    stack.start()  # a restart empties the JWKS cache, as its expiry would
    with pytest.raises(ClientError) as caught:
        stack.assume(before)
    assert caught.value.response["Error"]["Code"] == "InvalidIdentityToken"
