"""``templates``: the app's policy templates and the general patterns, with their parameters.

Each parameter is printed with its type, its meaning and the command-line option of ``render``,
``lint``, ``verify``, ``plan`` and ``apply`` that sets it; each pattern with the intent file that
``prove`` checks it against (``iam_policies.catalog``).
"""

from __future__ import annotations

import argparse
import json

from iam_policies.catalog import entries
from iam_policies.cli import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="only this template or pattern (default: all)")
    parser.add_argument("--kind", choices=["template", "pattern"],
                        help="only the app's templates, or only the general patterns (default: both)")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")


def run(args: argparse.Namespace) -> int:
    found = [e for e in entries() if args.kind in (None, e.kind) and args.name in (None, e.name)]
    if not found:
        names = ", ".join(e.name for e in entries())
        raise CommandError(f"no template or pattern {args.name!r}; known: {names}")
    if args.format == "json":
        print(json.dumps([e.as_dict() for e in found], indent=2))
        return 0
    for entry in found:
        print(f"{entry.name}  ({entry.kind})")
        print(f"    {entry.description}")
        if entry.intent:
            print(f"    intent: {entry.intent}")
        for p in entry.parameters:
            print(f"    {{{{{p.name}}}}}  {p.type}  {p.doc}; set by {p.option} (e.g. {p.example})")
        print()
    return 0
