"""``python -m webapp users list|add``: the users of the dev identity provider.

Works with or without the stack running: both read and write ``<data>/idp/users.json`` under a
lock, and the running provider sees additions at once. Without ``--data-dir`` (or
``WEBAPP_DATA_DIR``) the default ``./data`` must already hold the provider's users: the command
never creates a directory of users the running stack does not use.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from iam_policies.cli import fail_line
from webapp.cli import run_alone
from webapp.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="the stack's data directory (default ./data)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list users (name, sub, display name, e-mail)")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    listing.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add = sub.add_parser("add", help="add a user (no password: the dev provider has none)")
    add.add_argument("name", help="2-32 of a-z 0-9 . _ - (stored in lower case)")
    add.add_argument("--email", help="e-mail address (default NAME@example.org)")
    add.add_argument("--display-name", help="display name (default: the name, capitalized)")
    add.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    add.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from webapp.clock import system_clock
    from webapp.idp.directory import InvalidUser, UserDirectory, UserExists

    settings = Settings.from_env(data_dir=args.data_dir)
    path = Path(settings.data_dir) / "idp" / "users.json"
    if args.data_dir is None and settings.data_dir == Settings().data_dir and not path.exists():
        fail_line(f"no dev identity provider in {settings.data_dir.resolve()} (the default); "
              "pass --data-dir DIR of your stack (./dev serve prints it as 'Data:')")
        return 1
    users = UserDirectory(path, system_clock)
    if args.action == "list":
        everyone = users.all()
        if args.format == "json":
            print(json.dumps([asdict(u) for u in everyone], indent=2))
        else:
            width = max([len(u.name) for u in everyone] + [4])
            print(f"{'NAME':<{width}}  {'SUB':<36}  DISPLAY NAME / E-MAIL")
            for u in everyone:
                print(f"{u.name:<{width}}  {u.sub:<36}  {u.display_name} <{u.email}>")
        return 0
    try:
        user = users.add(args.name, email=args.email, display_name=args.display_name)
    except (InvalidUser, UserExists) as error:
        fail_line(str(error))
        return 1
    if args.format == "json":
        print(json.dumps(asdict(user), indent=2))
    else:
        print(f"added {user.name} (sub {user.sub}); sign in as {user.name} on the dev provider's page")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run this command alone (``python -m webapp.idp.users``), without the other commands."""
    return run_alone("python -m webapp users", __doc__, configure, run, argv)


if __name__ == "__main__":
    sys.exit(main())
