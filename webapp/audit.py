"""The authorization audit log: one JSON line per decision, and ``python -m webapp audit``.

Every request the DynamoDB gateway authorizes (and every one it refuses) leaves one line in
``<data>/audit.jsonl``: who (principal ARN, web-identity subject, source IP), what (the operation
and each authorization's action, resource, leading keys and attributes), and the decision with
its reason (deny type, matched statements). It answers "why was this denied?" without a
debugger, the way CloudTrail's ``errorCode``/``errorMessage`` do on AWS.

Writes are append-only, one buffered line write plus a flush per decision under a lock, so a
crash loses at most the line being written. The audit log is a diagnostic, not the durability
path (the backend's journal is).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any


class AuditLog:
    """Append-only JSON-lines file; ``record`` is safe to call from any thread.

    The line is encoded outside the lock, then written and flushed under it: one ``write``
    syscall per decision. (A writer thread was tried and measured slower: handing the GIL to it
    on every request cost more than the write itself.)
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None

    def record(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), default=str, ensure_ascii=False) + "\n"
        with self._lock:
            if self._handle is None:
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            self._handle.write(line)
            self._handle.flush()

    def flush(self, timeout: float = 5.0) -> bool:
        """Every recorded entry is already on its way to disk; kept for callers that wait."""
        return True

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def now_iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


# Reading and filtering ---------------------------------------------------------------------------


def read_entries(path: Path, *, follow: bool = False, poll: float = 0.5) -> Iterator[dict[str, Any]]:
    """Entries in order; with ``follow``, keep waiting for new ones (like ``tail -f``)."""
    while not path.exists():
        if not follow:
            return
        time.sleep(poll)
    with open(path, encoding="utf-8") as handle:
        pending = ""
        while True:
            chunk = handle.readline()
            if chunk:
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                line, pending = pending.strip(), ""
                if not line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if isinstance(entry, dict):
                    yield entry
            elif follow:
                time.sleep(poll)
            else:
                return


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


def _entry_time(entry: Mapping[str, Any]) -> float:
    try:
        return _parse_since(str(entry.get("time", "")))
    except argparse.ArgumentTypeError:
        return 0.0


def matches(entry: Mapping[str, Any], args: argparse.Namespace) -> bool:
    """Whether ``entry`` passes every filter given on the command line."""
    auths = entry.get("authorizations") or []
    if args.principal and args.principal not in str(entry.get("principal", "")):
        return False
    if args.subject and args.subject != entry.get("subject"):
        return False
    if args.decision and args.decision.lower() != str(entry.get("decision", "")).lower():
        return False
    if args.action:
        wanted = args.action.lower()
        wanted = wanted if ":" in wanted else f"dynamodb:{wanted}"
        names = {str(a.get("action", "")).lower() for a in auths}
        if wanted not in names and wanted != f"dynamodb:{str(entry.get('operation', '')).lower()}":
            return False
    if args.table:
        tables = {_table_of(str(a.get("resource", ""))) for a in auths}
        if args.table not in tables:
            return False
    return not (args.since is not None and _entry_time(entry) < args.since)


def _table_of(resource: str) -> str:
    _, _, rest = resource.partition(":table/")
    return rest.split("/", 1)[0]


# Formatting -------------------------------------------------------------------------------------


def format_text(entries: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    columns = ("TIME", "DECISION", "PRINCIPAL", "SUBJECT", "OPERATION", "RESOURCE", "WHY")
    rows_seen = 0
    out.write("  ".join(f"{c:<{w}}" for c, w in zip(columns, _WIDTHS, strict=True)).rstrip() + "\n")
    for entry in entries:
        rows_seen += 1
        out.write(_row(entry) + "\n")
        out.flush()
    return rows_seen


_WIDTHS = (24, 8, 28, 36, 28, 40, 0)


def _row(entry: Mapping[str, Any]) -> str:
    auths = entry.get("authorizations") or []
    resources = sorted({_short_resource(str(a.get("resource", ""))) for a in auths}) or ["-"]
    principal = str(entry.get("principal") or "-")
    principal = principal.split(":assumed-role/", 1)[-1] if ":assumed-role/" in principal else principal
    why = entry.get("deny_type") or ""
    matched = entry.get("matched") or []
    sids = [str(m.get("sid") or f"#{m.get('index')}") for m in matched if isinstance(m, Mapping)]
    if sids:
        why = (why + " " if why else "") + "by " + ",".join(sids)
    if entry.get("error"):
        why = (why + " " if why else "") + str(entry["error"])
    cells = (
        str(entry.get("time", "-")), str(entry.get("decision", "-")), principal,
        str(entry.get("subject") or "-"), str(entry.get("operation", "-")),
        ",".join(resources), why or "-",
    )
    return "  ".join(
        f"{_clip(c, w):<{w}}" if w else c for c, w in zip(cells, _WIDTHS, strict=True)
    ).rstrip()


def _short_resource(resource: str) -> str:
    _, sep, rest = resource.partition(":table/")
    return f"table/{rest}" if sep else resource


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# Command ----------------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="the stack's data directory (default ./data)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new decisions")
    parser.add_argument("--principal", help="only this principal (part of its ARN, e.g. the session name)")
    parser.add_argument("--subject", help="only this web-identity subject (the token's sub)")
    parser.add_argument("--decision", choices=("Allow", "Deny"), type=str.capitalize,
                        help="only allowed or only denied requests")
    parser.add_argument("--action", help="only this action (GetItem or dynamodb:GetItem)")
    parser.add_argument("--table", help="only decisions about this table (and its indexes)")
    parser.add_argument("--since", type=_parse_since, help="only decisions at or after this ISO-8601 time")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people (default) or json, one decision per line")


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir
    if data_dir is None:
        from webapp.settings import Settings

        data_dir = Settings.from_env().data_dir
    path = Path(data_dir) / "audit.jsonl"
    if not path.exists() and not args.follow:
        print(f"No audit log at {path} yet (the DynamoDB endpoint writes it).", file=sys.stderr)
        return 1
    selected = (e for e in read_entries(path, follow=args.follow) if matches(e, args))
    try:
        if args.format == "json":
            for entry in selected:
                sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        else:
            format_text(selected, sys.stdout)
    except BrokenPipeError:
        return 0
    return 0
