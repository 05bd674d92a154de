"""Signing out (issue 10, What to build 4): signing out in one tab signs out every tab of the app in
that browser, each saying "You signed out"; the session list shows where the user is signed in
(the Sessions table, through the host) and "Sign out everywhere" ends every one of those sessions.
A signed-out visit logs no console error (the page asks /auth/token?probe=1, which answers 200).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def sessions_of(stack: RunningStack, sub: str) -> list[dict]:
    out = stack.admin("dynamodb").query(
        TableName=stack.table("sessions"), IndexName="BySub", KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "Sub"}, ExpressionAttributeValues={":s": {"S": sub}})
    return out["Items"]


def test_signing_out_in_one_tab_signs_out_every_tab(app: App) -> None:
    first = app.sign_in("carol")
    second = app.open(first.context, "/#games")
    third = app.open(first.context, "/#profile")
    first.get_by_test_id("sign-out").click()
    for page in (first, second, third):
        expect(page.get_by_test_id("signed-out")).to_be_visible()
        expect(page.get_by_test_id("signed-out-message")).to_have_text("You signed out.")
        expect(page.get_by_test_id("signed-in")).to_be_hidden()
        assert page.evaluate("fetch('/auth/token').then(r => r.status)") == 401
    screenshot(second, "signed-out-tab")


def test_the_session_list_and_sign_out_everywhere(app: App, stack: RunningStack) -> None:
    laptop = app.sign_in("bob")
    phone_context = app.context(user_agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 "
                                           "(KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36")
    phone = app.sign_in("bob", phone_context)
    sub = app.sub(laptop)
    before = len(sessions_of(stack, sub))
    assert before >= 2

    laptop.get_by_test_id("tab-profile").click()
    rows = laptop.get_by_test_id("session-row")
    expect(rows.first).to_have_attribute("data-current", "true")
    expect(rows.first).to_contain_text("This browser")
    expect(rows.first).to_contain_text("signed in since ")
    expect(laptop.locator("[data-testid=session-row][data-current=false]").filter(has_text="Chrome on Android")).not_to_have_count(0)
    screenshot(laptop, "session-list")

    laptop.get_by_test_id("sign-out-everywhere").click()
    expect(laptop.get_by_test_id("signed-out-message")).to_have_text("You signed out.")
    assert sessions_of(stack, sub) == []
    # The phone finds out at its next question to the host: signed out, nothing to show.
    phone.reload()
    expect(phone.get_by_test_id("signed-out")).to_be_visible()


def test_a_signed_out_visit_logs_no_console_error(app: App) -> None:
    page = app.context().new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(app.stack.host_url + "/")
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == []


