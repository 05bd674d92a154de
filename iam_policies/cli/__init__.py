"""Thin command modules: each exposes ``configure(parser)`` and ``run(args) -> int``.

A command that finds its input unusable raises ``CommandError``; ``python -m iam_policies``
prints it as one line, ``error: <message>``, and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class CommandError(Exception):
    """Bad input to a command: the message says what to fix (printed as one line, exit 2)."""

#: How every command of ``python -m iam_policies`` and ``python -m webapp`` reports a failure:
#: one line on standard error, ``error: <what to fix>``.
ERROR_PREFIX = "error: "


def fail_line(message: str) -> None:
    """Print ``message`` as the one line every command fails with."""
    print(f"{ERROR_PREFIX}{' '.join(str(message).split())}", file=sys.stderr, flush=True)


class OneLineParser(argparse.ArgumentParser):
    """argparse, whose usage errors are the same one line as every other failure (exit 2).

    argparse prints the whole usage block and then ``prog: error: ...``; a person reads the last
    line, a script the exit code, and ``--help`` gives the usage. Subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        fail_line(f"{message} (see {self.prog} --help)")
        sys.exit(2)


def inherit_epilog(parser: argparse.ArgumentParser) -> None:
    """Give the sub-commands of ``parser`` (``users add``, ``idp-keys list``) its epilog, so every
    ``--help`` ends with the exit codes."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.epilog = child.epilog or parser.epilog
                inherit_epilog(child)
