"""``/admin/capacity`` on the host (issue 12, item 5): the capacity watch for the app's admins only.

On a stack where alice is the admin and bob wrote photos (``admins.py``), alice sees the Photos
table's write units and bob's key among the hottest, hashed unless she asks for it in clear.
Bob and a visitor without a session get no figures at all.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.conftest import RunningStack
from tests.functional.host.admins import WRITES
from tests.functional.host.browser import sign_in


@pytest.fixture
def admin(capacity_admin: tuple[RunningStack, str, str]) -> tuple[RunningStack, str, str]:
    """The session's admin stack (``tests/conftest.py``), shared with the other capacity tests."""
    return capacity_admin


def test_an_admin_sees_each_tables_units_and_the_hottest_keys_hashed(admin: tuple[RunningStack, str, str]) -> None:
    stack, _, bob_sub = admin
    browser = sign_in(stack.host_url, "alice").session
    answer = browser.get(f"{stack.host_url}/admin/capacity.json", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    figures = answer.json()
    photos = next(row for row in figures["tables"] if row["table"] == "Photos" and row["index"] is None)
    assert photos["total"]["write_units"] >= WRITES  # each photo item is under 1 KB: 1 WCU a write
    hot = next(group for group in figures["hot_keys"] if group["table"] == "Photos" and group["index"] is None)
    assert hot["keys"][0]["write_units"] >= WRITES
    assert bob_sub not in answer.text  # hashed: a user id is not shown unless asked for
    # README: the host reads the watch with the admin's key, so IAM decides and the audit log has it
    audit = [json.loads(line) for line in (stack.data_dir / "audit.jsonl").read_text().splitlines()]
    assert any(e.get("operation") == "WatchCapacity" and e.get("decision") == "Allow"
               and "role/Admin" in json.dumps(e) for e in audit), audit[-3:]

    clear = browser.get(f"{stack.host_url}/admin/capacity.json?keys=1", timeout=10).json()
    hot = next(group for group in clear["hot_keys"] if group["table"] == "Photos" and group["index"] is None)
    assert bob_sub in hot["keys"][0]["clear"]


def test_a_user_who_is_not_an_admin_and_a_visitor_get_no_figures(admin: tuple[RunningStack, str, str]) -> None:
    stack, _, bob_sub = admin
    bob = sign_in(stack.host_url, "bob").session
    refused = bob.get(f"{stack.host_url}/admin/capacity.json?keys=1", timeout=10)
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_admin" and "Photos" not in refused.text
    visitor = requests.get(f"{stack.host_url}/admin/capacity.json?keys=1", timeout=10)
    assert visitor.status_code == 401 and bob_sub not in visitor.text and "Photos" not in visitor.text


def test_the_page_loads_its_script_under_the_hosts_content_security_policy(
        admin: tuple[RunningStack, str, str]) -> None:
    stack, _, _ = admin
    page = requests.get(f"{stack.host_url}/admin/capacity", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<script type="module" src="/assets/admin/capacity.js">' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = requests.get(f"{stack.host_url}/assets/admin/capacity.js", timeout=10)
    assert script.status_code == 200 and "/admin/capacity.json" in script.text
    assert "innerHTML" not in script.text  # keys are user input: text only
