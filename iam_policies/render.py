"""Render the policy templates in ``iam_policies/templates/`` into policy documents.

The same templates provision the local stack and are applied to AWS by the admin tooling, so a
policy tested locally is the policy deployed. Template parameters are written ``{{Name}}`` (and
``{{Table:<logical>}}`` for a table's physical name), a syntax IAM never uses, so they can sit next
to IAM's own ``${...}`` policy variables without clashing: ``"${{{ProviderKey}}:sub}"`` renders to
``"${idp.localhost/dev:sub}"`` (IAM UG, "IAM policy elements: Variables and tags").

``ClientIds`` is the one list-valued parameter: a JSON string that is exactly ``"{{ClientIds}}"``
becomes the list of client ids (or the one id alone, as IAM stores a single value), so a trust
policy admits every audience of the app. General patterns (``iam_policies/patterns/<name>/``,
``iam_policies.catalog``) render by name like the app's templates.

Rendering is strict: a placeholder without a value, a placeholder or parameter whose name is not
one of ``PARAMETERS`` (or ``Table:<logical>``), or a template that is not valid JSON is a
``TemplateError`` naming the template and the parameter, never a half-rendered policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

from iam_policies import shipped

#: Parameters a template may use, besides ``Table:<logical name>``.
PARAMETERS: frozenset[str] = frozenset({
    "Account", "Region", "Partition", "ProviderKey", "ProviderArn", "ClientId", "ClientIds",
})
#: Parameters whose value is a list of strings (the others are one string).
LIST_PARAMETERS: frozenset[str] = frozenset({"ClientIds"})

#: A parameter's value: one string, or a list of strings for ``LIST_PARAMETERS``.
Value = str | Sequence[str]

_PLACEHOLDER = re.compile(r"\{\{([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9_-]*)?)\}\}")
_TABLE = re.compile(r"Table:[A-Za-z][A-Za-z0-9_-]*")


class TemplateError(ValueError):
    """A template cannot be rendered: unknown template, missing or unknown parameter."""


def template_names() -> list[str]:
    """Names of the shipped templates, without ``.json`` (``user-role``, ``user-role-trust``, ...)."""
    return shipped.names("templates")


def pattern_names() -> list[str]:
    """Names of the shipped general patterns (folders of ``iam_policies/patterns``)."""
    folder = resources.files("iam_policies") / "patterns"
    return sorted(p.name for p in folder.iterdir() if (p / "policy.json").is_file())


def template_text(name: str) -> str:
    """The raw text of template or pattern ``name`` (with or without ``.json``)."""
    text = shipped.text("templates", name)
    if text is not None:
        return text
    stem = name[: -len(".json")] if name.endswith(".json") else name
    if stem in pattern_names():
        return str((resources.files("iam_policies") / "patterns" / stem / "policy.json").read_text())
    raise TemplateError(f"unknown policy template {stem!r}; known: {', '.join(template_names() + pattern_names())}")


def placeholders(name: str) -> set[str]:
    """The parameter names template ``name`` uses."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(template_text(name))}


def placeholders_in(value: Any) -> set[str]:
    """The ``{{Name}}`` parameters any JSON value (an intent, a scenario) still holds."""
    return {m.group(1) for m in _PLACEHOLDER.finditer(json.dumps(value))}


def render(template_name: str, params: Mapping[str, Value]) -> dict[str, Any]:
    """The policy document of ``template_name`` with every ``{{Name}}`` replaced by ``params``.

    ``params`` may hold more parameters than this template uses (one mapping serves all
    templates), but every name must be a known one, and every placeholder must have a value.
    """
    for name in params:
        if not _known(name):
            raise TemplateError(
                f"unknown template parameter {name!r}; expected one of "
                f"{', '.join(sorted(PARAMETERS))} or Table:<logical name>"
            )
    stem = template_name[: -len(".json")] if template_name.endswith(".json") else template_name
    try:
        document = json.loads(template_text(stem))
    except json.JSONDecodeError as exc:
        raise TemplateError(f"template {stem!r} is not valid JSON: {exc}") from exc
    return _substitute(document, stem, params)  # type: ignore[no-any-return]


def render_text(template_name: str, params: Mapping[str, Value]) -> str:
    """``render`` as compact JSON text, the form IAM stores and our registry persists."""
    return json.dumps(render(template_name, params), separators=(",", ":"))


def _known(name: str) -> bool:
    return name in PARAMETERS or _TABLE.fullmatch(name) is not None


def _substitute(value: Any, template: str, params: Mapping[str, Value]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole is not None and whole.group(1) in LIST_PARAMETERS:
            items = _list_value(whole.group(1), template, params)
            return items[0] if len(items) == 1 else items
        return _PLACEHOLDER.sub(lambda m: _value(m.group(1), template, params), value)
    if isinstance(value, list):
        return [_substitute(v, template, params) for v in value]
    if isinstance(value, dict):
        return {
            _substitute(k, template, params): _substitute(v, template, params) for k, v in value.items()
        }
    return value


def _list_value(name: str, template: str, params: Mapping[str, Value]) -> list[str]:
    if name not in params:
        raise TemplateError(f"template {template!r} needs parameter {name!r}, which was not given")
    value = params[name]
    items = [value] if isinstance(value, str) else list(value)
    if not items or not all(isinstance(v, str) and v for v in items):
        raise TemplateError(f"template parameter {name!r} must be a non-empty list of non-empty strings")
    return items


def _value(name: str, template: str, params: Mapping[str, Value]) -> str:
    if not _known(name):
        raise TemplateError(f"template {template!r} uses unknown parameter {{{{{name}}}}}")
    if name in LIST_PARAMETERS:
        raise TemplateError(f"template {template!r} uses the list parameter {{{{{name}}}}} inside a string; "
                            "it must be a whole JSON string value")
    if name not in params:
        raise TemplateError(f"template {template!r} needs parameter {name!r}, which was not given")
    value = params[name]
    if not isinstance(value, str) or not value:
        raise TemplateError(f"template parameter {name!r} must be a non-empty string")
    return value


def iter_templates(params: Mapping[str, Value]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every template rendered with ``params``: ``(name, document)``."""
    for name in template_names():
        yield name, render(name, params)


def render_value(value: Any, params: Mapping[str, Value], *, name: str) -> Any:
    """Any JSON value (not only a shipped template) with its ``{{Name}}`` parameters replaced;
    ``name`` says where the value came from in errors (e.g. a scenario of ``verify``)."""
    return _substitute(value, name, params)
