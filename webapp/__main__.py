"""``python -m webapp COMMAND``: thin commands that parse, call the library and format.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``;
this file only dispatches, so adding a command never touches another's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from webapp.settings import SettingsError

COMMANDS = {
    "serve": ("webapp.cli.serve", "run the app on the local AWS stack and print the URL to open"),
    "dev-token": ("webapp.idp.devtoken", "print a fresh ID token for a demo user (no server needed)"),
    "tables": ("webapp.cli.tables", "create or list the app's tables (locally or on AWS)"),
    "audit": ("webapp.cli.audit", "follow and filter the authorization audit log"),
    "users": ("webapp.idp.users", "list or add users of the dev identity provider"),
    "idp-keys": ("webapp.idp.keycmd", "list, rotate or retire the dev identity provider's signing keys"),
    "export": ("webapp.jobs.cli.export", "export a table to JSON Lines files with a resumable parallel scan"),
    "import": ("webapp.jobs.cli.importing", "write an export back into a table, resumably"),
    "backfill": ("webapp.jobs.cli.backfill", "rewrite every item of a table without losing users' writes"),
    "top": ("webapp.cli.top", "units per second, throttles and hot partition keys of the local stack, live"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(module=module_name)
        _module(module_name).configure(command)
    args = parser.parse_args(argv)
    try:
        return int(_module(args.module).run(args) or 0)
    except SettingsError as error:  # a WEBAPP_* value no component can use: one line, exit 2
        print(f"python -m webapp {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
