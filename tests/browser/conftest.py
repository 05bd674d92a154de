"""Browser fixtures: one Chromium for the session, driven by Playwright's sync API.

``playwright install`` cannot download browsers here, so the launch uses Debian's Chromium
(``CHROMIUM_PATH``, default ``/usr/bin/chromium``). Sign-in goes through the real dev IdP's
sign-in page, exactly as a person would: app -> /auth/login -> /idp/authorize -> /auth/callback.
"""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from tests.conftest import ROOT, RunningStack

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS,
        )
        yield launched
        launched.close()


class App:
    """Signed-in windows of the app on one stack: ``app.sign_in("alice")`` -> a ready Page."""

    def __init__(self, browser: Browser, stack: RunningStack) -> None:
        self.browser = browser
        self.stack = stack
        self.contexts: list[BrowserContext] = []

    def context(self, **options: object) -> BrowserContext:
        options.setdefault("viewport", {"width": 1200, "height": 900})
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context

    def sign_in(self, user: str, context: BrowserContext | None = None, path: str = "/") -> Page:
        page = (context or self.context()).new_page()
        page.goto(self.stack.host_url + path)
        page.get_by_test_id("sign-in").click()
        page.get_by_test_id(f"signin-as-{user}").click()
        self.wait_ready(page)
        return page

    def open(self, context: BrowserContext, path: str = "/") -> Page:
        """Another window of an already signed-in context."""
        page = context.new_page()
        page.goto(self.stack.host_url + path)
        self.wait_ready(page)
        return page

    def refresh_credentials_early(self, page: Page, margin_seconds: int) -> None:
        """From its next load, ``page`` refreshes its STS credentials ``margin_seconds`` before they
        expire instead of the SDK's 300 s: ``credentialRefreshMarginSeconds`` is added to the
        ``/config.json`` this page receives (the host never sends it, static/src/aws.js). Its clock
        is Playwright's (``page.clock``), so the test moves time instead of waiting for it."""

        def with_margin(route: Route) -> None:
            response = route.fetch()
            route.fulfill(response=response, json={**response.json(), "credentialRefreshMarginSeconds": margin_seconds})

        page.route(f"{self.stack.host_url}/config.json", with_margin)
        page.clock.install()
        page.reload()
        self.wait_ready(page)

    @staticmethod
    def wait_ready(page: Page) -> None:
        expect(page.locator("body[data-ready=true]")).to_have_count(1)

    @staticmethod
    def end_session_on_host(page: Page) -> None:
        """End the page's session at the host without the page's Sign out button (as an expiry,
        another machine or "sign out everywhere" elsewhere would): no tab of this browser hears
        of it until it next asks the host."""
        status = page.evaluate("""fetch('/auth/token').then((r) => r.json()).then((t) => fetch('/auth/logout',
            {method: 'POST', headers: {'X-CSRF-Token': t.csrfToken}})).then((r) => r.status)""")
        assert status == 204

    @staticmethod
    def sub(page: Page) -> str:
        return str(page.evaluate("fetch('/auth/token').then(r => r.json()).then(t => t.sub)"))

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def app(browser: Browser, stack: RunningStack) -> Iterator[App]:
    opened = App(browser, stack)
    yield opened
    opened.close()


@pytest.fixture
def unique() -> str:
    """A tag no other test uses (the stack is shared by the whole session)."""
    return "t" + uuid.uuid4().hex[:10]


def png_bytes(width: int = 160, height: int = 120, seed: int = 0) -> bytes:
    """A real PNG (RFC 2083): a colour gradient, so the page's canvas has something to encode."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            rows += bytes(((x * 255 // width + seed * 90) % 256, (y * 255 // height + seed * 40) % 256, (seed * 70) % 256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")


@pytest.fixture
def image_file(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "photo.png", seed: int = 0, width: int = 160, height: int = 120) -> Path:
        path = tmp_path / name
        path.write_bytes(png_bytes(width, height, seed))
        return path

    return make


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def add_photo(page: Page, path: Path, title: str, tags: str, date: str, visibility: str = "private") -> None:
    """Fill the add form as a person would and wait until the photo is in the list."""
    page.get_by_test_id("tab-photos").click()
    page.get_by_test_id("photo-file").set_input_files(str(path))
    page.get_by_test_id("photo-title").fill(title)
    page.get_by_test_id("photo-tags").fill(tags)
    page.get_by_test_id("photo-date").fill(date)
    page.get_by_test_id("photo-visibility").select_option(visibility)
    page.get_by_test_id("photo-add").click()
    expect(page.get_by_test_id("add-status")).to_contain_text("Added")
    expect(page.get_by_test_id("photo-card-title").filter(has_text=title)).to_have_count(1)
