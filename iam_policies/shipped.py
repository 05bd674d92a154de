"""JSON files shipped inside the package, by folder: the policy templates and their intents.

One reader for both, so "which names are shipped" and "unknown name" mean the same everywhere.
"""

from __future__ import annotations

from importlib import resources


def names(folder: str) -> list[str]:
    """Names of the ``*.json`` files in ``iam_policies/<folder>/``, without ``.json``, sorted."""
    root = resources.files("iam_policies") / folder
    return sorted(p.name[: -len(".json")] for p in root.iterdir() if p.name.endswith(".json"))


def text(folder: str, name: str) -> str | None:
    """The text of ``iam_policies/<folder>/<name>.json`` (``name`` with or without ``.json``), or
    None when no such file is shipped."""
    stem = name[: -len(".json")] if name.endswith(".json") else name
    if stem not in names(folder):
        return None
    return (resources.files("iam_policies") / folder / f"{stem}.json").read_text()
