"""What templates and patterns ship, and what each of their parameters means.

Two kinds of policy source render the same way (``iam_policies.render``):

- the app's **templates** (``iam_policies/templates/``): the roles this app deploys;
- general **patterns** (``iam_policies/patterns/<name>/``): reusable designs for other apps on
  DynamoDB, each a folder with ``policy.json`` (the template), ``intent.json`` (what it is meant
  to allow, in the intent format of ``docs/``, so ``prove`` can check it), ``pattern.json`` (its
  description and its tables) and ``cases.json`` (scenarios that ``verify`` runs: one request the
  pattern must allow and ones it must refuse).

``python -m iam_policies templates`` prints this catalog; its parameters are typed so that an
admin knows what to pass (``--account 123456789012``) without reading the templates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from iam_policies.render import PARAMETERS, placeholders, template_names


@dataclass(frozen=True)
class Parameter:
    """One ``{{Name}}`` parameter: its type, what it means, the CLI option that sets it."""

    name: str
    type: Literal["account-id", "region", "partition", "string", "string-list", "arn", "table-name"]
    doc: str
    option: str
    example: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "doc": self.doc, "option": self.option,
                "example": self.example}


_PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("Account", "account-id", "the 12-digit AWS account that owns the tables and roles",
              "--account", "123456789012"),
    Parameter("Region", "region", "the AWS region of the tables", "--region", "eu-west-1"),
    Parameter("Partition", "partition", "the AWS partition of the ARNs (aws, aws-cn, aws-us-gov)",
              "--partition", "aws"),
    Parameter("ProviderKey", "string", "the OpenID Connect issuer without https://, the prefix of its "
              "policy variables (${<ProviderKey>:sub})", "--issuer", "login.example.com/tenant"),
    Parameter("ProviderArn", "arn", "the ARN of the IAM OIDC provider the roles trust", "--issuer, --account",
              "arn:aws:iam::123456789012:oidc-provider/login.example.com/tenant"),
    Parameter("ClientId", "string", "the app's first OAuth client id (audience)", "--client-id", "webapp"),
    Parameter("ClientIds", "string-list", "every OAuth client id (audience) the user role trusts",
              "--client-id (repeat)", "webapp mobile"),
)}
assert set(_PARAMETERS) == set(PARAMETERS), "every render parameter is documented here"

_APP_TEMPLATES = {
    "user-role": "the browser's role: each user reaches only her own photos, tags, profile fields and games",
    "user-role-trust": "who may assume the user role: ID tokens of the app's provider for its client ids",
    "host-role": "the host's own role: the Sessions table only",
    "host-role-trust": "who may assume the host role",
    "admin-role": "administrators of the local stack: everything",
    "admin-role-trust": "who may assume the admin role",
}


def parameter(name: str) -> Parameter:
    """The documentation of parameter ``name`` (``Table:<logical>`` included)."""
    if name.startswith("Table:"):
        logical = name.split(":", 1)[1]
        return Parameter(name, "table-name", f"the physical name of the {logical!r} table "
                         f"(--table-prefix + {logical[0].upper() + logical[1:]})", "--table-prefix",
                         logical[0].upper() + logical[1:])
    return _PARAMETERS[name]


@dataclass(frozen=True)
class Entry:
    """One template or pattern as ``templates`` lists it."""

    name: str
    kind: Literal["template", "pattern"]
    description: str
    parameters: tuple[Parameter, ...]
    #: Resource path of the intent file (patterns), or None.
    intent: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "parameters": [p.as_dict() for p in self.parameters], "intent": self.intent}


def _pattern_folder(name: str) -> Any:
    return resources.files("iam_policies") / "patterns" / name


@cache
def pattern_meta(name: str) -> Mapping[str, Any]:
    """``pattern.json`` of pattern ``name``: its description and tables (case format)."""
    data = json.loads((_pattern_folder(name) / "pattern.json").read_text())
    return data  # type: ignore[no-any-return]


def pattern_file(name: str, file: str) -> str:
    """The text of ``intent.json``, ``cases.json`` or ``policy.json`` of pattern ``name``."""
    return str((_pattern_folder(name) / file).read_text())


def pattern_names() -> list[str]:
    from iam_policies.render import pattern_names as names

    return names()


def pattern_tables() -> list[str]:
    """Logical names of every pattern's tables (``Table:<logical>`` parameters)."""
    return sorted({t for name in pattern_names() for t in pattern_meta(name)["tables"]})


_ORDER = {"Partition": 0, "Region": 1, "Account": 2}


def _sorted(names: set[str]) -> tuple[Parameter, ...]:
    return tuple(parameter(n) for n in sorted(names, key=lambda n: (_ORDER.get(n, 3), n)))


def entries() -> list[Entry]:
    """Every template, then every pattern, with the parameters it uses."""
    found = [Entry(name, "template", _APP_TEMPLATES.get(name, ""), _sorted(placeholders(name)))
             for name in template_names()]
    for name in pattern_names():
        used = placeholders(name) | set(_PLACEHOLDER.findall(pattern_file(name, "intent.json")))
        found.append(Entry(name, "pattern", str(pattern_meta(name)["description"]), _sorted(used),
                           f"iam_policies/patterns/{name}/intent.json"))
    return found


_PLACEHOLDER = re.compile(r"\{\{([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9_-]*)?)\}\}")
