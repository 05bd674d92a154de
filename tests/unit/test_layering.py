"""The dependency direction is iam_policies (pure) <- webapp <- static: the policy engine never
imports Flask, the network, or the web app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_ENGINE = {"flask", "werkzeug", "webapp", "requests", "moto"}
PURE_WEBAPP_MODULES = ["webapp/credentials.py", "webapp/clock.py", "webapp/settings.py"]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


ENGINE_FILES = sorted(p for p in (ROOT / "iam_policies").rglob("*.py") if "aws_client" not in p.name and "apply" not in p.name)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_is_pure(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN_IN_ENGINE


@pytest.mark.parametrize("name", PURE_WEBAPP_MODULES)
def test_shared_webapp_values_do_not_import_flask(name: str) -> None:
    assert not imported_roots(ROOT / name) & {"flask", "werkzeug"}
