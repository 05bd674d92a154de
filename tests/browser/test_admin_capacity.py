"""The ``/admin/capacity`` page in Chromium: it plots and lists what the watch says, for the admin.

Same stack as the functional tests (``tests/functional/host/admins.py``): alice is the admin, bob
wrote photos under his own partition key.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import App
from tests.conftest import RunningStack


@pytest.fixture
def admin(capacity_admin: tuple[RunningStack, str, str]) -> tuple[RunningStack, str, str]:
    """The session's admin stack (``tests/conftest.py``), shared with the other capacity tests."""
    return capacity_admin


def test_the_admin_sees_a_chart_per_table_and_bobs_key_only_when_asked(
        browser: Browser, admin: tuple[RunningStack, str, str]) -> None:
    stack, _, bob_sub = admin
    with App(browser, stack) as app:
        page = app.sign_in("alice")
        page.goto(f"{stack.host_url}/admin/capacity")
        photos = page.locator("[data-testid=capacity-table][data-name=Photos]")
        expect(photos.locator("svg polyline.write")).to_have_count(1)
        expect(photos).to_contain_text("WCU")
        keys = page.locator("[data-testid=hot-keys][data-name=Photos] [data-testid=hot-key]")
        expect(keys.first).to_be_visible()
        assert bob_sub not in page.content()  # hashed until asked
        # the app's one timestamp format (test_rough_edges.py::test_every_timestamp_has_one_format)
        expect(page.get_by_test_id("capacity-status")).to_have_text(
            re.compile(r"Updated [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M; keys hashed\."))
        box = page.get_by_test_id("show-keys").bounding_box() or {"width": 999}
        assert box["width"] < 30, "the checkbox took the app's full-width input style"
        words = page.locator("label.admin-keys").bounding_box() or {"height": 999}
        assert words["height"] < 40, "the checkbox and its words are stacked (styles.css's label column)"
        page.get_by_test_id("show-keys").check()
        expect(keys.first).to_contain_text(bob_sub)
        expect(page.get_by_test_id("capacity-status")).to_contain_text("in clear")


def test_a_user_who_is_not_an_admin_is_told_so_and_sees_no_figures(
        browser: Browser, admin: tuple[RunningStack, str, str]) -> None:
    stack, _, bob_sub = admin
    with App(browser, stack) as app:
        page = app.sign_in("bob")
        page.goto(f"{stack.host_url}/admin/capacity")
        expect(page.get_by_test_id("capacity-status")).to_contain_text("Only the app's admins")
        expect(page.get_by_test_id("show-keys")).to_be_hidden()  # no figures to show in clear
        expect(page.locator("[data-testid=capacity-table]")).to_have_count(0)
        expect(page.locator("[data-testid=hot-key]")).to_have_count(0)
        assert "Photos" not in page.locator("main").inner_text()


def test_throttles_are_marked_on_the_chart(browser: Browser, admin: tuple[RunningStack, str, str]) -> None:
    """README: the page "marks throttles". The watch's answer is replaced by one whose last second
    throttled (the stack's own throttling is tests/browser/test_throttling.py's); the chart draws a
    red mark for it and the row counts it."""
    stack, _, _ = admin
    snapshot = {"time": 1796000000, "seconds": 300, "keys_shown": False, "hot_keys": [],
                "tables": [{"table": "Photos", "index": None, "read_units": 1.0, "write_units": 2.0, "throttles": 3,
                            "per_second": {"read": [1.0], "write": [2.0], "throttles": [3]}}]}
    with App(browser, stack) as app:
        page = app.sign_in("alice")
        page.route(f"{stack.host_url}/admin/capacity.json*", lambda route: route.fulfill(json=snapshot))
        page.goto(f"{stack.host_url}/admin/capacity")
        photos = page.locator("[data-testid=capacity-table][data-name=Photos]")
        expect(photos.locator("svg rect.throttle")).to_have_count(1)
        expect(photos).to_contain_text("3 throttled")
