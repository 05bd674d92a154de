"""``python -m webapp audit``: follow and filter the authorization audit log.

Reads the typed records every service writes (``webapp.audit.AuditEntry``) from
``<data>/audit.jsonl`` and prints them as a table (``--format text``) or JSON lines
(``--format json``). ``--tail N`` starts from the last N matching decisions (then follows with
``-f``), ``--limit N`` stops after N. A denial's WHY names the key it targeted and whose it is
(the dev identity provider's user name for a ``sub``), so "alice was refused bob's photo" reads
as such.

Exit codes: 0 on success (also when the output pipe closes early), 1 when there is no audit log
yet (and no ``--follow``), 2 for a usage error (argparse's, e.g. a ``--since`` that is no time).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from iam_policies.cli import fail_line
from webapp.audit import AuditEntry, read_entries
from webapp.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="the stack's data directory (default ./data)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new decisions")
    parser.add_argument("--principal", help="only this principal (part of its ARN, e.g. the session name)")
    parser.add_argument("--subject", help="only this web-identity subject (the token's sub)")
    parser.add_argument("--decision", choices=("Allow", "Deny"), type=str.capitalize,
                        help="only allowed or only refused requests")
    parser.add_argument("--action", help="only this action (GetItem or dynamodb:GetItem)")
    parser.add_argument("--table", help="only decisions about this table (and its indexes)")
    parser.add_argument("--since", type=_parse_since, help="only decisions at or after this ISO-8601 time")
    parser.add_argument("--tail", type=_count, metavar="N",
                        help="start with the last N matching decisions (with --follow, then keep following)")
    parser.add_argument("--limit", type=_count, metavar="N", help="stop after printing N decisions")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="a table (text, the default) or one JSON object a line (json)")


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir if args.data_dir is not None else Settings.from_env().data_dir
    path = Path(data_dir) / "audit.jsonl"
    if not path.exists() and not args.follow:
        fail_line(f"no audit log at {path} yet (the DynamoDB, STS and IAM endpoints write it); "
                  "pass --data-dir DIR of your stack, or --follow to wait for it")
        return 1
    selected: Iterable[AuditEntry] = (e for e in read_entries(path, follow=args.follow) if matches(e, args))
    if args.tail is not None:
        selected = _tail(path, args)
    if args.limit is not None:
        selected = itertools.islice(selected, args.limit)
    try:
        if args.format == "json":
            for entry in selected:
                sys.stdout.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
        else:
            format_text(selected, sys.stdout, _user_names(Path(data_dir)))
    except BrokenPipeError:
        return 0
    return 0


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"wants a number of decisions (0 or more), not {text!r}")
    return value


def _tail(path: Path, args: argparse.Namespace) -> Iterator[AuditEntry]:
    """The last ``--tail`` matching entries, then (with ``--follow``) every later one: the file is
    read once to its end, and the follow pass skips what that read already saw."""
    seen = 0
    last: collections.deque[AuditEntry] = collections.deque(maxlen=args.tail)
    for entry in read_entries(path):
        seen += 1
        if matches(entry, args):
            last.append(entry)
    yield from last
    if args.follow:
        for entry in itertools.islice(read_entries(path, follow=True), seen, None):
            if matches(entry, args):
                yield entry


def _user_names(data_dir: Path) -> dict[str, str]:
    """``{sub: name}`` of the dev identity provider's users, to say whose key a request targeted
    (empty when the provider is not the dev one)."""
    try:
        users = json.loads((data_dir / "idp" / "users.json").read_text())["users"]
        return {str(u["sub"]): str(u["name"]) for u in users}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# Filtering ---------------------------------------------------------------------------------------


def _parse_since(text: str) -> float:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since wants an ISO-8601 time such as 2026-01-31T12:00:00Z, not {text!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _entry_time(entry: AuditEntry) -> float:
    try:
        return _parse_since(entry.time)
    except argparse.ArgumentTypeError:
        return 0.0


def matches(entry: AuditEntry, args: argparse.Namespace) -> bool:
    """Whether ``entry`` passes every filter given on the command line."""
    if args.principal and args.principal not in (entry.principal or ""):
        return False
    if args.subject and args.subject != entry.subject:
        return False
    if args.decision and args.decision.lower() != entry.decision.value.lower():
        return False
    if args.action:
        wanted = args.action.lower()
        wanted = wanted if ":" in wanted else f"dynamodb:{wanted}"
        names = {a.action.lower() for a in entry.authorizations}
        if wanted not in names and wanted != f"{entry.service}:{entry.operation}".lower():
            return False
    if args.table and args.table not in {_table_of(a.resource) for a in entry.authorizations}:
        return False
    return not (args.since is not None and _entry_time(entry) < args.since)


def _table_of(resource: str) -> str:
    _, _, rest = resource.partition(":table/")
    return rest.split("/", 1)[0]


# Formatting -------------------------------------------------------------------------------------

_COLUMNS = ("TIME", "DECISION", "PRINCIPAL", "SUBJECT", "OPERATION", "RESOURCE", "WHY")
_WIDTHS = (24, 8, 28, 36, 28, 40, 0)


def format_text(entries: Iterable[AuditEntry], out: IO[str], names: Mapping[str, str] | None = None) -> int:
    out.write("  ".join(f"{c:<{w}}" for c, w in zip(_COLUMNS, _WIDTHS, strict=True)).rstrip() + "\n")
    rows = 0
    for entry in entries:
        rows += 1
        out.write(row(entry, names or {}) + "\n")
        out.flush()
    return rows


def row(entry: AuditEntry, names: Mapping[str, str] | None = None) -> str:
    """One line of the table; the WHY column is ``AuditEntry.why``, and for a denial the key it
    targeted (``targeted``)."""
    resources = sorted({_short_resource(a.resource) for a in entry.authorizations}) or ["-"]
    principal = entry.principal or entry.role_arn or "-"
    if ":assumed-role/" in principal:
        principal = principal.split(":assumed-role/", 1)[-1]
    cells = (entry.time or "-", entry.decision.value, principal, entry.subject or "-",
             entry.operation or "-", ",".join(resources), entry.why + targeted(entry, names or {}))
    return "  ".join(f"{_clip(c, w):<{w}}" if w else c for c, w in zip(cells, _WIDTHS, strict=True)).rstrip()


def targeted(entry: AuditEntry, names: Mapping[str, str]) -> str:
    """``; key bob-sub (bob's)`` for a denial: the partition keys of the refused authorizations,
    named after their user where the key is a known ``sub``, and marked when it is the caller's."""
    if entry.decision.value != "Deny":
        return ""
    refused = [a for a in entry.authorizations if a.decision.value == "Deny"] or list(entry.authorizations)
    keys = sorted({k for a in refused for k in (a.leading_keys or ())})
    if not keys:
        return ""
    shown = []
    for key in keys:
        if key == entry.subject:
            shown.append(f"{key} (the caller's own)")
        else:
            owner = next((name for sub, name in names.items() if sub and sub in key), None)
            shown.append(f"{key} ({owner}'s)" if owner else key)
    return "; key " + ", ".join(shown)


def _short_resource(resource: str) -> str:
    _, sep, rest = resource.partition(":table/")
    return f"table/{rest}" if sep else resource


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
