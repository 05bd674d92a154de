"""The page on a phone-sized screen: every section fits the width (no sideways scrolling), and
the page carries no inline script or style (the host's CSP forbids them, so they would not run).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, screenshot

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("tab", ["photos", "public", "games", "profile", "access"])
def test_every_section_fits_a_phone_screen(app: App, tab: str) -> None:
    page = app.sign_in("alice", app.context(**PHONE))
    page.get_by_test_id(f"tab-{tab}").click()
    expect(page.locator(f"[data-view={tab}]")).to_be_visible()
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {tab} section is {overflow}px wider than the phone"
    screenshot(page, f"phone-{tab}")


def test_no_inline_scripts_styles_or_csp_violations(app: App) -> None:
    context = app.context()
    violations: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(app.stack.host_url + "/")
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("signin-as-alice").click()
    app.wait_ready(page)
    for tab in ["public", "games", "profile", "access", "photos"]:
        page.get_by_test_id(f"tab-{tab}").click()
    inline = page.evaluate("""() => ({
        scripts: [...document.scripts].filter((s) => !s.src).length,
        styleElements: document.querySelectorAll('style').length,
        styleAttributes: document.querySelectorAll('[style]').length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    })""")
    assert inline == {"scripts": 0, "styleElements": 0, "styleAttributes": 0, "handlers": 0}
    assert violations == []


def test_on_a_phone_nothing_is_cut_and_the_first_screen_shows_the_photos(app: App) -> None:
    """Issue 10: the header name, the visibility select and the "vs …" labels were cut, and the add
    form filled the first screen. Now the form starts folded on a phone, unfolds on demand, and
    each of those elements shows its whole text (its content is no wider than its box)."""
    page = app.sign_in("alice", app.context(**PHONE))
    form = page.get_by_test_id("add-form")
    assert (form.bounding_box() or {"height": 999})["height"] < 844 / 4
    expect(page.get_by_test_id("photo-list")).to_be_in_viewport()
    page.get_by_test_id("add-unfold").click()
    expect(page.get_by_test_id("photo-title")).to_be_visible()
    cut = """(el) => el.scrollWidth > el.clientWidth + 1"""
    assert not page.get_by_test_id("who-name").evaluate(cut)
    assert not page.get_by_test_id("photo-visibility").evaluate(
        "(el) => { const c = document.createElement('canvas').getContext('2d'); c.font = getComputedStyle(el).font;"
        " return c.measureText(el.selectedOptions[0].text).width + 40 > el.clientWidth; }")
    page.get_by_test_id("tab-access").click()
    # The identity facts stack under their labels on a phone: each value gets the card's width
    # (side by side, the role session ARN broke into lines of a dozen characters).
    facts = page.get_by_test_id("identity")
    value = (facts.locator("dd").first.bounding_box() or {"width": 0})["width"]
    assert value > 0.9 * (facts.bounding_box() or {"width": 999})["width"]
    page.get_by_test_id("tab-games").click()
    labels = page.locator(".game-row .vs")
    for i in range(labels.count()):
        assert not labels.nth(i).evaluate(cut)
    screenshot(page, "phone-games-wrapped")
