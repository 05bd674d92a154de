"""``python -m webapp.idp.keycmd list|rotate|retire``: the dev provider's signing keys.

Rotation works while the stack runs: the provider re-reads ``keys/idp-signing.json`` when it
changes, so the next ID token is signed with the new key and ``/idp/jwks.json`` publishes both
(OpenID Connect Core §10.1.1) until ``retire`` drops the old ones. This is how a relying party's
"refetch the JWKS on an unknown ``kid``" path is exercised (OIDF ``oidcc-client-test-signing-key-rotation``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from iam_policies.cli import fail_line
from webapp.cli import run_alone
from webapp.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="the stack's data directory (default ./data)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="list the published keys, the signing one first")
    sub.add_parser("rotate", help="add a new signing key (the old ones keep verifying)")
    retire = sub.add_parser("retire", help="drop all but the newest keys")
    retire.add_argument("--keep", type=int, default=1, help="how many of the newest keys to keep (default 1)")


def run(args: argparse.Namespace) -> int:
    from webapp.idp.keys import SigningKeys

    settings = Settings.from_env(data_dir=args.data_dir)
    path = Path(settings.data_dir) / "keys" / "idp-signing.json"
    if not path.exists():  # listing must not make a provider where there was none
        fail_line(f"no dev identity provider keys at {path.resolve()}; pass --data-dir DIR of your stack "
                  "(./dev serve prints it as 'Data:')")
        return 1
    keys = SigningKeys(path)
    if args.action == "rotate":
        keys.rotate()
    elif args.action == "retire":
        if args.keep < 1:
            fail_line("--keep must be at least 1 (the signing key)")
            return 2
        keys.retire(keep=args.keep)
    kids = [key["kid"] for key in keys.jwks()["keys"]]
    if args.format == "json":
        print(json.dumps({"signing": kids[0], "kids": kids}))
    else:
        for index, kid in enumerate(kids):
            print(f"{kid}  {'signing' if index == 0 else 'verifying only'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_alone("python -m webapp.idp.keycmd", __doc__, configure, run, argv)


if __name__ == "__main__":
    sys.exit(main())
