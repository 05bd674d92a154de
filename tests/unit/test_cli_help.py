"""Every option of every command has help text (STYLE: "--help on every option"), read from the
same parsers ``python -m iam_policies`` and ``python -m webapp`` build."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator

import pytest

import iam_policies.__main__ as iam_cli
import webapp.__main__ as webapp_cli


def _parsers(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def _commands() -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for prog, commands in (("iam_policies", iam_cli.COMMANDS), ("webapp", webapp_cli.COMMANDS)):
        for name, (module, _) in commands.items():
            parser = argparse.ArgumentParser(prog=f"{prog} {name}")
            importlib.import_module(module).configure(parser)
            found += list(_parsers(parser, f"{prog} {name}"))
    return found


@pytest.mark.parametrize(("path", "parser"), _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_has_help(path: str, parser: argparse.ArgumentParser) -> None:
    missing = [action.option_strings[0] if action.option_strings else action.dest
               for action in parser._actions
               if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) and not action.help]
    assert missing == [], f"{path}: no help for {missing}"
