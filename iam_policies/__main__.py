"""``python -m iam_policies COMMAND``: the admin tooling.

Thin commands over the library: each parses its arguments, calls the library and formats the
result as text or, with ``--format json``, as JSON. Exit codes are the same for every command
(``EPILOG``); a command's own ``--help`` says what 1 means for it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

DESCRIPTION = (
    "Admin tools for the app's IAM policies: list the templates, render them for your account, "
    "lint them, decide requests with simulate and verify, prove them against their intent, and "
    "plan or apply them to AWS or to the local stack."
)
EPILOG = (
    "exit codes: 0 success (nothing found, nothing to change), 1 a finding, a mismatch or (plan) "
    "changes to make, 2 bad input or an AWS error, with a one-line message saying what to fix. "
    "'python -m iam_policies COMMAND --help' describes each command."
)

COMMANDS = {
    "templates": ("iam_policies.cli.templates", "list the policy templates and patterns with their parameters"),
    "render": ("iam_policies.cli.render", "print the policies (or a CloudFormation template) for a deployment"),
    "lint": ("iam_policies.cli.lint", "report risky or malformed policies (files or the templates)"),
    "simulate": ("iam_policies.cli.simulate", "decide requests (fgac-cases.json format) and explain why"),
    "verify": ("iam_policies.cli.verify", "check the templates against the app's access rules (scenarios)"),
    "prove": ("iam_policies.cli.prove", "prove a policy allows nothing its intent does not (docs/intent.md)"),
    "plan": ("iam_policies.cli.plan", "show the IAM and DynamoDB calls that bring an account to the templates"),
    "apply": ("iam_policies.cli.plan", "make those calls (AWS or the local stack)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    from iam_policies.cli import CommandError, OneLineParser, fail_line
    from iam_policies.render import TemplateError

    parser = OneLineParser(prog="python -m iam_policies", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = _module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text,
                                 epilog=getattr(module, "EPILOG", None) or EPILOG)
        command.set_defaults(module=module_name)
        module.configure(command)
    args = parser.parse_args(argv)
    try:
        code = int(_module(args.module).run(args) or 0)
        sys.stdout.flush()
        return code
    except (CommandError, TemplateError) as exc:
        fail_line(str(exc))
        return 2
    except BrokenPipeError:
        # The reader went away (``render | head``): stop quietly, as Unix tools do. Point stdout
        # at /dev/null so that the interpreter's final flush does not raise again (Python docs,
        # "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file or directory that cannot be used: its path and why, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        fail_line(f"cannot use {where}{exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        return 130


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


if __name__ == "__main__":
    sys.exit(main())
