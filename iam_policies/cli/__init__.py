"""Thin command modules: each exposes ``configure(parser)`` and ``run(args) -> int``.

A command that finds its input unusable raises ``CommandError``; ``python -m iam_policies``
prints it as one line, ``error: <message>``, and exits 2.
"""


class CommandError(Exception):
    """Bad input to a command: the message says what to fix (printed as one line, exit 2)."""
