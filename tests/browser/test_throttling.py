"""Throttling is visible: on a stack whose Photos table has 1 RCU (``WEBAPP_THROTTLE``, the
backend's provisioned-throughput token buckets), quick successive reloads of the list are refused
with ProvisionedThroughputExceededException; the SDK's standard retry strategy retries them, and
the page's status bar counts the throttled attempts and the retries while the list keeps loading.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import App
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def test_throttled_attempts_and_retries_are_counted_and_shown(browser: Browser, fresh_stack: RunningStack) -> None:
    fresh_stack._extra_env["WEBAPP_THROTTLE"] = "Photos=1:5"
    fresh_stack.start()
    with App(browser, fresh_stack) as app:
        page = app.sign_in("alice")
        throttled = []
        page.on("response", lambda r: throttled.append(r) if r.url.startswith(fresh_stack.dynamodb_url)
                and r.status == 400 and "ProvisionedThroughputExceeded" in (r.header_value("x-amzn-errortype") or r.text()) else None)
        for _ in range(8):
            page.get_by_test_id("filter-clear").click()
            expect(page.get_by_test_id("photo-list")).not_to_have_attribute("aria-busy", "true")
        assert throttled, "the stack never throttled: the test proves nothing"
        expect(page.get_by_test_id("stat-throttled")).to_have_attribute("data-count", str(len(throttled)))
        retries = int(page.get_by_test_id("stat-retries").get_attribute("data-count") or "0")
        assert retries >= len(throttled)
        expect(page.get_by_test_id("stat-throttled")).to_contain_text(f"{len(throttled)} throttled")


def test_writes_to_a_table_at_its_capacity_get_through_with_adaptive_retry(
    browser: Browser, fresh_stack: RunningStack, image_file, unique: str,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 10: under ``Photos=1:1`` four of six quick adds used to fail. The SDK's adaptive retry
    mode retries with backoff and slows the page's own request rate, so all six get through."""
    fresh_stack._extra_env["WEBAPP_THROTTLE"] = "Photos=1:1"
    fresh_stack.start()
    with App(browser, fresh_stack) as app:
        page = app.sign_in("alice")
        outcomes = []
        for n in range(6):
            page.get_by_test_id("photo-file").set_input_files(str(image_file(seed=n)))
            page.get_by_test_id("photo-title").fill(f"{unique} {n}")
            page.get_by_test_id("photo-tags").fill(unique)
            page.get_by_test_id("photo-add").click()
            expect(page.get_by_test_id("photo-add")).to_be_enabled(timeout=90_000)
            outcomes.append(page.get_by_test_id("add-status").inner_text())
        assert all(o.startswith("Added") for o in outcomes), outcomes
        expect(page.get_by_test_id("banner")).to_be_hidden()
        assert int(page.get_by_test_id("stat-throttled").get_attribute("data-count") or "0") > 0, \
            "the stack never throttled: the test proves nothing"
