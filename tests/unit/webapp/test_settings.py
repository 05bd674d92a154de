"""Settings: built once from the environment, the ports and names every component derives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_describe_the_local_stack() -> None:
    s = Settings()
    assert (s.host_url, s.sts_url, s.dynamodb_url, s.iam_url) == (
        "http://localhost:8000", "http://localhost:8001", "http://localhost:8002", "http://localhost:8003")
    assert s.provider_key == "idp.localhost/dev"
    assert s.oidc_provider_arn == "arn:aws:iam::000000000000:oidc-provider/idp.localhost/dev"
    assert s.user_role_arn == "arn:aws:iam::000000000000:role/WebUser"
    assert s.allowed_origins == ("http://localhost:8000", "http://127.0.0.1:8000")


def test_environment_variables_are_typed_and_overrides_win() -> None:
    s = Settings.from_env(
        {"WEBAPP_PORT": "9100", "WEBAPP_DATA_DIR": "/tmp/d", "WEBAPP_EXTRA_ALLOWED_ORIGINS": "https://a.example, https://b.example",
         "WEBAPP_THROTTLE": "Photos=1:5", "WEBAPP_ISSUER": "https://login.example.com/t/"},
        port=9200,
    )
    assert s.port == 9200 and s.data_dir == Path("/tmp/d")
    assert s.allowed_origins[-2:] == ("https://a.example", "https://b.example")
    assert s.throttle == "Photos=1:5"
    assert s.provider_key == "login.example.com/t"


def test_real_aws_endpoints_replace_the_local_ones() -> None:
    s = Settings.from_env({"WEBAPP_STS_ENDPOINT": "https://sts.eu-west-1.amazonaws.com",
                           "WEBAPP_DYNAMODB_ENDPOINT": "https://dynamodb.eu-west-1.amazonaws.com"})
    assert s.sts_url == "https://sts.eu-west-1.amazonaws.com"
    assert s.dynamodb_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_table_names_take_the_prefix() -> None:
    assert Settings(table_prefix="prod-").table_name("photoTags") == "prod-PhotoTags"


def test_a_non_number_port_is_refused_in_one_line() -> None:
    with pytest.raises(SettingsError, match=r"^WEBAPP_PORT must be a whole number, not 'eighty'$"):
        Settings.from_env({"WEBAPP_PORT": "eighty"})


def test_every_typed_field_is_read_from_its_variable() -> None:
    s = Settings.from_env({"WEBAPP_ADMIN_ROLE_NAME": "Ops", "WEBAPP_PROXY_HOPS": "2",
                           "WEBAPP_SESSION_LIFETIME_SECONDS": "60", "WEBAPP_STATIC_DIR": "/srv/page",
                           "WEBAPP_BACKEND_ACCESS_KEY_ID": "AKIAX", "WEBAPP_BACKEND_SECRET_ACCESS_KEY": "s"})
    assert (s.admin_role_arn, s.proxy_hops, s.session_lifetime_seconds, s.static_dir) == (
        "arn:aws:iam::000000000000:role/Ops", 2, 60, Path("/srv/page"))
    assert (s.backend_access_key_id, s.backend_secret_access_key, s.backend_session_token) == ("AKIAX", "s", None)


#: (environment, what the one line on stderr says): bad settings end ``serve`` before it starts.
BAD_SETTINGS = [
    ({"WEBAPP_THROTTLE": "bogus"}, "WEBAPP_THROTTLE entry 'bogus' is not Table=RCU:WCU"),
    ({"WEBAPP_SIGV4_SKEW_SECONDS": "5min"}, "WEBAPP_SIGV4_SKEW_SECONDS must be a whole number, not '5min'"),
    ({"WEBAPP_PORT": "eighty"}, "WEBAPP_PORT must be a whole number, not 'eighty'"),  # README's example
    ({"WEBAPP_SESSION_DURATION_SECONDS": "600"},  # README: "900 at least"
     "WEBAPP_SESSION_DURATION_SECONDS must be 900 to 43200 (STS's range), not 600"),
]


@pytest.mark.parametrize(("env", "message"), BAD_SETTINGS, ids=[next(iter(e)) for e, _ in BAD_SETTINGS])
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "webapp", "serve", "--port", "1", "--data-dir", str(tmp_path)],
                         cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stderr) == (2, f"error: {message}\n")
    assert out.stdout == ""


@pytest.mark.parametrize("port", [0, 65532, 99999, -1])
def test_a_port_whose_block_of_five_leaves_the_range_is_refused(port: int) -> None:
    """99999 once served on 34463 (the socket layer wraps it) while the banner said 99999."""
    with pytest.raises(SettingsError, match=rf"^the port \(--port or WEBAPP_PORT\) must be 1 to 65531, .* not {port}$"):
        Settings.from_env({}, port=port)


def test_the_last_usable_port_is_accepted() -> None:
    assert Settings.from_env({"WEBAPP_PORT": "65531"}).s3_port == 65535
