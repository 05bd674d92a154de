"""A stack whose host has one admin (alice) and a workload by bob, for the ``/admin/capacity`` tests.

Started twice on one data directory: first with no admins (alice learns her ``sub`` from the
refusal, as a person would), then with ``WEBAPP_ADMINS`` naming her. Bob writes ``WRITES`` photos
under his own partition key through his STS credentials, as the page does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import RunningStack, fail_on_internal_errors, free_port_block
from tests.functional.host.browser import sign_in

WRITES = 6


@contextmanager
def admin_stack(data: Path) -> Iterator[tuple[RunningStack, str, str]]:
    """``(stack, alice's sub, bob's sub)``; alice is the host's admin."""
    first = RunningStack(data, free_port_block()).start()
    try:
        browser = sign_in(first.host_url, "alice").session
        refused = browser.get(f"{first.host_url}/admin/capacity.json", timeout=10)
        alice_sub = browser.get(f"{first.host_url}/auth/token", timeout=10).json()["sub"]
    finally:
        first.stop()
        fail_on_internal_errors(first)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "not_admin" and alice_sub in refused.json()["message"]

    stack = RunningStack(data, free_port_block(), extra_env={"WEBAPP_ADMINS": f"someone-else, {alice_sub}"}).start()
    try:
        bob = stack.login("bob")
        db = stack.dynamodb(bob)
        for n in range(WRITES):
            db.put_item(TableName="Photos", Item={"UserId": {"S": bob.subject}, "PhotoId": {"S": f"2026#{n}"}})
        assert bob.subject is not None
        yield stack, alice_sub, bob.subject
    finally:
        stack.stop()
        fail_on_internal_errors(stack)
