"""The page's files (whitelist, gzip, ETag), ``/config.json`` and ``/healthz``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from webapp.host import create_app
from webapp.host.assets import AssetStore, is_served
from webapp.settings import Settings

from .conftest import BUNDLE, PAGE_FILES, Host

# (URL, served?) - the whitelist is index.html, styles.css, dist/**, assets/**; nothing else.
WHITELIST = [
    ("/", True),
    ("/styles.css", True),
    ("/dist/app.js", True),
    ("/dist/app.js.map", True),
    ("/assets/logo.svg", True),
    ("/index.html", False),              # the page is at / only
    ("/src/main.js", False),             # sources
    ("/src/aws.js", False),
    ("/static/src/main.js", False),
    ("/node_modules/esbuild/package.json", False),
    ("/dist/node_modules/leak.js", False),  # a forbidden segment anywhere
    ("/package.json", False),
    ("/package-lock.json", False),
    ("/build.mjs", False),
    ("/assets/.env", False),             # dot files
    ("/dist/../src/main.js", False),     # traversal
    ("/dist/%2e%2e/src/main.js", False),
    ("/dist/..%2fsrc/main.js", False),
    ("/assets/%2e%2e/package.json", False),
    ("/dist/missing.js", False),
]


@pytest.mark.parametrize(("url", "served"), WHITELIST, ids=[u for u, _ in WHITELIST])
def test_only_the_page_files_are_served(host: Host, url: str, served: bool) -> None:
    response = host.client.get(url)
    if served:
        assert response.status_code == 200
        name = "index.html" if url == "/" else url.lstrip("/")
        assert response.get_data(as_text=True) == PAGE_FILES[name]
    else:
        assert response.status_code == 404
        assert response.is_json and response.json["error"] == "not_found"
        assert "source" not in response.get_data(as_text=True)


@pytest.mark.parametrize("relative", ["", "/etc/passwd", "dist", "dist\\..\\src\\x", "dist/\x00x",
                                      "assets/./x", "src/x.js", "dist/src/x.js"])
def test_is_served_refuses_odd_paths(relative: str) -> None:
    assert not is_served(relative)


def test_a_symlink_out_of_the_served_tree_is_not_followed(host: Host) -> None:
    (host.static / "dist" / "escape.js").symlink_to(host.static / "src" / "main.js")
    assert host.client.get("/dist/escape.js").status_code == 404


@pytest.mark.parametrize(("url", "content_type"), [
    ("/", "text/html; charset=utf-8"),
    ("/styles.css", "text/css; charset=utf-8"),
    ("/dist/app.js", "text/javascript; charset=utf-8"),
    ("/assets/logo.svg", "image/svg+xml"),
])
def test_content_types(host: Host, url: str, content_type: str) -> None:
    assert host.client.get(url).headers["Content-Type"] == content_type


# Accept-Encoding (RFC 9110 §12.5.3) -> representation
ENCODINGS = [
    ("gzip, deflate, br", "gzip"),
    ("br;q=1.0, gzip;q=0.8", "gzip"),
    ("gzip;q=0", None),
    ("identity", None),
    ("", None),
]


@pytest.mark.parametrize(("accept", "encoding"), ENCODINGS)
def test_gzip_only_when_the_client_accepts_it(host: Host, accept: str, encoding: str | None) -> None:
    response = host.client.get("/dist/app.js", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    assert response.headers["Vary"] == "Accept-Encoding"
    body = response.get_data()
    assert (gzip.decompress(body) if encoding else body).decode() == BUNDLE
    if encoding:
        assert len(body) < len(BUNDLE) / 10
        assert int(response.headers["Content-Length"]) == len(body)


def test_small_files_are_not_compressed(host: Host) -> None:
    response = host.client.get("/assets/logo.svg", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers


def test_each_representation_has_its_etag_and_revalidates_to_304(host: Host) -> None:
    plain = host.client.get("/dist/app.js")
    packed = host.client.get("/dist/app.js", headers={"Accept-Encoding": "gzip"})
    assert plain.headers["ETag"] != packed.headers["ETag"]
    assert plain.headers["Cache-Control"] == packed.headers["Cache-Control"] == "no-cache"
    again = host.client.get("/dist/app.js", headers={"Accept-Encoding": "gzip",
                                                     "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == packed.headers["ETag"]
    stale = host.client.get("/dist/app.js", headers={"Accept-Encoding": "gzip",
                                                     "If-None-Match": plain.headers["ETag"]})
    assert stale.status_code == 200 and stale.headers["Content-Encoding"] == "gzip"


def test_compressed_once_and_recomputed_when_the_file_changes(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    bundle = tmp_path / "dist" / "app.js"
    bundle.write_text(BUNDLE)
    store = AssetStore(tmp_path)
    first = store.get("dist/app.js")
    assert first is not None and store.get("dist/app.js") is first  # cached, not recompressed
    bundle.write_text(BUNDLE + "// v2\n")
    second = store.get("dist/app.js")
    assert second is not None and second is not first
    assert second.gzip is not None and gzip.decompress(second.gzip.body).decode().endswith("// v2\n")
    assert second.identity.etag != first.identity.etag


# /config.json ------------------------------------------------------------------------------

def test_config_json_has_exactly_the_fields_the_page_reads(host: Host) -> None:
    config = host.client.get("/config.json").json
    assert config == {
        "region": "us-east-1",
        "roleArn": "arn:aws:iam::000000000000:role/WebUser",
        "stsEndpoint": "http://localhost:18001",
        "dynamodbEndpoint": "http://localhost:18002",
        "issuer": "https://idp.localhost/dev",
        "providerKey": "idp.localhost/dev",
        "sessionDurationSeconds": 3600,
        "tables": {"photos": "Photos", "photoTags": "PhotoTags", "profiles": "Profiles",
                   "games": "Games", "sessions": "Sessions"},
    }


def test_config_json_on_aws_points_at_the_regional_endpoints(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, region="eu-west-1", account_id="123456789012",
                        issuer="https://accounts.google.com", table_prefix="prod-",
                        oidc_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
                        session_duration_seconds=900)
    app = create_app(settings, sessions_client=object())  # credentials=None: AWS, default chain
    config = app.test_client().get("/config.json").json
    assert config["stsEndpoint"] == "https://sts.eu-west-1.amazonaws.com"
    assert config["dynamodbEndpoint"] == "https://dynamodb.eu-west-1.amazonaws.com"
    assert config["roleArn"] == "arn:aws:iam::123456789012:role/WebUser"
    assert (config["issuer"], config["providerKey"]) == ("https://accounts.google.com", "accounts.google.com")
    assert config["tables"]["photos"] == "prod-Photos" and config["sessionDurationSeconds"] == 900
    csp = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "connect-src 'self' https://sts.eu-west-1.amazonaws.com https://dynamodb.eu-west-1.amazonaws.com;" in csp
    assert "form-action 'self' https://accounts.google.com" in csp


def test_healthz(host: Host) -> None:
    response = host.client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
