"""The local stack with a third-party OpenID Connect provider (issue 10, Broken #1).

``oidc-provider-mock`` (PyPI) runs in this process on a free loopback port, so its issuer is
``http://localhost:PORT`` (http and a port: the local stack's loopback exception,
``iam_policies.issuers``). The stack is started with only the four variables docs/deploy.md names;
it registers the provider and the user role's trust by itself. In Chromium: sign in at the
provider, the page gets STS credentials (STS fetched the provider's keys through its discovery
document), adds a photo, and a read of another user's partition is refused by IAM.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import App, add_photo, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser

CLIENT_ID = "snapshots-local"


@pytest.fixture
def provider() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def start_with(stack: RunningStack, provider: str) -> None:
    """Start the stack with only the four variables docs/deploy.md names."""
    stack._extra_env.update({
        "WEBAPP_ISSUER": provider,
        "WEBAPP_OIDC_METADATA_URL": f"{provider}/.well-known/openid-configuration",
        "WEBAPP_CLIENT_ID": CLIENT_ID,
        "WEBAPP_OIDC_CLIENT_SECRET": "not-checked-by-the-mock",
    })
    stack.start()


def sign_in_at_the_mock(app: App, sub: str) -> Page:
    page = app.context().new_page()
    page.goto(app.stack.host_url + "/")
    page.get_by_test_id("sign-in").click()
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    app.wait_ready(page)
    return page


def test_sign_in_with_a_local_third_party_provider_end_to_end(
    browser: Browser, fresh_stack: RunningStack, provider: str, image_file: Callable[..., Path],
) -> None:
    start_with(fresh_stack, provider)
    banner = fresh_stack.log()
    assert f"Sign in with:  {provider}" in banner and "local stack only" in banner
    assert "Sign in as:" not in banner  # the dev users do not apply
    with App(browser, fresh_stack) as app:
        mallory = sign_in_at_the_mock(app, "mallory@example.com")
        mallory_sub = app.sub(mallory)
        # A new user's profile starts with the ID token's name claim.
        requests.put(f"{provider}/users/alice@example.com", json={"name": "Alice Liddell"}, timeout=5)
        alice = sign_in_at_the_mock(app, "alice@example.com")
        expect(alice.get_by_test_id("who-name")).to_have_text("Alice Liddell")
        alice.get_by_test_id("tab-profile").click()
        expect(alice.get_by_test_id("profile-name")).to_have_value("Alice Liddell")
        alice.get_by_test_id("tab-access").click()
        expect(alice.get_by_test_id("identity-provider")).to_have_text(provider)
        expect(alice.get_by_test_id("identity-sub")).to_have_text("alice@example.com")
        expect(alice.get_by_test_id("identity-key")).to_have_text(re.compile(r"^ASIA"))

        add_photo(alice, image_file(), "From my own provider", "mock", "2026-05-01")

        alice.get_by_test_id("tab-access").click()
        alice.get_by_test_id("access-other-sub").fill(mallory_sub)
        alice.get_by_test_id("access-try-read-other").click()
        result = alice.get_by_test_id("access-result-read-other")
        expect(result).to_have_attribute("data-outcome", "denied")
        expect(result).to_contain_text("AccessDeniedException")
        expect(result).to_contain_text("assumed-role/WebUser/Alice-Liddell")  # the mock's user
        screenshot(alice, "own-provider-access")
        # Nothing of alice's reached mallory's partition.
        mallory.reload()
        app.wait_ready(mallory)
        expect(mallory.get_by_test_id("photo-card-title")).to_have_count(0)


def test_a_provider_aws_does_not_trust_is_reported_as_a_misconfiguration_not_an_expired_session(
    browser: Browser, fresh_stack: RunningStack, provider: str,
) -> None:
    start_with(fresh_stack, provider)
    with App(browser, fresh_stack) as app:
        page = sign_in_at_the_mock(app, "dana@example.com")
        iam = fresh_stack.admin("iam")
        key = provider.split("://", 1)[1]
        iam.delete_open_id_connect_provider(
            OpenIDConnectProviderArn=f"arn:aws:iam::{fresh_stack.account_id}:oidc-provider/{key}")
        page.reload()
        banner = page.get_by_test_id("banner")
        expect(banner).to_have_attribute("data-kind", "config")
        expect(banner).to_contain_text("sign-in provider is not registered in AWS IAM")
        expect(banner).not_to_contain_text("session has expired")
        expect(banner.get_by_role("link", name="Sign in again")).to_have_count(0)
        assert not banner.inner_text().rstrip().endswith("null")
