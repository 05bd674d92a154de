"""The session: credentials are re-obtained from STS before they expire while the page keeps
working, and signing out ends the session on the host.

Credential refresh: a stack whose credentials last 900 s (STS's minimum), and the page's refresh
margin set to 893 s, so the page must trade a fresh ID token with STS 7 s after the first trade
instead of after 10 minutes; the page's clock (Playwright's) is moved 8 s forward rather than
waited for. The STS calls are real (watched on the network), the new keys differ and DynamoDB
accepts them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Request, Route, expect

from tests.browser.conftest import App, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser

DURATION = 900
MARGIN = 893


def test_credentials_are_refreshed_from_sts_and_requests_keep_working(
    browser: Browser, fresh_stack: RunningStack,
) -> None:
    fresh_stack._extra_env["WEBAPP_SESSION_DURATION_SECONDS"] = str(DURATION)
    fresh_stack.start()
    with App(browser, fresh_stack) as app:
        page = app.sign_in("alice")
        assumes: list[Request] = []
        page.on("request", lambda r: assumes.append(r) if r.url.startswith(fresh_stack.sts_url) and r.method == "POST" else None)
        app.refresh_credentials_early(page, MARGIN)
        page.get_by_test_id("tab-access").click()
        expect(page.get_by_test_id("identity-assume-count")).to_contain_text("1 time")
        first_key = page.get_by_test_id("identity-key").inner_text()
        expiry = datetime.fromisoformat(page.get_by_test_id("identity-expiry").get_attribute("data-iso") or "")
        remaining = (expiry - datetime.now(UTC)).total_seconds()
        assert DURATION - 30 < remaining <= DURATION + 5

        # The page's clock jumps past the refresh point; as the refresh reaches STS it is set back
        # to the real time, by which STS dates the new credentials (else they would look due too).
        def back_to_real_time(route: Route) -> None:
            page.clock.set_system_time(datetime.now(UTC))
            route.continue_()

        page.route(lambda url: url.startswith(fresh_stack.sts_url), back_to_real_time, times=1)
        page.clock.fast_forward((DURATION - MARGIN + 1) * 1000)
        page.get_by_test_id("tab-photos").click()
        page.get_by_test_id("filter-clear").click()
        expect(page.get_by_test_id("photo-list")).not_to_have_attribute("aria-busy", "true")
        page.get_by_test_id("tab-access").click()
        expect(page.get_by_test_id("identity-assume-count")).to_contain_text("2 time")
        assert page.get_by_test_id("identity-key").inner_text() != first_key
        assert len([r for r in assumes if "AssumeRoleWithWebIdentity" in (r.post_data or "")]) == 2
        expect(page.get_by_test_id("banner")).to_be_hidden()
        screenshot(page, "identity")


def test_sign_out_ends_the_session(app: App) -> None:
    page = app.sign_in("bob")
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    assert page.evaluate("fetch('/auth/token').then(r => r.status)") == 401
    page.reload()
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    screenshot(page, "signed-out")


def test_a_session_ended_elsewhere_asks_to_sign_in_again(app: App) -> None:
    """The credentials are refreshed on every request (margin 3599 s of 3600), so the first
    request after the session ends elsewhere needs a new ID token and the host refuses it."""
    page = app.sign_in("alice")
    app.refresh_credentials_early(page, 3599)
    app.end_session_on_host(page)

    page.clock.fast_forward(1500)  # the credentials in hand are now inside the refresh window
    page.get_by_test_id("filter-clear").click()
    banner = page.get_by_test_id("banner")
    expect(banner).to_have_attribute("data-kind", "session")
    expect(banner).to_contain_text("Your session has expired. Please sign in again.")
    expect(banner.get_by_role("link", name="Sign in again")).to_have_attribute("href", "/auth/login")
    screenshot(page, "session-expired")
