"""The host served over real HTTP in this process, with the real dev identity provider mounted at
``/idp`` and its Sessions table in a DynamoDB served by moto over HTTP (storage only).

This runs the whole sign-in without the rest of the local AWS; ``test_stack.py`` repeats the
journey against the running stack, where the host's key is held to the ``WebHost`` policy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port_block
from webapp.host import create_app
from webapp.idp import IdentityProvider, create_idp_blueprint
from webapp.settings import Settings
from webapp.tables import TABLES_BY_LOGICAL


@dataclass
class ServedHost:
    url: str
    settings: Settings
    sessions: Any  # boto3 DynamoDB client that can read and edit the Sessions table
    sessions_table: str
    app: Any


def _moto_server() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    port = free_port_block(1)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def serve(app: Any, port: int) -> Any:
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_host(data_dir: Path, dynamodb_url: str, **overrides: Any) -> tuple[ServedHost, Any]:
    port = free_port_block(4)
    settings = Settings(data_dir=data_dir, port=port, dynamodb_endpoint=dynamodb_url, **overrides)
    idp = IdentityProvider.open(settings.with_(issuer=Settings().issuer))
    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=dynamodb_url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    table = settings.table_name("sessions")
    if table not in client.list_tables()["TableNames"]:
        client.create_table(**TABLES_BY_LOGICAL["sessions"].create_params(table))
    app = create_app(settings.with_(oidc_client_secret=idp.client_secret(settings.client_id)),
                     idp_blueprint=create_idp_blueprint(idp), credentials=("testing", "testing"))
    server = serve(app, port)
    return ServedHost(settings.host_url, settings, client, table, app), server


@pytest.fixture(scope="module")
def dynamodb_url() -> Iterator[str]:
    server, url = _moto_server()
    yield url
    server.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, dynamodb_url: str) -> Iterator[ServedHost]:
    host, server = start_host(tmp_path_factory.mktemp("host") / "data", dynamodb_url)
    yield host
    server.shutdown()
