"""``python -m webapp COMMAND``: thin commands that parse, call the library and format.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``;
this file only dispatches, so adding a command never touches another's code.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from iam_policies.cli import OneLineParser, fail_line, inherit_epilog
from webapp.settings import SettingsError

DESCRIPTION = (
    "Run the app on the local AWS stack and manage it: its tables, the dev identity provider's "
    "users and keys, demo ID tokens, and the authorization audit log."
)
EPILOG = (
    "exit codes: 0 success, 1 the command could not do what was asked, 2 bad arguments or settings; "
    "every failure is one line on standard error, 'error: <what to fix>'. The table jobs (export, "
    "import, backfill) differ: 1 stopped part way (finish with --resume), 2 bad input or an AWS error "
    "(nothing changed). 'python -m webapp COMMAND --help' describes each command."
)
#: a command's own ``--help`` ends with its exit codes: the module's ``EPILOG``, else this
COMMAND_EPILOG = (
    "exit codes: 0 success, 1 the command could not do what was asked, 2 bad arguments or settings "
    "(WEBAPP_* variables); a failure is one line on standard error, 'error: <what to fix>'."
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
    parser = OneLineParser(prog="python -m webapp", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    words = list(sys.argv[1:] if argv is None else argv)
    for name, (module_name, help_text) in COMMANDS.items():
        # Only the command asked for is imported and configured: importing all of them (boto3,
        # the DynamoDB gateway, Flask) cost every command, dev-token included, about 0.5 s of CPU.
        # The top-level help lists the commands from COMMANDS alone.
        module = _module(module_name) if words[:1] == [name] else None
        command = sub.add_parser(name, help=help_text, description=help_text,
                                 epilog=getattr(module, "EPILOG", None) or COMMAND_EPILOG)
        command.set_defaults(module=module_name)
        if module is not None:
            module.configure(command)
            inherit_epilog(command)
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
        fail_line(str(error))
        return 2
    except OSError as error:  # a --data-dir or file that is not one (NotADirectoryError, PermissionError, ...)
        where = f"{error.filename}: " if error.filename else ""
        fail_line(f"cannot use {where}{error.strerror or error}")
        return 1
    except KeyboardInterrupt:
        return 130


def _module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
