"""``/admin/capacity.json`` on a host that runs against AWS (no local watch): README "Admin
commands" says the page answers that these figures are in CloudWatch. The local stack's answers
(figures for the admin, 403 naming one's own sub, 401 for a visitor) are in
``tests/functional/host/test_admin_capacity.py``."""

from __future__ import annotations

from pathlib import Path

from tests.unit.webapp.host.conftest import make_host


def test_against_aws_the_admin_is_sent_to_cloudwatch_and_others_still_refused(tmp_path: Path) -> None:
    hosts = make_host(tmp_path, admins=("sub-alice",))
    host = next(hosts)
    try:
        assert host.client.get("/admin/capacity.json").status_code == 401  # no session
        host.sign_in("sub-bob")
        refused = host.client.get("/admin/capacity.json")
        assert (refused.status_code, refused.get_json()["error"]) == (403, "not_admin")
        assert "sub-bob" in refused.get_json()["message"]
        host.sign_in("sub-alice")
        answer = host.client.get("/admin/capacity.json")
        assert (answer.status_code, answer.get_json()["error"]) == (501, "not_available")
        assert "CloudWatch" in answer.get_json()["message"]
    finally:
        hosts.close()
