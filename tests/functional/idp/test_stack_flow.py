"""The provider inside the running stack (``python -m webapp serve``): the same code flow over
HTTP against the host's ``/idp``, and its ID tokens accepted by the stack's STS."""

from __future__ import annotations

import json

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import RunningStack
from tests.functional.idp.conftest import IdpHttp, location_query, parse_page
from webapp.idp import IdentityProvider
from webapp.settings import Settings


@pytest.fixture(scope="module")
def stack_idp(stack: RunningStack) -> IdpHttp:
    """The stack's provider over HTTP; the provider object only reads the stack's client secret
    and users from its data directory."""
    settings = Settings(data_dir=stack.data_dir, port=stack.port)
    return IdpHttp(stack.host_url, IdentityProvider.open(settings), settings)


def test_the_stack_serves_discovery_with_the_configured_issuer(stack_idp: IdpHttp) -> None:
    doc = stack_idp.discovery()
    assert doc["issuer"] == "https://idp.localhost/dev"
    assert doc["authorization_endpoint"] == f"{stack_idp.base}/idp/authorize"
    assert doc["jwks_uri"] == f"{stack_idp.base}/idp/jwks.json"


def test_code_flow_on_the_stack_gives_an_id_token_sts_accepts(stack: RunningStack, stack_idp: IdpHttp) -> None:
    flow = stack_idp.new_flow()
    redirect = stack_idp.sign_in("alice", flow)
    query = location_query(redirect)
    assert query["state"] == [flow.state]
    tokens = stack_idp.exchange(query["code"][0], flow.verifier).json()
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(stack_idp.jwks()), algorithms=["RS256"]).claims
    assert claims["nonce"] == flow.nonce
    alice_sub = json.loads((stack.data_dir / "idp" / "users.json").read_text())["users"][0]["sub"]
    assert claims["sub"] == alice_sub

    credentials = stack.assume(tokens["id_token"], session_name="alice")
    assert credentials.subject == alice_sub


def test_dev_token_verifies_against_the_running_stacks_jwks(stack: RunningStack, stack_idp: IdpHttp) -> None:
    token = stack.dev_token("bob")
    claims = jwt.decode(token, KeySet.import_key_set(stack_idp.jwks()), algorithms=["RS256"]).claims
    assert claims["preferred_username"] == "bob"
    assert stack.assume(token, session_name="bob").subject == claims["sub"]


def test_the_sign_in_page_on_the_stack_runs_under_the_hosts_csp(stack_idp: IdpHttp) -> None:
    response = stack_idp.open_authorize(stack_idp.new_flow())
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    page = parse_page(response.text)
    assert page.inline_scripts == 0 and page.inline_styles == 0
    assert all("csrf_token" in form["hidden"] for form in page.forms)
    assert requests.get(f"{stack_idp.base}/idp/static/idp.css", timeout=10).status_code == 200
