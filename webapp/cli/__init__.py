"""Thin command modules of ``python -m webapp``: each exposes ``configure(parser)`` and
``run(args) -> int``, parses, calls the library and formats (as ``iam_policies.cli`` does)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence


def run_alone(prog: str, doc: str | None, configure: Callable[[argparse.ArgumentParser], None],
              run: Callable[[argparse.Namespace], int], argv: Sequence[str] | None = None) -> int:
    """One command run on its own (``python -m webapp.idp.users``), without the other commands:
    its parser described by the first line of its module's docstring ``doc``."""
    from iam_policies.cli import OneLineParser

    parser = OneLineParser(prog=prog, description=doc.splitlines()[0] if doc else None)
    configure(parser)
    return run(parser.parse_args(argv))
