"""What another user can and cannot see: bob never sees alice's private photo, finds her public
one by tag through PublicByTag (public attributes only), and the Access panel's forbidden
requests come back as AccessDeniedException with nothing read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, add_photo, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def test_bob_finds_alices_public_photo_by_tag_but_never_her_private_one(
    app: App, stack: RunningStack, unique: str, image_file: Callable[..., Path],
) -> None:
    alice = app.sign_in("alice")
    alice_sub = app.sub(alice)
    add_photo(alice, image_file("p.png", 3), f"{unique} secret diary", unique, "2024-02-02", "private")
    add_photo(alice, image_file("q.png", 4), f"{unique} open day", unique, "2024-02-03", "public")

    bob = app.sign_in("bob")
    bob.get_by_test_id("tab-public").click()
    bob.get_by_test_id("public-tag").fill(unique)
    bob.get_by_test_id("public-search").click()
    expect(bob.get_by_test_id("public-status")).to_contain_text("1 public photo")
    expect(bob.get_by_test_id("public-card-title")).to_have_text([f"{unique} open day"])
    expect(bob.get_by_test_id("public-card")).to_have_attribute("data-owner", alice_sub)
    expect(bob.get_by_test_id("public-card-owner")).not_to_have_text("someone")
    assert "secret diary" not in bob.content()
    screenshot(bob, "discover")

    # Bob's own list never contains alice's photos.
    bob.get_by_test_id("tab-photos").click()
    expect(bob.get_by_test_id("photo-card").filter(has_text=unique)).to_have_count(0)

    # Reading alice's partition directly is refused by IAM, and nothing comes back.
    bob.get_by_test_id("tab-access").click()
    bob.get_by_test_id("access-other-sub").fill(alice_sub)
    bob.get_by_test_id("access-try-read-other").click()
    result = bob.get_by_test_id("access-result-read-other")
    expect(result).to_have_attribute("data-outcome", "denied")
    expect(bob.get_by_test_id("access-message-read-other")).to_contain_text("is not authorized to perform: dynamodb:Query")
    assert "secret diary" not in result.inner_text()

    bob.get_by_test_id("access-try-scan").click()
    expect(bob.get_by_test_id("access-result-scan")).to_have_attribute("data-outcome", "denied")
    expect(bob.get_by_test_id("access-message-scan")).to_contain_text("dynamodb:Scan")
    screenshot(bob, "access")
