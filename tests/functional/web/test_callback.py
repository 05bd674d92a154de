"""W-01..W-04 on the host's ``/auth/callback``: the checks the page's OAuth client would have made
(``state`` bound to the browser that started the flow and single-use, ``nonce``, PKCE) now live in
the host (RFC 9700 §2.1 and §4.7; OIDC Core §3.1.3.7 step 11; ASVS 5.0 10.1.2, 10.2.1, 10.5.1).

"No token exchange" is shown by the flow's rightful owner: a code the host had redeemed would be
spent (single-use, ``webapp.idp.grants``), so the owner completing its sign-in afterwards proves
the refused callback never reached the token endpoint.
"""

from __future__ import annotations

import base64
import math
from collections import Counter

import pytest

from tests.conftest import RunningStack
from tests.functional.web.conftest import Browser, StackIdp, query_of


def entropy_bits(value: str) -> float:
    """Bits carried by a base64url string of random bytes (6 per character)."""
    return len(value) * math.log2(64)


def test_w01_authorization_request_uses_code_pkce_s256_state_and_nonce(browser: Browser) -> None:
    """W-01 (reconstructed): the request the host sends is code flow with PKCE S256, and ``state``
    and ``nonce`` are fresh CSPRNG values of at least 128 bits (ASVS 5.0 11.5.1), new per flow."""
    first, second = query_of(browser.authorize_url()), query_of(Browser(browser.host).authorize_url())
    for params in (first, second):
        assert params["response_type"] == "code"
        assert params["code_challenge_method"] == "S256"
        assert len(base64.urlsafe_b64decode(params["code_challenge"] + "=")) == 32  # SHA-256
        assert entropy_bits(params["state"]) >= 128 and entropy_bits(params["nonce"]) >= 128
        assert "openid" in params["scope"].split()
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


def test_w02_callback_without_state_is_refused_without_exchanging_the_code(browser: Browser, idp: StackIdp) -> None:
    back = browser.start("alice")
    verifier = browser.pending_verifier(back.state)
    refused = browser.get(back.with_query(state=None))
    assert refused.status_code == 400 and refused.json()["error"] == "login_failed"
    assert "Location" not in refused.headers and refused.headers["Cache-Control"] == "no-store"
    assert browser.signed_in_as() is None
    # The code was not spent: redeemed with the flow's own verifier (read from the signed, not
    # encrypted, cookie) it still gives tokens.
    assert idp.exchange(back.code, verifier).status_code == 200


def test_a_failed_callback_ends_the_flow_so_the_right_state_cannot_be_replayed(browser: Browser) -> None:
    """Issue 10: after a callback with a valid code and a wrong state, the stored state is gone
    (single-use): the same code with the right state no longer signs anyone in."""
    back = browser.start("alice")
    refused = browser.get(back.with_query(state="not-the-state"))
    assert refused.status_code == 400 and refused.json()["error"] == "login_failed"
    again = browser.get(back.url)
    assert again.status_code == 400 and again.json()["error"] == "login_failed"
    assert browser.signed_in_as() is None


def test_w02_callback_with_a_state_from_another_browser_is_refused(stack: RunningStack) -> None:
    """The attacker's browser delivers the victim's code and state (login CSRF / code injection
    from another tab or profile): the state is not in this browser's session, so nothing is
    exchanged and nobody is signed in there."""
    victim, attacker = Browser(stack.host_url), Browser(stack.host_url)
    back = victim.start("alice")
    attacker.authorize_url()  # the attacker has a flow of its own, with another state
    refused = attacker.get(back.url)
    assert refused.status_code == 400 and refused.json()["error"] == "login_failed"
    assert attacker.signed_in_as() is None
    assert victim.get(back.url).status_code == 303
    assert victim.signed_in_as() is not None


def test_w02_callback_with_a_mismatched_state_of_the_same_browser_is_refused(browser: Browser) -> None:
    """Two tabs: tab 2's state with tab 1's code is refused (each state binds its own verifier)."""
    tab1 = browser.start("alice")
    tab2 = browser.start("bob")
    refused = browser.get(tab1.with_query(state=tab2.state))
    assert refused.status_code == 400
    assert browser.signed_in_as() is None


def test_w03_a_replayed_callback_is_refused_and_keeps_the_session(browser: Browser, stack: RunningStack) -> None:
    back = browser.start("alice")
    assert browser.get(back.url).status_code == 303
    cookie, sub = browser.cookie, browser.signed_in_as()
    replay = browser.get(back.url)  # Back / refresh on the callback URL
    assert replay.status_code == 400 and replay.json()["error"] == "login_failed"
    assert "Location" not in replay.headers
    assert browser.cookie == cookie and browser.signed_in_as() == sub


def test_w03_the_code_forced_to_the_token_endpoint_again_is_invalid_grant(idp: StackIdp) -> None:
    code, verifier = idp.code()
    assert idp.exchange(code, verifier).status_code == 200
    again = idp.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_w04_an_id_token_with_another_nonce_is_refused(browser: Browser, idp: StackIdp) -> None:
    """W-04 (reconstructed, OIDF ``oidcc-client-test-nonce-invalid``): the host started a flow with
    nonce N; a code bound to the same state and PKCE challenge but nonce N+"1" comes back. The
    exchange succeeds at the IdP, but the host refuses the ID token: no session."""
    started = query_of(browser.authorize_url())
    forged = idp.authorize_url(started["code_challenge"], state=started["state"],
                               nonce=started["nonce"] + "1")
    back = browser.consent(forged, "alice")
    refused = browser.get(back.url)
    assert refused.status_code == 400 and refused.json()["error"] == "login_failed"
    assert "nonce" in refused.json()["message"].lower()
    assert browser.signed_in_as() is None


def test_an_error_callback_from_the_idp_signs_nobody_in(browser: Browser) -> None:
    """The IdP's refusals that do go back to the client (RFC 6749 §4.1.2.1) end as a 400 page at the
    host, not as a session."""
    state = query_of(browser.authorize_url())["state"]
    for error in ("invalid_request", "unsupported_response_type", "server_error"):
        answer = browser.get(f"/auth/callback?error={error}&state={state}")
        assert answer.status_code == 400, answer.text
        assert browser.signed_in_as() is None


@pytest.mark.parametrize("count", [5])
def test_states_do_not_repeat(stack: RunningStack, count: int) -> None:
    states = Counter(query_of(Browser(stack.host_url).authorize_url())["state"] for _ in range(count))
    assert max(states.values()) == 1
