"""``python -m iam_policies COMMAND``: the admin tooling.

Thin commands over the library: each parses its arguments, calls the library and formats the
result as text or, with ``--format json``, as JSON. Exit codes: 0 success (for ``simulate`` and
``verify``: every case matched expectations, or no expectations were given), 1 a finding or a
mismatch, 2 bad input (the message says what to fix).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

COMMANDS = {
    "simulate": ("iam_policies.cli.simulate", "decide cases (fgac-cases.json format) and explain why"),
    "render": ("iam_policies.cli.render", "print the policies the templates give for a deployment"),
    "verify": ("iam_policies.cli.verify", "check the templates against the app's access rules (scenarios)"),
    "prove": ("iam_policies.cli.prove", "prove a policy allows nothing its intent does not (docs/intent.md)"),
    "lint": ("iam_policies.cli.lint", "report risky or malformed policies (files or the templates)"),
    "plan": ("iam_policies.cli.plan", "show the IAM calls that bring an account to the templates"),
    "apply": ("iam_policies.cli.plan", "make those IAM calls (AWS or the local stack)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iam_policies", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(module=module_name)
        _module(module_name).configure(command)
    args = parser.parse_args(argv)
    return int(_module(args.module).run(args) or 0)


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
