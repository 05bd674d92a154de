"""W-16: the host serves only the page's whitelisted files (``webapp.host.assets``); no path
spelling reaches sources, configuration or the data directory's keys (ASVS 5.0 13.4.1: no source
or backup files; 13.4.7: only intended file types). Each request is sent exactly as written
(``http.client``, no client-side dot-segment removal), and the refusal is the host's JSON 404.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import RunningStack
from tests.functional.web.conftest import raw_get

#: Markers that would show source code, configuration or key material in a body.
LEAKS = (b"import ", b"def ", b"PRIVATE KEY", b'"d":', b'"kty"', b"aws_secret_access_key",
         b"client_secret", b"SECRET", b"__pycache__", b"#!/")

TRAVERSALS = [
    # the case's own four
    "/static/../app.py", "/static/%2e%2e/config.py", "/.env", "/idp_private_key.pem",
    # dot segments, encoded and double-encoded, in every served prefix
    "/dist/../webapp/settings.py", "/dist/../../webapp/stack.py", "/dist/%2e%2e/%2e%2e/webapp/stack.py",
    "/dist/..%2f..%2fwebapp%2fstack.py", "/dist/%252e%252e/%252e%252e/webapp/stack.py",
    "/dist/..%252f..%252fwebapp/stack.py", "/assets/../src/main.js", "/assets/%2e%2e/package.json",
    "/dist/.%2e/.%2e/pyproject.toml", "/dist/%2E%2E/%2E%2E/pyproject.toml",
    # backslashes, raw and encoded
    "/dist/..\\..\\webapp\\stack.py", "/dist/..%5c..%5cwebapp%5cstack.py", "/dist\\..\\package.json",
    # overlong UTF-8 and NUL
    "/dist/%c0%ae%c0%ae/%c0%ae%c0%ae/webapp/stack.py", "/dist/app.js%00.py", "/index.html%00",
    # the page's sources and build files, which are never served
    "/src/main.js", "/static/src/main.js", "/package.json", "/package-lock.json", "/build.mjs",
    "/node_modules/.package-lock.json", "/dist/../node_modules/.package-lock.json",
    "/static/index.html", "/README.md", "/.git/config", "/.git/HEAD", "/dist/.hidden",
    # the repository and the data directory
    "/webapp/stack.py", "/pyproject.toml", "/data/keys/idp-signing.json", "/keys/idp-signing.json",
    "/keys/credentials.key", "/keys/service-keys.json", "/host/secret.key", "/idp/users.json",
    "/idp/clients.json", "/idp/refresh-tokens.json", "/admin-credentials", "/audit.jsonl",
    "/dist/../../data/keys/idp-signing.json", "/idp/static/../../../keys/idp-signing.json",
    "/idp/static/..%2f..%2f..%2fkeys%2fidp-signing.json", "/idp/templates/idp/signin.html",
    "/idp/../webapp/idp/keys.py", "//etc/passwd", "/dist//etc/passwd", "/dist/%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_w16_traversal_gets_the_hosts_404_and_no_file(stack: RunningStack, path: str) -> None:
    status, headers, body = raw_get(stack.host_url, path)
    assert status in (400, 404), (status, body[:200])
    assert headers["content-type"].startswith("application/json")
    assert set(json.loads(body)) == {"error", "message"}
    for marker in LEAKS:
        assert marker not in body
    assert headers["x-content-type-options"] == "nosniff"


def test_w16_the_data_dir_files_exist_so_the_404s_above_are_not_vacuous(stack: RunningStack) -> None:
    for name in ("keys/idp-signing.json", "keys/credentials.key", "idp/clients.json", "admin-credentials"):
        assert (stack.data_dir / name).is_file()


@pytest.mark.parametrize("path", ["/", "/styles.css", "/dist/app.js"])
def test_w16_the_whitelisted_files_are_served(stack: RunningStack, path: str) -> None:
    status, headers, _ = raw_get(stack.host_url, path)
    assert status == 200 and headers["x-content-type-options"] == "nosniff"
