"""``python -m webapp COMMAND``: thin commands that parse, call the library and format.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``;
this file only dispatches, so adding a command never touches another's code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from webapp.settings import SettingsError

DESCRIPTION = (
    "Run the app on the local AWS stack and manage it: its tables, the dev identity provider's "
    "users and keys, demo ID tokens, and the authorization audit log."
)
EPILOG = (
    "exit codes: 0 success, 1 the command could not do what was asked (the one-line message says "
    "why), 2 bad arguments. 'python -m webapp COMMAND --help' describes each command."
)


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
    parser = argparse.ArgumentParser(prog="python -m webapp", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    words = list(sys.argv[1:] if argv is None else argv)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(module=module_name)
        # Only the command asked for is imported and configured: importing all of them (boto3,
        # the DynamoDB gateway, Flask) cost every command, dev-token included, about 0.5 s of CPU.
        # The top-level help lists the commands from COMMANDS alone.
        if words[:1] == [name]:
            _module(module_name).configure(command)
    args = parser.parse_args(words)
    try:
        code = int(_module(args.module).run(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader went away (``... | head``): stop quietly (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except SettingsError as error:  # a WEBAPP_* value no component can use: one line, exit 2
        print(f"python -m webapp {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
