"""Rewrite every item of a table (a schema change) without overwriting what users write meanwhile.

Without a service layer there is no code path to migrate data lazily, so a schema change means
rewriting the items in place while the app keeps running. Each item read by the parallel scan is
given to a transform (``--set``/``--remove``, or a Python function); if the result differs, only
the difference is written, with ``UpdateItem`` (``SET`` the changed attributes, ``REMOVE`` the
dropped ones) under a condition that every attribute of the item still holds the value that was
read (DynamoDB Developer Guide, "Condition expressions": optimistic locking). A user's write
between the read and the update makes the condition fail (``ConditionalCheckFailedException``):
the item is read again (``ConsistentRead``) and transformed afresh, a few times, then skipped and
reported. A user's write is therefore never replaced by a transform of stale data; an item
deleted meanwhile stays deleted.

Resumable like the other jobs (the checkpoint records each segment's ``LastEvaluatedKey`` after a
page is done): the page in flight at a kill is transformed again on resume, so a transform must be
idempotent (applied to its own output, it changes nothing), which ``--set``/``--remove`` are.
"""

from __future__ import annotations

import json
import runpy
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from webapp.jobs.checkpoint import Checkpoint, JobError
from webapp.jobs.pacing import Backoff, UnitRate
from webapp.jobs.progress import Progress
from webapp.jobs.segments import ScanSettings, describe, pages, run_parallel
from webapp.jobs.wire import Item, key_of

#: A transform takes an item as Python values (numbers as Decimal, sets as set, binaries as
#: boto3 ``Binary``) and returns the item it should become, or None to leave it as it is.
Transform = Callable[[dict[str, Any]], "dict[str, Any] | None"]

#: fresh reads and transforms of an item that users keep changing, before it is skipped
ATTEMPTS = 5

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass
class BackfillResult:
    table: str
    scanned: int = 0
    changed: int = 0
    unchanged: int = 0
    retried: int = 0
    gone: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "scanned": self.scanned,
                "changed" if not self.dry_run else "would_change": self.changed,
                "unchanged": self.unchanged, "retried_after_concurrent_change": self.retried,
                "deleted_meanwhile": self.gone, "skipped": self.skipped,
                "seconds": round(self.seconds, 3), "dry_run": self.dry_run}


def set_and_remove(sets: Mapping[str, Any], removes: Sequence[str]) -> Transform:
    """The transform of ``--set NAME=JSON`` and ``--remove NAME``."""
    def transform(item: dict[str, Any]) -> dict[str, Any]:
        changed = {**item, **sets}
        for name in removes:
            changed.pop(name, None)
        return changed
    transform.touches = frozenset(sets) | frozenset(removes)  # type: ignore[attr-defined]
    return transform


def parse_set(text: str) -> tuple[str, Any]:
    """``NAME=JSON`` (``Plan="free"``, ``Score=0``, ``Tags=["a"]``) as a name and a Python value."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise JobError(f"--set {text!r}: write NAME=VALUE with VALUE in JSON, e.g. Plan='\"free\"'")
    try:
        return name, json.loads(value, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        raise JobError(f"--set {name}: {value!r} is not JSON (strings need quotes: "
                       f"{name}='\"{value}\"')") from None


def load_script(path: Path) -> Transform:
    """``transform(item)`` from a Python file."""
    try:
        namespace = runpy.run_path(str(path))
    except FileNotFoundError:
        raise JobError(f"no script at {path}") from None
    except OSError as exc:
        raise JobError(f"cannot read {path}: {exc.strerror}") from None
    except SyntaxError as exc:
        raise JobError(f"{path}:{exc.lineno}: {exc.msg}: the script is not Python") from None
    except Exception as exc:  # noqa: BLE001 - the script's own code failed while it was loaded
        raise JobError(f"{path} failed while loading: {type(exc).__name__}: {exc}") from None
    except SystemExit as exc:  # sys.exit() at the script's top level: no transform, not a success
        raise JobError(f"{path} called exit({exc.code!r}) while loading; a script defines transform(item) "
                       "and does its work there") from None
    transform = namespace.get("transform")
    if not callable(transform):
        raise JobError(f"{path} defines no function transform(item) -> dict | None")
    return transform  # type: ignore[no-any-return]


def backfill(client: Any, table: str, transform: Transform, *, state: Path, segments: int = 4,
             resume: bool = False, dry_run: bool = False, page_size: int | None = None,
             rate: float | None = None, progress: bool | None = None,
             backoff: Backoff | None = None) -> BackfillResult:
    started = time.monotonic()
    description = describe(client, table)
    key_names = tuple(k["AttributeName"] for k in description["KeySchema"])
    keys_touched = sorted(set(key_names) & set(getattr(transform, "touches", ())))
    if keys_touched:  # --set/--remove of a key: every item would fail, so say it before scanning
        raise JobError(f"--set/--remove names the key attribute {', '.join(keys_touched)} of {table}; "
                       "a backfill rewrites items in place and cannot change their keys")
    if resume:
        checkpoint = Checkpoint.load(state, job="backfill")
        if checkpoint.table != table:
            raise JobError(f"{state} is the checkpoint of a backfill of {checkpoint.table}, not {table}")
    elif state.exists() and not dry_run:
        raise JobError(f"an unfinished backfill of {table} left {state}: add --resume to finish it, "
                       "or remove the file to start over")
    else:
        checkpoint = Checkpoint.new(state, job="backfill", table=table, segments=segments,
                                    options={"page_size": page_size})
        if not dry_run:
            checkpoint.save()
    settings = ScanSettings(table, len(checkpoint.segments), checkpoint.options.get("page_size"),
                            consistent_read=True)
    result = BackfillResult(table, dry_run=dry_run)
    for segment_state in checkpoint.segments:
        _add_counts(result, segment_state.counts)
    backoff = backoff or Backoff()
    units = UnitRate(rate)
    stop = threading.Event()
    bars = Progress(settings.total_segments, total_items=description.get("ItemCount"),
                    label=f"backfill {table}", enabled=progress, done_items=result.scanned)
    lock = threading.Lock()
    rewrite = _Rewriter(client, table, key_names, transform, backoff, dry_run)

    def backfill_segment(segment: int) -> None:
        seg = checkpoint.segments[segment]
        if seg.done:
            return
        for page in pages(client, settings, segment, seg.last_key, backoff=backoff, rate=units, stop=stop):
            counts: dict[str, int] = {}
            skipped: list[dict[str, Any]] = []
            for item in page.items:
                outcome, detail = rewrite(item)
                counts[outcome] = counts.get(outcome, 0) + 1
                counts["scanned"] = counts.get("scanned", 0) + 1
                if detail:
                    skipped.append(detail)
            total = {k: seg.counts.get(k, 0) + counts.get(k, 0) for k in {*seg.counts, *counts}}
            with lock:
                _add_counts(result, counts)
                result.skipped += skipped
            if dry_run:
                seg.last_key, seg.counts = page.next_key, total
            else:
                checkpoint.update(segment, last_key=page.next_key, done=page.next_key is None,
                                  pages=seg.pages + 1, items=seg.items + len(page.items), counts=total)
            bars.advance(segment, len(page.items))

    try:
        run_parallel(range(settings.total_segments), backfill_segment, stop)
    finally:
        bars.close()
    if not dry_run:
        state.unlink()
    result.seconds = time.monotonic() - started
    return result


def _add_counts(result: BackfillResult, counts: Mapping[str, int]) -> None:
    result.scanned += counts.get("scanned", 0)
    result.changed += counts.get("changed", 0)
    result.unchanged += counts.get("unchanged", 0)
    result.retried += counts.get("retried", 0)
    result.gone += counts.get("gone", 0)


class _Rewriter:
    """One item through the transform and, if it changed, a conditional update of the difference."""

    def __init__(self, client: Any, table: str, key_names: tuple[str, ...], transform: Transform,
                 backoff: Backoff, dry_run: bool) -> None:
        self.client, self.table, self.key_names = client, table, key_names
        self.transform, self.backoff, self.dry_run = transform, backoff, dry_run

    def __call__(self, item: Item) -> tuple[str, dict[str, Any] | None]:
        """``(outcome, detail)``: outcome in changed, unchanged, gone, retried, skipped."""
        retried = False
        for _ in range(ATTEMPTS):
            new = self._transformed(item)
            if new is None:
                return "unchanged", None
            if self.dry_run:
                return "changed", None
            try:
                self.backoff.call(partial(self.client.update_item,
                                          **update_request(self.table, self.key_names, item, new)))
                return ("retried" if retried else "changed"), None
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
            retried = True
            fresh: dict[str, Any] = self.backoff.call(partial(
                self.client.get_item, TableName=self.table, Key=key_of(item, self.key_names),
                ConsistentRead=True))
            if "Item" not in fresh:
                return "gone", None
            item = fresh["Item"]
        key = {k: _deserializer.deserialize(v) for k, v in key_of(item, self.key_names).items()}
        return "skipped", {"key": json.loads(json.dumps(key, default=str)),
                           "reason": f"changed by someone else {ATTEMPTS} times during the backfill"}

    def _transformed(self, item: Item) -> Item | None:
        plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
        result = self.transform(dict(plain))
        if result is None:
            return None
        try:
            new = {name: _serializer.serialize(value) for name, value in result.items()}
        except TypeError as exc:
            raise JobError(f"the transform returned a value DynamoDB cannot store: {exc}") from None
        for name in self.key_names:
            if not same_value(new.get(name), item[name]):
                raise JobError(f"the transform changed key attribute {name} of an item; "
                               "a backfill rewrites items in place and cannot move them")
        return None if same_item(new, item) else new


def same_item(a: Item, b: Item) -> bool:
    return a.keys() == b.keys() and all(same_value(a[name], b[name]) for name in a)


def same_value(a: Any, b: Any) -> bool:
    """Equal as DynamoDB sees it: sets are unordered, numbers compare by value."""
    return a is not None and b is not None and _canonical(a) == _canonical(b)


def _canonical(value: Mapping[str, Any]) -> Any:
    (kind, inner), = value.items()
    if kind == "N":
        return kind, Decimal(inner)
    if kind == "NS":
        return kind, frozenset(Decimal(n) for n in inner)
    if kind in ("SS", "BS"):
        return kind, frozenset(bytes(b) if kind == "BS" else b for b in inner)
    if kind == "M":
        return kind, frozenset((k, _canonical(v)) for k, v in inner.items())
    if kind == "L":
        return kind, tuple(_canonical(v) for v in inner)
    if kind == "B":
        return kind, bytes(inner)
    return kind, inner


def update_request(table: str, key_names: tuple[str, ...], old: Item, new: Item) -> dict[str, Any]:
    """``UpdateItem`` turning ``old`` into ``new``, on the condition the item is still ``old``."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets, removes, conditions = [], [], []
    for index, (name, value) in enumerate(sorted(old.items())):
        names[f"#o{index}"] = name
        values[f":o{index}"] = value
        conditions.append(f"#o{index} = :o{index}")
    for index, name in enumerate(sorted(set(new) | set(old))):
        if name in key_names or same_value(new.get(name), old.get(name)):
            continue
        names[f"#n{index}"] = name
        if name in new:
            values[f":n{index}"] = new[name]
            sets.append(f"#n{index} = :n{index}")
        else:
            removes.append(f"#n{index}")
    update = " ".join(part for part in (
        "SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "",
    ) if part)
    return {"TableName": table, "Key": key_of(old, key_names), "UpdateExpression": update,
            "ConditionExpression": " AND ".join(conditions), "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}

