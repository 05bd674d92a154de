"""Opening the app at http://127.0.0.1:PORT/ (what many people type) still signs in: the host
sends the browser to its public origin first (issue 10, Broken #2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App

pytestmark = pytest.mark.browser


def test_opening_the_loopback_address_redirects_to_the_public_origin_and_signs_in(app: App) -> None:
    page = app.context().new_page()
    answer = page.goto(f"http://127.0.0.1:{app.stack.port}/#games")
    assert answer is not None and answer.url.startswith(app.stack.host_url + "/")
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("signin-as-alice").click()
    app.wait_ready(page)
    assert page.url.startswith(app.stack.host_url + "/")
    expect(page.get_by_test_id("who-name")).not_to_be_empty()
