"""``python -m webapp dev-token USER``: print a fresh ID token for a user of the dev provider.

No server is needed: the command opens the provider's files in the data directory, so the token
is signed with the same key the running stack publishes and verifies. ``--claim name=<json>``
replaces or adds a claim (``null`` removes it) and ``--lifetime`` sets ``exp - iat``, which is how
tests build expired, future-dated or odd tokens, e.g.::

    python -m webapp dev-token alice --claim 'aud="other"' --lifetime -600
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from iam_policies.cli import fail_line
from webapp.cli import run_alone
from webapp.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", help="user name (alice, bob, carol, or one you added)")
    parser.add_argument("--data-dir", type=Path, help="the stack's data directory (default ./data)")
    parser.add_argument("--claim", action="append", default=[], metavar="NAME=JSON",
                        help="set claim NAME to a JSON value (repeatable); null removes the claim")
    parser.add_argument("--lifetime", type=int, metavar="SECONDS",
                        help="seconds until exp (default: the ID token lifetime, 600); may be negative")
    parser.add_argument("--audience", help="aud claim (default: the host's client id)")
    parser.add_argument("--nonce", help="nonce claim")


def parse_claims(items: list[str]) -> dict[str, Any]:
    """``["exp=123", 'aud="x"']`` as a dict; ``ValueError`` naming the bad item."""
    claims: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--claim {item!r}: expected NAME=JSON, e.g. --claim 'exp=1700000000'")
        try:
            claims[name] = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"--claim {item!r}: the value is not JSON ({error.msg}); quote strings: {name}='\"text\"'"
            ) from None
    return claims


def run(args: argparse.Namespace) -> int:
    from webapp.idp.directory import UnknownUser
    from webapp.idp.provider import IdentityProvider

    try:
        claims = parse_claims(args.claim)
    except ValueError as error:
        fail_line(str(error))
        return 2
    provider = IdentityProvider.open(Settings.from_env(data_dir=args.data_dir))
    try:
        token = provider.mint_id_token(args.user, audience=args.audience, nonce=args.nonce,
                                       lifetime=args.lifetime, extra_claims=claims)
    except UnknownUser as error:
        fail_line(f"{error.args[0]} (add one with: python -m webapp users add NAME)")
        return 1
    print(token)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run this command alone (``python -m webapp.idp.devtoken``), without the other commands."""
    return run_alone("python -m webapp dev-token", __doc__, configure, run, argv)


if __name__ == "__main__":
    sys.exit(main())
