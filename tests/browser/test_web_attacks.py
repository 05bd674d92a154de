"""The web-layer attack cases that need a real browser (attack-cases.json ``web``; security-anchors
§3.2-3.3): hostile user content is rendered as text (ASVS 5.0 3.2.2), no token or credential is
kept where script or another page could read it later (14.3.3), postMessage from another origin
is ignored (W-20, 3.5.5), the app cannot be framed, an ID token that can no longer be refreshed
leads back to the IdP without a single request on expired credentials (W-19), and after sign-out
Back shows no cached data and no request succeeds (W-21, 14.3.1/14.3.2).

Every check observes the page from outside: the DOM, ``window``, storage and the network.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.browser.conftest import App, add_photo
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser

EVIL_ORIGIN = "http://evil.localhost:8081"

#: Each payload, if it ran, sets ``window.__pwned``; if parsed as markup it creates an element.
HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '<svg onload="window.__pwned=1"></svg>',
    '"><iframe src="javascript:window.__pwned=1">',
    "javascript:window.__pwned=1",
]


def until(page: Page, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the page run until ``condition()`` holds or ``timeout`` seconds pass, whichever comes
    first; the assertions after it decide (a wait for an event, instead of a fixed one)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        page.wait_for_timeout(50)


def assert_inert(page: Page) -> None:
    """No hostile payload ran or became an element."""
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x'], svg[onload], iframe, [onerror], [onload]").count() == 0
    scripts = page.evaluate("[...document.scripts].map(s => s.src || ('inline:' + s.textContent))")
    assert all(not s.startswith("inline:") for s in scripts), scripts
    assert page.locator("a[href^='javascript:']").count() == 0


def watch(page: Page, prefix: str) -> list[Response]:
    seen: list[Response] = []
    page.on("response", lambda r: seen.append(r) if r.url.startswith(prefix) else None)
    return seen


# Rendering hostile content ---------------------------------------------------------------------


def test_hostile_display_name_from_the_idp_is_text(app: App, stack: RunningStack, unique: str) -> None:
    """A user created at the IdP with markup as display name: the IdP's sign-in page (which lists
    every user) and the app (which shows the ID token's ``name``) both show it as text."""
    hostile = HOSTILE[0]
    page = app.context().new_page()
    page.goto(stack.host_url + "/")
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("new-user-name").fill(unique)
    page.get_by_test_id("new-user-display-name").fill(hostile)
    page.get_by_test_id("add-user-submit").click()
    app.wait_ready(page)
    expect(page.get_by_test_id("who-name")).to_have_text(hostile)
    assert_inert(page)
    # Every later visitor of the IdP's sign-in page sees the name listed, as text.
    other = app.context().new_page()
    other.goto(stack.host_url + "/")
    other.get_by_test_id("sign-in").click()
    expect(other.get_by_test_id(f"signin-as-{unique}")).to_contain_text(hostile)
    assert_inert(other)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_profile_and_photo_fields_are_text(app: App, stack: RunningStack, unique: str,
                                                   image_file: Callable[..., Path], hostile: str) -> None:
    page = app.sign_in("carol")
    page.get_by_test_id("tab-profile").click()
    page.get_by_test_id("profile-name").fill(f"{unique} {hostile}"[:60])
    page.get_by_test_id("profile-bio").fill(hostile)
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-message")).to_have_text("Saved.")
    expect(page.get_by_test_id("who-name")).to_have_text(f"{unique} {hostile}"[:60])
    assert_inert(page)

    # Tags are validated by the form; the refusal quotes the hostile input, as text.
    page.get_by_test_id("tab-photos").click()
    page.get_by_test_id("photo-file").set_input_files(str(image_file()))
    page.get_by_test_id("photo-title").fill(unique)
    page.get_by_test_id("photo-tags").fill(hostile)
    page.get_by_test_id("photo-date").fill("2024-05-01")
    page.get_by_test_id("photo-add").click()
    expect(page.get_by_test_id("add-status")).to_contain_text("is not a valid tag")
    assert_inert(page)

    title = f"{unique} {hostile}"
    add_photo(page, image_file(), title, unique, "2024-05-01")
    expect(page.get_by_test_id("photo-card-title").filter(has_text=title)).to_have_text(title)
    assert_inert(page)
    page.reload()  # rendered again from what DynamoDB holds
    app.wait_ready(page)
    expect(page.get_by_test_id("photo-card-title").filter(has_text=title)).to_have_count(1)
    assert_inert(page)


# CSP enforced by the browser (reconstructed W-10) ---------------------------------------------


@pytest.mark.parametrize("path", ["/", "/idp/authorize?client_id=nobody"])
def test_the_csp_stops_injected_inline_script_eval_and_foreign_script(app: App, stack: RunningStack,
                                                                       path: str) -> None:
    """Should markup ever slip through, the policy still refuses to run it: an inline
    ``<script>``, an inline event handler, ``eval`` and a script from another origin."""
    page = app.context().new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(stack.host_url + path)
    page.evaluate("""() => {
        const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';
        document.body.append(s);
        const i = document.createElement('img'); i.setAttribute('onerror', 'window.__pwned = 2'); i.src = 'x:';
        document.body.append(i);
        const f = document.createElement('script'); f.src = 'http://evil.localhost:8081/x.js';
        document.body.append(f);
        setTimeout('window.__pwned = 3', 0);  // string timers are eval: 'unsafe-eval' is absent
    }""")
    until(page, lambda: len(violations) >= 4)  # the four attempts refused (not a fixed wait)
    assert page.evaluate("window.__pwned") is None
    assert len(violations) >= 4, violations


# Token storage ---------------------------------------------------------------------------------


def test_no_token_or_credential_is_stored_where_script_can_find_it_later(app: App) -> None:
    page = app.sign_in("alice")
    token = page.evaluate("fetch('/auth/token').then(r => r.json())")
    page.get_by_test_id("tab-access").click()
    key_id = page.get_by_test_id("identity-key").inner_text().strip()
    assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly
    stored = page.evaluate("""() => JSON.stringify([
        Object.entries(localStorage), Object.entries(sessionStorage)])""")
    for secret in (token["idToken"], token["csrfToken"], key_id):
        assert secret and secret not in stored
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", stored)  # no JWT of any kind
    assert page.evaluate("indexedDB.databases().then(d => d.length)") == 0
    assert page.evaluate("caches.keys().then(k => k.length)") == 0


# W-20: postMessage, framing --------------------------------------------------------------------


def serve_evil(context: BrowserContext, html: str) -> None:
    context.route(f"{EVIL_ORIGIN}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=html))


def test_w20_post_message_from_another_origin_is_ignored(app: App, stack: RunningStack) -> None:
    context = app.context()
    page = app.sign_in("alice", context)
    sub = app.sub(page)
    auth_calls = watch(page, stack.host_url + "/auth/")
    idp_calls = watch(page, stack.host_url + "/idp/")
    payloads = ["{type: 'auth', code: 'x', state: 'y'}", "JSON.stringify({type: 'auth', code: 'x', state: 'y'})",
                "{type: 'token', idToken: 'eyJhbGciOiJub25lIn0.e30.'}"]
    # Delivered as a browser would deliver it from another origin (COOP same-origin keeps a real
    # evil opener/popup from holding a handle to this window at all; see the next test).
    for payload in payloads:
        page.evaluate(f"""window.dispatchEvent(new MessageEvent('message', {{
            data: {payload}, origin: '{EVIL_ORIGIN}', source: null}}))""")
    page.wait_for_timeout(1000)
    assert auth_calls == [] and idp_calls == []
    assert page.url.split("#")[0].rstrip("/") == stack.host_url
    assert app.sub(page) == sub
    assert_inert(page)


def test_w20_an_evil_page_gets_no_usable_handle_to_the_app(app: App, stack: RunningStack) -> None:
    """The evil page opens the app and posts to it: COOP ``same-origin`` puts the app in its own
    browsing context group, so the handle is closed and nothing reaches the app."""
    context = app.context()
    app.sign_in("alice", context)
    serve_evil(context, f"""<!doctype html><script>
        window.results = [];
        const w = window.open('{stack.host_url}/', 'app');
        setTimeout(() => {{
          try {{ w.postMessage({{type: 'auth', code: 'x', state: 'y'}}, '*'); window.results.push('posted'); }}
          catch (e) {{ window.results.push('threw'); }}
          window.results.push(w === null || w.closed ? 'closed' : 'open');
        }}, 2500);
        </script>""")
    evil = context.new_page()
    with context.expect_page() as popup_info:
        evil.goto(EVIL_ORIGIN + "/")
    popup = popup_info.value
    auth_calls = watch(popup, stack.host_url + "/auth/callback")
    app.wait_ready(popup)
    evil.wait_for_function("window.results.length >= 1", timeout=10_000)
    evil.wait_for_timeout(500)
    assert "closed" in evil.evaluate("window.results")
    assert auth_calls == []
    assert popup.evaluate("window.opener") is None  # COOP severed the link from the app's side


def test_the_app_cannot_be_framed_by_another_origin(app: App, stack: RunningStack) -> None:
    context = app.context()
    app.sign_in("alice", context)
    serve_evil(context, f'<!doctype html><iframe id="f" src="{stack.host_url}/"></iframe>')
    evil = context.new_page()
    evil.goto(EVIL_ORIGIN + "/")
    until(evil, lambda: any(f.url.startswith("chrome-error://") for f in evil.frames if f != evil.main_frame))
    framed = [f for f in evil.frames if f != evil.main_frame]
    assert len(framed) == 1
    # Chromium replaces a frame refused by frame-ancestors with its error document.
    assert framed[0].url.startswith("chrome-error://")
    assert framed[0].locator("[data-testid]").count() == 0


# W-19: an ID token that can no longer be refreshed ---------------------------------------------


def test_w19_an_unrefreshable_id_token_leads_back_to_the_idp_without_expired_requests(
        app: App, stack: RunningStack) -> None:
    """Credentials are re-obtained before every request (margin 3599 s), so each DynamoDB call
    first asks the host for the ID token. The session's ID token is then made expired and its
    refresh token removed (what an IdP session that ended looks like to the host): the next call
    gets one 401 from the host, sends nothing to STS or DynamoDB, and offers the IdP sign-in;
    signing in again makes requests work."""
    page = app.sign_in("alice")
    app.refresh_credentials_early(page, 3599)
    sub = app.sub(page)
    admin = stack.admin("dynamodb")
    table = stack.table("sessions")
    items = [i for i in admin.scan(TableName=table)["Items"] if i["Sub"]["S"] == sub]
    for item in items:
        admin.update_item(TableName=table, Key={"SessionId": item["SessionId"]},
                          UpdateExpression="SET IdTokenExp = :past REMOVE RefreshToken",
                          ExpressionAttributeValues={":past": {"N": "1"}})
    tokens = watch(page, stack.host_url + "/auth/token")
    sts_calls = watch(page, stack.sts_url)
    ddb_calls = watch(page, stack.dynamodb_url)
    page.clock.fast_forward(1500)  # the credentials in hand are now inside the SDK's refresh window
    page.get_by_test_id("filter-clear").click()
    banner = page.get_by_test_id("banner")
    expect(banner).to_have_attribute("data-kind", "session")
    page.wait_for_timeout(1000)
    assert [r.status for r in tokens] == [401]
    assert sts_calls == [] and ddb_calls == []
    link = banner.get_by_role("link", name="Sign in again")
    expect(link).to_have_attribute("href", "/auth/login")
    link.click()
    page.get_by_test_id("signin-as-alice").click()
    app.wait_ready(page)
    assert [r.status for r in ddb_calls] and all(r.status == 200 for r in ddb_calls)


# W-21: sign out, then Back -----------------------------------------------------------------------


def test_w21_back_after_sign_out_shows_no_data_and_nothing_succeeds(
        app: App, stack: RunningStack, unique: str, image_file: Callable[..., Path]) -> None:
    page = app.sign_in("bob")
    title = f"{unique} private"
    add_photo(page, image_file(), title, unique, "2024-05-02")
    ddb_calls = watch(page, stack.dynamodb_url)
    sts_calls = watch(page, stack.sts_url)
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    after_logout = len(ddb_calls), len(sts_calls)
    page.go_back()
    page.wait_for_load_state()
    page.wait_for_timeout(1500)
    expect(page.get_by_text(title)).to_have_count(0)
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    assert all(r.status != 200 for r in ddb_calls[after_logout[0]:])
    assert all(r.status != 200 for r in sts_calls[after_logout[1]:])
    assert page.evaluate("fetch('/auth/token').then(r => r.status)") == 401


def test_w21_a_page_restored_from_the_back_forward_cache_starts_again(
        app: App, unique: str, image_file: Callable[..., Path]) -> None:
    """Playwright's Chromium runs without the back/forward cache, so the restore is simulated:
    the signed-in window (with a private photo on screen) receives the ``pageshow`` event with
    ``persisted`` that a restore fires, after the session ended in another window. The page
    reloads from the host and shows the signed-out screen, not the photo."""
    page = app.sign_in("bob")
    title = f"{unique} kept"
    add_photo(page, image_file(), title, unique, "2024-05-03")
    app.end_session_on_host(page)  # ended elsewhere: this window still shows the photo
    expect(page.get_by_test_id("photo-card-title").filter(has_text=title)).to_have_count(1)  # still shown
    with page.expect_navigation():
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    expect(page.get_by_test_id("signed-out")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)


def test_the_people_a_user_met_are_forgotten_at_sign_out(
        app: App, unique: str, image_file: Callable[..., Path]) -> None:
    """ASVS 5.0 14.3.1: bob meets alice on Discover (the page remembers her in localStorage, since
    it cannot list users); after bob signs out, nothing of that list is left for the next person
    on this browser, and carol's challenge form does not offer alice."""
    alice = app.sign_in("alice")
    alice_sub = app.sub(alice)
    add_photo(alice, image_file("met.png", 2), f"{unique} met", unique, "2024-02-04", "public")
    context = app.context()
    bob = app.sign_in("bob", context)
    bob.get_by_test_id("tab-public").click()
    bob.get_by_test_id("public-tag").fill(unique)
    bob.get_by_test_id("public-search").click()
    expect(bob.get_by_test_id("public-card")).to_have_attribute("data-owner", alice_sub)
    assert alice_sub in bob.evaluate("JSON.stringify(Object.entries(localStorage))")
    bob.get_by_test_id("sign-out").click()
    expect(bob.get_by_test_id("signed-out")).to_be_visible()
    assert alice_sub not in bob.evaluate("JSON.stringify(Object.entries(localStorage))")
    carol = app.sign_in("carol", context)
    carol.get_by_test_id("tab-games").click()
    assert carol.locator(f"#known-people option[value='{alice_sub}']").count() == 0
