"""The rough edges of issue 10, each seen through Chromium on the real stack: a file that is not an
image is said at the picker (no banner, the drop zone keeps its preview); error banners carry no
stray "null" and go once a later request succeeds; a throttled write is retried by the SDK and,
when DynamoDB keeps refusing, offered again in plain words with "Try again"; a date range whose
From is after its To says so; tag-filtered cards keep their visibility badge and other tags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import App, add_photo, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def test_a_file_that_is_not_an_image_is_said_at_the_picker(app: App, image_file: Callable[..., Path],
                                                           tmp_path: Path) -> None:
    page = app.sign_in("carol")
    page.get_by_test_id("photo-file").set_input_files(str(image_file()))
    preview = page.locator(".file-drop img.preview")
    expect(preview).to_be_visible()
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    page.get_by_test_id("photo-file").set_input_files(str(text))
    expect(page.get_by_test_id("photo-file-error")).to_contain_text("not an image")
    expect(preview).to_be_visible()  # the drop zone is not blanked
    # A file that claims to be a PNG but is not one: said as soon as it is chosen (its preview
    # cannot be decoded; the drop zone used to go blank without a word), and again on submit.
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"definitely not a PNG")
    page.get_by_test_id("photo-file-error").evaluate("e => { e.hidden = true; e.textContent = ''; }")
    page.get_by_test_id("photo-file").set_input_files(str(fake))
    expect(page.get_by_test_id("photo-file-error")).to_contain_text("not an image")
    expect(preview).to_be_hidden()
    expect(page.locator(".file-drop")).to_contain_text("Choose an image")
    page.get_by_test_id("photo-title").fill("fake")
    page.get_by_test_id("photo-tags").fill("fake")
    page.get_by_test_id("photo-add").click()
    expect(page.get_by_test_id("photo-file-error")).to_contain_text("not an image")
    expect(page.get_by_test_id("banner")).to_be_hidden()


def dynamodb_error(route: Route, code: str, message: str) -> None:
    route.fulfill(status=400, content_type="application/x-amz-json-1.0",
                  headers={"x-amzn-RequestId": "test", "Access-Control-Allow-Origin": "*"},
                  body=json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}))


def fail_target(page: Page, stack: RunningStack, target: str, code: str, message: str) -> list[int]:
    """Answer every DynamoDB request with ``X-Amz-Target`` ending in ``target`` with ``code``."""
    hits: list[int] = []

    def handle(route: Route) -> None:
        if route.request.method == "POST" and (route.request.headers.get("x-amz-target") or "").endswith(target):
            hits.append(1)
            return dynamodb_error(route, code, message)
        return route.continue_()

    page.route(f"{stack.dynamodb_url}/**", handle)
    return hits


def test_banners_have_no_null_and_go_after_a_later_success(app: App, stack: RunningStack) -> None:
    page = app.sign_in("carol")
    hits = fail_target(page, stack, ".Query", "ValidationException", "One or more parameter values were invalid")
    page.get_by_test_id("filter-clear").click()
    banner = page.get_by_test_id("banner")
    expect(banner).to_be_visible()
    assert hits and "null" not in banner.inner_text()
    page.unroute(f"{stack.dynamodb_url}/**")
    page.get_by_test_id("filter-clear").click()
    expect(banner).to_be_hidden()


def test_a_throttled_write_is_retried_then_offered_again_in_plain_words(
    app: App, stack: RunningStack, image_file: Callable[..., Path], unique: str,
) -> None:
    page = app.sign_in("carol")
    hits = fail_target(page, stack, ".TransactWriteItems", "ProvisionedThroughputExceededException",
                       "The level of configured provisioned throughput for the table was exceeded. "
                       "Consider increasing your provisioning level with the UpdateTable API.")
    page.get_by_test_id("photo-file").set_input_files(str(image_file()))
    page.get_by_test_id("photo-title").fill(unique)
    page.get_by_test_id("photo-tags").fill(unique)
    page.get_by_test_id("photo-add").click()
    banner = page.get_by_test_id("banner")
    expect(banner).to_have_attribute("data-kind", "throttled", timeout=30_000)
    assert len(hits) == 6  # the SDK tried six times (adaptive retry mode) before giving up
    expect(banner).to_contain_text("busy")
    expect(banner).not_to_contain_text("provisioning level")  # operator advice is not for users
    screenshot(page, "throttled-retry")
    page.unroute(f"{stack.dynamodb_url}/**")
    banner.get_by_test_id("banner-retry").click()
    expect(page.get_by_test_id("add-status")).to_contain_text("Added")
    expect(page.get_by_test_id("photo-card-title").filter(has_text=unique)).to_have_count(1)


def test_from_after_to_is_said_and_tag_filtered_cards_keep_badge_and_tags(
    app: App, image_file: Callable[..., Path], unique: str,
) -> None:
    page = app.sign_in("carol")
    add_photo(page, image_file(), f"{unique} shared", f"{unique} {unique}-other", "2024-06-01", "public")
    page.get_by_test_id("filter-from").fill("2024-12-31")
    page.get_by_test_id("filter-to").fill("2024-01-01")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("filter-message")).to_contain_text("is after")
    expect(page.get_by_test_id("list-heading")).to_have_text("My photos")  # nothing was queried

    page.get_by_test_id("filter-from").fill("")
    page.get_by_test_id("filter-to").fill("")
    page.get_by_test_id("filter-tag").fill(unique)
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("filter-message")).to_be_hidden()
    card = page.get_by_test_id("photo-card").filter(has_text=f"{unique} shared")
    expect(card.get_by_test_id("photo-card-visibility")).to_have_text("public")
    expect(card.get_by_test_id("photo-card-tags")).to_contain_text(f"{unique}-other")


def test_the_access_panel_lists_this_sessions_refusals_in_plain_words(app: App) -> None:
    page = app.sign_in("carol")
    page.get_by_test_id("tab-access").click()
    expect(page.get_by_test_id("refusal-none")).to_be_visible()
    page.get_by_test_id("access-try-scan").click()
    expect(page.get_by_test_id("access-result-scan")).to_have_attribute("data-outcome", "denied")
    page.get_by_test_id("access-try-write-plan").click()
    expect(page.get_by_test_id("access-result-write-plan")).to_have_attribute("data-outcome", "denied")
    rows = page.get_by_test_id("refusal-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("UpdateItem on Profiles")
    expect(rows.nth(0).get_by_test_id("refusal-reason")).to_contain_text("forbids this outright")
    expect(rows.nth(1)).to_contain_text("Scan on Photos")
    expect(rows.nth(1).get_by_test_id("refusal-reason")).to_contain_text("No rule of your role allows")
    screenshot(page, "access-refusals")


def test_the_idp_page_looks_like_the_app_and_no_load_meets_a_404(app: App) -> None:
    page = app.context().new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(app.stack.host_url + "/")
    page.get_by_test_id("sign-in").click()
    button = page.get_by_test_id("add-user-submit")
    expect(button).to_be_visible()
    page.wait_for_load_state("networkidle")
    style = button.evaluate("(b) => { const s = getComputedStyle(b); return [s.fontFamily, s.backgroundColor, s.color]; }")
    body_font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert style == [body_font, "rgb(59, 91, 219)", "rgb(255, 255, 255)"]  # --accent, as the app's primary buttons
    page.get_by_test_id("signin-as-alice").click()
    app.wait_ready(page)
    page.wait_for_load_state("networkidle")
    assert missing == []


def test_every_timestamp_has_one_format(app: App) -> None:
    page = app.sign_in("carol")
    expect(page.get_by_test_id("stat-credentials")).to_contain_text("expire")
    one_format = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M")
    assert one_format.search(page.get_by_test_id("stat-credentials").inner_text())
    page.get_by_test_id("tab-access").click()
    assert one_format.fullmatch(page.get_by_test_id("identity-expiry").inner_text().strip())


def test_a_sign_in_that_cannot_complete_lands_on_the_page_with_a_sentence(app: App, stack: RunningStack) -> None:
    """A browser back at ``/auth/callback`` with a stale or foreign ``state`` (the Back button
    after signing in, a sign-in page finished in another window) used to show raw JSON about a
    "CSRF Warning!"; it now lands on the page, which says what happened. Clients asking for JSON
    still get ``400 login_failed`` (tests/functional/web/test_callback.py)."""
    page = app.context().new_page()
    page.goto(f"{stack.host_url}/auth/callback?code=stale&state=not-this-browsers")
    expect(page.get_by_test_id("signed-out-message")).to_contain_text("Sign-in did not complete")
    assert page.url == f"{stack.host_url}/"
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    screenshot(page, "signin-failed")
