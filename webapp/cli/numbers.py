"""Number options of ``python -m webapp``'s commands: one way to parse them and refuse, in words,
what is not a number or is out of range (argparse turns ``ArgumentTypeError`` into a one-line
usage error, exit 2)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def number(parse: Callable[[str], N], what: str, allowed: Callable[[N], bool],
           rule: str) -> Callable[[str], N]:
    """An argparse ``type``: ``parse(text)``, else "'text' is not <what>"; then ``allowed(value)``,
    else ``rule`` (e.g. "must be from 1 to 100")."""

    def convert(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not allowed(value):
            raise argparse.ArgumentTypeError(rule)
        return value

    return convert
