"""Photos through the page: add with tags, list, filter by tag and by date, the tag cloud, an edit
conflict between two windows (optimistic locking: no lost update) and delete (one transaction
removes the tag items and moves the counters). Checked on screen and in the table itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App, add_photo, screenshot
from tests.conftest import RunningStack

pytestmark = pytest.mark.browser


def tag_items(stack: RunningStack, sub: str, tag: str) -> list[dict]:
    admin = stack.admin("dynamodb")
    out = admin.query(
        TableName=stack.table("photoTags"), KeyConditionExpression="UserId = :u AND begins_with(TagKey, :p)",
        ExpressionAttributeValues={":u": {"S": sub}, ":p": {"S": f"TAG#{tag}#"}}, ConsistentRead=True,
    )
    return out["Items"]


def counter(stack: RunningStack, sub: str, tag: str) -> int | None:
    item = stack.admin("dynamodb").get_item(
        TableName=stack.table("photoTags"), Key={"UserId": {"S": sub}, "TagKey": {"S": f"COUNT#{tag}"}},
        ConsistentRead=True,
    ).get("Item")
    return int(item["PhotoCount"]["N"]) if item else None


def test_add_list_and_filter_by_tag_and_date(
    app: App, stack: RunningStack, unique: str, image_file: Callable[..., Path],
) -> None:
    page = app.sign_in("alice")
    sub = app.sub(page)
    add_photo(page, image_file("a.png", 1), f"{unique} harbour", f"{unique}, {unique}-sea", "2024-05-01")
    add_photo(page, image_file("b.png", 2), f"{unique} market", f"{unique}", "2024-07-15", "public")

    # Newest first: the market photo was added last.
    titles = page.get_by_test_id("photo-card-title").all_inner_texts()
    assert titles.index(f"{unique} market") < titles.index(f"{unique} harbour")

    # By tag (PhotoTags items), then by tag within dates, then by date range only (LSI ByDate).
    page.get_by_test_id("filter-tag").fill(unique)
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("photo-card")).to_have_count(2)
    page.get_by_test_id("filter-from").fill("2024-07-01")
    page.get_by_test_id("filter-to").fill("2024-07-31")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("list-heading")).to_contain_text("from 2024-07-01")
    expect(page.get_by_test_id("photo-card-title")).to_have_text([f"{unique} market"])
    page.get_by_test_id("filter-tag").fill("")
    page.get_by_test_id("filter-from").fill("2024-05-01")
    page.get_by_test_id("filter-to").fill("2024-05-01")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("list-heading")).to_contain_text("Taken from 2024-05-01")
    expect(page.get_by_test_id("photo-card-title").filter(has_text=unique)).to_have_text([f"{unique} harbour"])

    # The tag cloud counts photos per tag from the COUNT# items.
    expect(page.locator(f"[data-testid=cloud-tag][data-tag={unique}]")).to_have_attribute("data-count", "2")
    expect(page.locator(f"[data-testid=cloud-tag][data-tag={unique}-sea]")).to_have_attribute("data-count", "1")
    screenshot(page, "photos")

    # What the page wrote: a tag item per tag, public flag only on the public photo, thumbnails ≤ 64 KB.
    items = tag_items(stack, sub, unique)
    assert sorted(i["Title"]["S"] for i in items) == [f"{unique} harbour", f"{unique} market"]
    assert sorted(i.get("PublicTag", {}).get("S", "-") for i in items) == ["-", unique]
    assert all(0 < len(i["Thumb"]["B"]) <= 64 * 1024 for i in items)
    assert counter(stack, sub, unique) == 2


def test_edit_conflict_between_two_windows_loses_no_update(
    app: App, stack: RunningStack, unique: str, image_file: Callable[..., Path],
) -> None:
    first = app.sign_in("alice")
    add_photo(first, image_file(), f"{unique} original", unique, "2024-03-03")
    second = app.open(first.context)

    # Both windows open the editor on version 1.
    first.get_by_test_id("photo-card").filter(has_text=unique).get_by_test_id("photo-edit").click()
    second.get_by_test_id("photo-card").filter(has_text=unique).get_by_test_id("photo-edit").click()
    expect(second.get_by_test_id("edit-version")).to_have_text("version 1")

    first.get_by_test_id("edit-title").fill(f"{unique} from window one")
    first.get_by_test_id("edit-tags").fill(f"{unique}, {unique}-one")
    first.get_by_test_id("edit-save").click()
    expect(first.get_by_test_id("edit-dialog")).to_be_hidden()

    second.get_by_test_id("edit-title").fill(f"{unique} from window two")
    second.get_by_test_id("edit-save").click()
    expect(second.get_by_test_id("edit-message")).to_contain_text("This photo was changed in another window")
    # Issue 10: what window two typed is kept, the untouched tags take window one's change, the
    # changes are listed, and the editor is now at version 2.
    expect(second.get_by_test_id("edit-title")).to_have_value(f"{unique} from window two")
    expect(second.get_by_test_id("edit-tags")).to_have_value(f"{unique}, {unique}-one")
    expect(second.get_by_test_id("edit-changes")).to_contain_text(f"title: now “{unique} from window one”")
    expect(second.get_by_test_id("edit-changes")).to_contain_text("tags: now")
    expect(second.get_by_test_id("edit-version")).to_have_text("version 2")
    screenshot(second, "edit-conflict")

    sub = app.sub(first)
    titles = {i["Title"]["S"] for i in tag_items(stack, sub, unique)}
    assert titles == {f"{unique} from window one"}
    assert counter(stack, sub, f"{unique}-one") == 1

    # Saving again applies window two's title on top of version 2, keeping window one's tags.
    second.get_by_test_id("edit-save").click()
    expect(second.get_by_test_id("edit-dialog")).to_be_hidden()
    assert {i["Title"]["S"] for i in tag_items(stack, sub, unique)} == {f"{unique} from window two"}
    assert counter(stack, sub, f"{unique}-one") == 1


def test_delete_removes_tag_items_and_decrements_counters(
    app: App, stack: RunningStack, unique: str, image_file: Callable[..., Path],
) -> None:
    page = app.sign_in("alice")
    sub = app.sub(page)
    add_photo(page, image_file(), f"{unique} doomed", f"{unique}, {unique}-x", "2024-01-01")
    assert counter(stack, sub, unique) == 1

    page.get_by_test_id("photo-card").filter(has_text=unique).get_by_test_id("photo-edit").click()
    page.get_by_test_id("edit-delete").click()
    page.get_by_test_id("edit-delete-confirm").click()
    expect(page.get_by_test_id("photo-card").filter(has_text=unique)).to_have_count(0)

    assert tag_items(stack, sub, unique) == []
    assert tag_items(stack, sub, f"{unique}-x") == []
    assert counter(stack, sub, unique) == 0
    assert counter(stack, sub, f"{unique}-x") == 0
    expect(page.locator(f"[data-testid=cloud-tag][data-tag={unique}]")).to_have_count(0)


def test_paging_with_load_more(app: App, unique: str, image_file: Callable[..., Path]) -> None:
    page = app.sign_in("alice")
    for n in range(3):
        add_photo(page, image_file(f"{n}.png", n), f"{unique} page {n}", unique, f"2023-0{n + 1}-01")
    page.evaluate("localStorage.setItem('photoPageSize', '2')")
    page.reload()
    App.wait_ready(page)

    # My photos: newest first, two at a time (Limit 2, then ExclusiveStartKey = LastEvaluatedKey).
    expect(page.get_by_test_id("photo-card-title")).to_have_text([f"{unique} page 2", f"{unique} page 1"])
    page.get_by_test_id("load-more").click()
    expect(page.get_by_test_id("photo-card-title").nth(2)).to_have_text(f"{unique} page 0")

    # By tag: the same paging over the PhotoTags items, latest date first, until nothing is left.
    page.get_by_test_id("filter-tag").fill(unique)
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("photo-card-title")).to_have_text([f"{unique} page 2", f"{unique} page 1"])
    page.get_by_test_id("load-more").click()
    expect(page.get_by_test_id("photo-card-title")).to_have_text([f"{unique} page {n}" for n in (2, 1, 0)])
    expect(page.get_by_test_id("load-more")).to_be_hidden()
