"""The profile: display name and bio are editable, plan and role are shown read-only, and an
attempt to write Plan is refused by the role's explicit Deny with nothing written.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def profile_item(stack: RunningStack, sub: str) -> dict:
    return stack.admin("dynamodb").get_item(
        TableName=stack.table("profiles"), Key={"UserId": {"S": sub}}, ConsistentRead=True,
    ).get("Item", {})


def test_profile_edit_and_plan_write_denied(app: App, stack: RunningStack, unique: str) -> None:
    page = app.sign_in("carol")
    sub = app.sub(page)
    before = profile_item(stack, sub)

    page.get_by_test_id("tab-profile").click()
    expect(page.get_by_test_id("profile-plan")).to_have_text(before.get("Plan", {}).get("S", "free"))
    expect(page.get_by_test_id("profile-role")).to_have_text(before.get("Role", {}).get("S", "member"))
    page.get_by_test_id("profile-name").fill(f"Carol {unique}")
    page.get_by_test_id("profile-bio").fill("<b>not markup</b> & plain text")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-message")).to_have_text("Saved.")
    expect(page.get_by_test_id("who-name")).to_have_text(f"Carol {unique}")
    after = profile_item(stack, sub)
    assert after["DisplayName"]["S"] == f"Carol {unique}"
    assert after["Bio"]["S"] == "<b>not markup</b> & plain text"
    assert page.locator("b", has_text="not markup").count() == 0
    screenshot(page, "profile")

    page.get_by_test_id("tab-access").click()
    page.get_by_test_id("access-try-write-plan").click()
    expect(page.get_by_test_id("access-result-write-plan")).to_have_attribute("data-outcome", "denied")
    expect(page.get_by_test_id("access-message-write-plan")).to_contain_text("explicit deny")
    final = profile_item(stack, sub)
    assert final.get("Plan") == before.get("Plan")
    assert final.get("Role") == before.get("Role")
