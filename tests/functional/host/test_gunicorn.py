"""The host as deployed: ``webapp.host.wsgi:app`` under gunicorn, configured only by ``WEBAPP_*``
variables, signing its Sessions calls with boto3's default chain, against an identity provider
on another origin. Two independent gunicorn "machines" share nothing but the secret key and the
Sessions table, and a session started on one is served and ended on the other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.conftest import ROOT, free_port_block
from tests.functional.host.browser import sign_in
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.settings import Settings
from webapp.tables import TABLES_BY_LOGICAL

from .conftest import serve


def start_gunicorn(port: int, env: dict[str, str], workers: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "2",
         # gunicorn would itself trust X-Forwarded-Proto from 127.0.0.1; trust nobody here, so
         # that only the host's WEBAPP_PROXY_HOPS decides.
         "--forwarded-allow-ips", "192.0.2.1",
         "webapp.host.wsgi:app"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://localhost:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or workers still booting
            time.sleep(0.2)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def machines(tmp_path_factory: pytest.TempPathFactory, dynamodb_url: str) -> Iterator[list[str]]:
    base = tmp_path_factory.mktemp("gunicorn")
    # The provider, alone on its own origin (as Keycloak or Cognito would be).
    idp_port = free_port_block(1)
    provider_settings = Settings(data_dir=base / "idp", port=idp_port)
    provider = IdentityProvider.open(provider_settings)
    ports = [free_port_block(1), free_port_block(1)]
    clients_file = base / "idp" / "idp" / "clients.json"
    document = json.loads(clients_file.read_text())
    for client in document["clients"]:
        client["redirect_uris"] = [f"http://localhost:{p}/auth/callback" for p in ports]
    clients_file.write_text(json.dumps(document))
    idp_app = Flask("provider")
    idp_app.register_blueprint(create_idp_blueprint(provider))
    idp_server = serve(idp_app, idp_port)

    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    if "Sessions" not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(**TABLES_BY_LOGICAL["sessions"].create_params("Sessions"))
    env = {
        **os.environ,
        "WEBAPP_OIDC_METADATA_URL": f"{provider_settings.idp_url}/.well-known/openid-configuration",
        "WEBAPP_OIDC_CLIENT_SECRET": provider.client_secret("webapp"),
        "WEBAPP_DYNAMODB_ENDPOINT": dynamodb_url,
        "WEBAPP_STS_ENDPOINT": "http://localhost:1",
        "WEBAPP_SECRET_KEY": "shared-by-every-machine-" + "0" * 40,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    processes = []
    try:
        for n, port in enumerate(ports):
            machine_env = {**env, "WEBAPP_DATA_DIR": str(base / f"machine-{n}")}
            if n == 1:  # the second machine sits behind one TLS-terminating proxy
                machine_env["WEBAPP_PROXY_HOPS"] = "1"
            processes.append(start_gunicorn(port, machine_env, workers=2, log=base / f"gunicorn-{n}.log"))
        yield [f"http://localhost:{p}" for p in ports]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        idp_server.shutdown()


def test_a_session_started_on_one_machine_is_served_and_ended_on_another(
        machines: list[str]) -> None:
    first, second = machines
    journey = sign_in(first, "alice")
    assert journey.landed.url == f"{first}/"
    token_first = journey.token(first)
    assert token_first.status_code == 200
    token_second = journey.session.get(f"{second}/auth/token", timeout=10)  # the same cookie
    assert token_second.status_code == 200
    assert token_second.json()["idToken"] == token_first.json()["idToken"]
    csrf = token_second.json()["csrfToken"]
    assert journey.session.post(f"{second}/auth/logout", headers={"X-CSRF-Token": csrf},
                                timeout=10).status_code == 204
    assert journey.session.get(f"{first}/auth/token", timeout=10).status_code == 401


def test_the_deployed_host_points_the_page_at_its_configuration(machines: list[str]) -> None:
    response = requests.get(f"{machines[0]}/config.json", timeout=10)
    assert response.json()["dynamodbEndpoint"].startswith("http://127.0.0.1:")
    csp = response.headers["Content-Security-Policy"]
    assert "form-action 'self' http://localhost:" in csp  # the provider's origin


def test_two_machines_refreshing_the_same_session_at_once_keep_it(
        machines: list[str], dynamodb_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=dynamodb_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    journey = sign_in(machines[0], "bob")
    cookie = journey.session.cookies["webapp_session"]
    for _ in range(3):
        token = journey.token(machines[0]).json()
        items = dynamodb.scan(TableName="Sessions", FilterExpression="IdToken = :t",
                              ExpressionAttributeValues={":t": {"S": token["idToken"]}})["Items"]
        [item] = items
        dynamodb.update_item(TableName="Sessions", Key={"SessionId": item["SessionId"]},
                             UpdateExpression="SET IdTokenExp = :soon",
                             ExpressionAttributeValues={":soon": {"N": str(token["expiresAt"] - 580)}})

        def ask(url: str) -> requests.Response:
            return requests.get(f"{url}/auth/token", cookies={"webapp_session": cookie}, timeout=10)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, machines * 2))
        assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
        assert all(a.json()["idToken"] != token["idToken"] for a in answers)
    assert journey.token(machines[1]).status_code == 200


def test_forwarded_https_is_trusted_only_behind_a_configured_proxy(machines: list[str]) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example"}
    direct = requests.get(f"{machines[0]}/auth/login", headers=forwarded, allow_redirects=False, timeout=10)
    proxied = requests.get(f"{machines[1]}/auth/login", headers=forwarded, allow_redirects=False, timeout=10)
    assert "Strict-Transport-Security" not in direct.headers
    assert "redirect_uri=http%3A%2F%2Flocalhost" in direct.headers["Location"] or \
        "redirect_uri=http://localhost" in direct.headers["Location"]
    assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in proxied.headers["Set-Cookie"] and "Secure" not in direct.headers["Set-Cookie"]
    location = proxied.headers["Location"]
    assert "redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Fcallback" in location or \
        "redirect_uri=https://app.example/auth/callback" in location
