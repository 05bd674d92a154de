"""Settings: built once from the environment, the ports and names every component derives."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.settings import Settings


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
    assert s.extras == {"throttle": "Photos=1:5"}
    assert s.provider_key == "login.example.com/t"


def test_real_aws_endpoints_replace_the_local_ones() -> None:
    s = Settings.from_env({"WEBAPP_STS_ENDPOINT": "https://sts.eu-west-1.amazonaws.com",
                           "WEBAPP_DYNAMODB_ENDPOINT": "https://dynamodb.eu-west-1.amazonaws.com"})
    assert s.sts_url == "https://sts.eu-west-1.amazonaws.com"
    assert s.dynamodb_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_table_names_take_the_prefix() -> None:
    assert Settings(table_prefix="prod-").table_name("photoTags") == "prod-PhotoTags"


def test_a_non_number_port_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"WEBAPP_PORT": "eighty"})
