"""The state of a moto DynamoDB backend on disk, and back, without moto's API.

Compaction needs the whole state in a form that survives a restart: for each table what
``CreateTable`` needs (key schema, attribute definitions, billing mode and throughput,
secondary indexes, stream and SSE specifications, tags, deletion protection), its TTL
specification, its creation time, and every item in DynamoDB JSON. This module holds those
conversions (``table_spec``, ``create_table``, ``item_image``, ``apply_image``, the lazily decoded
``StoredItem``); where they are kept is ``snapshot_db.py``'s (``snapshot.db``, SQLite, format 3).
The file formats below are the previous versions', still read so that their data directories
start (and converted at their first compaction).

**Layout** (``snapshot.jsonl``, format 2, written by the previous version). One header line (JSON: format, the journal sequence
number the snapshot covers, the tables without their items, the idempotency tokens), then per
table a line ``#<name>`` followed by one line per item, ``<hash key>\\t<range key>\\t<item>``
(each DynamoDB JSON; the range key is ``null`` for a table without one), and a last line
``end <crc32> <item count>`` over everything before it, so a damaged file is refused rather
than half loaded. Table names cannot hold ``#``, a tab or a newline (``[a-zA-Z0-9_.-]+``), and
``json.dumps`` escapes both inside strings.

**Loading without replaying, and lazily** (issue 11: restart about as fast as an empty start).
Each item becomes a ``StoredItem`` holding its key (what moto's dictionaries are indexed by) and
where its attributes are (a row of ``snapshot.db``, or its line of a format-2 file), decoded into
``DynamoType``s the first time anything reads ``attrs``.
Measured with 20,000 items (the previous session), building every item through
``BatchWriteItem`` spent its time in moto's request parsing and ``LimitedSizeDict``, which
re-sizes the whole item for every attribute set; the direct path builds what moto's own
``put_item`` leaves (attributes as ``DynamoType``, binaries as bytes) with the cyclic garbage
collector paused, as the objects built are acyclic and long-lived.

**After-images.** The journal records what a write left (``item_image``: the item's attributes,
or ``None`` for a deleted item) and replay puts it back with ``apply_image``: dictionary work
proportional to what happened since the snapshot, never moto's API.

Format 1 (``snapshot.json``: one JSON document with the items inside each table) is still read,
so a data directory written by the previous version starts.

Not kept across a compaction (moto keeps them only in memory, and the app does not use them):
on-demand backups, exports/imports, resource policies, point-in-time-recovery settings, stream
records.
"""

from __future__ import annotations

import base64
import gc
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table

FORMAT = 2


class SnapshotDamaged(RuntimeError):
    """The snapshot does not check out: refuse to start rather than serve part of the data."""


class Engine(Protocol):
    models: DynamoDBBackend

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]: ...


_INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_new = object.__new__
#: ASCII only: a lone surrogate (valid in JSON text) cannot then make the file unwritable.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


# Items ------------------------------------------------------------------------------------------


class StoredItem(Item):
    """A moto ``Item`` whose attributes stay encoded until first read: in a row of
    ``snapshot.db`` (``_row``, read through the class's ``_store``, ``snapshot_db.py``), or in
    the line of a format-2 snapshot (``_raw``).

    ``__getattr__`` runs only when normal lookup fails, i.e. while ``attrs`` has not been
    decoded; afterwards the item is an ordinary ``Item`` (moto's ``__deepcopy__``,
    ``update_item`` and serialisers see a ``LimitedSizeDict`` of ``DynamoType``s)."""

    _store: Any = None

    def __getattr__(self, name: str) -> Any:
        if name != "attrs":
            raise AttributeError(name)
        state = self.__dict__
        raw = state.get("_raw")
        row = state.get("_row")
        if raw is not None:
            text: str | bytes = raw.split("\t", 2)[2]
        elif row is not None:
            text = type(self)._store.attributes(row)
        else:  # another thread decoded it meanwhile
            return state["attrs"]
        attrs = LimitedSizeDict()
        dict.update(attrs, {key: _dynamo(value) for key, value in json.loads(text).items()})
        attrs = state.setdefault("attrs", attrs)
        state.pop("_raw", None)
        state.pop("_row", None)
        return attrs


def item_image(item: Item | None) -> dict[str, Any] | None:
    """An item's attributes in DynamoDB JSON (binaries as base64), what the journal records."""
    if item is None:
        return None
    return {name: _wire_value(value) for name, value in item.attrs.items()}


def key_image(hash_key: DynamoType, range_key: DynamoType | None) -> list[Any]:
    return [_wire_value(hash_key), None if range_key is None else _wire_value(range_key)]


def apply_image(table: Table, key: list[Any], image: dict[str, Any] | None) -> None:
    """Make the item at ``key`` what ``image`` says (``None``: absent), as moto's ``put_item``
    and ``delete_item`` leave the table; idempotent, so replaying it again changes nothing."""
    hash_key = _dynamo(key[0])
    range_key = None if key[1] is None else _dynamo(key[1])
    forget = getattr(table, "forget_order", None)
    if forget is not None:  # moto_models' scan cache follows the set of item objects
        forget()
    if image is None:
        if range_key is None:
            table.items.pop(hash_key, None)
        else:
            partition = table.items.get(hash_key)
            if partition is not None:
                partition.pop(range_key, None)
        return
    item: Item = _new(StoredItem)
    item.hash_key, item.range_key = hash_key, range_key
    attrs = LimitedSizeDict()
    dict.update(attrs, {name: _dynamo(value) for name, value in image.items()})
    item.attrs = attrs
    if range_key is None:
        table.items[hash_key] = item  # type: ignore[assignment]  # moto's own layout
    else:
        table.items[hash_key][range_key] = item


def _item_line(item: Item, hash_json: str) -> str:
    line: str | None = item.__dict__.get("_raw")
    if line is not None:  # untouched since it was loaded
        return line + "\n"
    raw = _dumps({name: _wire_value(value) for name, value in item.attrs.items()})
    range_json = "null" if item.range_key is None else _dumps(_wire_value(item.range_key))
    return f"{hash_json}\t{range_json}\t{raw}\n"


def partition_lines(table: Table, hash_key: DynamoType) -> list[bytes]:
    """The snapshot lines of one partition as it is now (none if it is gone)."""
    found = table.items.get(hash_key)
    if found is None:
        return []
    hash_json = _dumps(_wire_value(hash_key))
    if table.range_key_attr is None:
        return [_item_line(found, hash_json).encode()]  # type: ignore[arg-type]  # moto's own layout
    return [_item_line(item, hash_json).encode() for item in found.values()]


# Tables -----------------------------------------------------------------------------------------


def table_spec(table: Table) -> dict[str, Any]:
    """What ``create_table`` needs to rebuild ``table`` (without its items)."""
    return {
        "name": table.name,
        "schema": table.schema,
        "attr": table.attr,
        "billing_mode": table.billing_mode,
        "throughput": table.throughput,
        "global_indexes": [_index(index.describe()) for index in table.global_indexes],
        "indexes": [_index(index.describe()) for index in table.indexes],
        "streams": table.stream_specification,
        "sse_specification": table.sse_specification,
        "tags": table.tags,
        "deletion_protection_enabled": table.deletion_protection_enabled,
        "warm_throughput": table.warm_throughput,
        "ttl": table.ttl,
        "created_at": table.created_at.isoformat(),
    }


def create_table(models: DynamoDBBackend, spec: dict[str, Any]) -> Table:
    table = models.create_table(
        spec["name"],
        schema=spec["schema"],
        throughput=spec["throughput"],
        attr=spec["attr"],
        global_indexes=spec["global_indexes"],
        indexes=spec["indexes"],
        streams=spec["streams"],
        billing_mode=spec["billing_mode"],
        sse_specification=spec["sse_specification"],
        tags=spec["tags"],
        deletion_protection_enabled=spec["deletion_protection_enabled"],
        warm_throughput=spec["warm_throughput"],
    )
    table.ttl = dict(spec["ttl"])
    table.created_at = datetime.fromisoformat(spec["created_at"])
    return table


# Writing ----------------------------------------------------------------------------------------


@dataclass
class Writer:
    """Builds a snapshot file piece by piece: ``header``, then per table ``table`` and its
    ``lines``, then ``trailer``. Each method returns the bytes to append; the checksum follows."""

    crc: int = 0
    count: int = 0
    _pending: list[bytes] = field(default_factory=list)

    def _out(self, data: bytes) -> bytes:
        self.crc = zlib.crc32(data, self.crc)
        return data

    def header(self, seq: int, tables: list[dict[str, Any]], tokens: list[dict[str, Any]]) -> bytes:
        return self._out(_dumps({"format": FORMAT, "seq": seq, "tables": tables, "tokens": tokens}).encode() + b"\n")

    def table(self, name: str) -> bytes:
        return self._out(b"#" + name.encode() + b"\n")

    def lines(self, lines: list[bytes]) -> bytes:
        self.count += len(lines)
        return self._out(b"".join(lines))

    def trailer(self) -> bytes:
        return b"end %08x %d\n" % (self.crc, self.count)


def dump(models: DynamoDBBackend, seq: int, tokens: list[dict[str, Any]]) -> Iterator[bytes]:
    """The whole state at once (the caller holds every lock): for a clean stop and small states."""
    writer = Writer()
    tables = list(models.tables.values())
    yield writer.header(seq, [table_spec(t) for t in tables], tokens)
    for table in tables:
        yield writer.table(table.name)
        for hash_key in list(table.items):
            yield writer.lines(partition_lines(table, hash_key))
    yield writer.trailer()


# Reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    seq: int
    tokens: list[dict[str, Any]]
    items: int


def _checked(data: bytes, origin: str) -> tuple[dict[str, Any], list[str], int]:
    """A format-2 snapshot's header, its lines (the header first) and its item count, once its
    trailer and checksum check out."""
    end = data.rfind(b"end ", 0, len(data))
    trailer = data[end:].split()
    if end < 0 or len(trailer) != 3 or not data.endswith(b"\n"):
        raise SnapshotDamaged(f"{origin}: no trailer (the file is cut short)")
    body = memoryview(data)[:end]
    try:
        crc, count = int(trailer[1], 16), int(trailer[2])
    except ValueError:
        raise SnapshotDamaged(f"{origin}: unreadable trailer") from None
    if zlib.crc32(body) != crc:
        raise SnapshotDamaged(f"{origin}: checksum mismatch (the file is damaged)")
    lines = str(body, "utf-8").split("\n")
    header = json.loads(lines[0])
    if header.get("format") != FORMAT:
        raise SnapshotDamaged(f"{origin} has format {header.get('format')!r}; this version reads {FORMAT} and 1")
    return header, lines, count


def load(models: DynamoDBBackend, data: bytes, origin: str = "snapshot") -> Loaded:
    """Rebuild the tables of a format-2 snapshot into ``models`` (items decoded lazily)."""
    header, lines, count = _checked(data, origin)
    tables = {spec["name"]: create_table(models, spec) for spec in header["tables"]}
    loaded = 0
    collecting = gc.isenabled()
    gc.disable()
    try:  # the loop of a restart: kept to plain local operations (see the module doc)
        store: Any = None
        partition: Any = None
        has_range = False
        last_hash, hash_key = "", None
        new, item_class = _new, StoredItem
        for line in lines[1:]:
            if not line:
                continue
            if line[0] == "#":
                table = tables[line[1:]]
                store, has_range, last_hash = table.items, table.range_key_attr is not None, ""
                continue
            first = line.index("\t")
            second = line.index("\t", first + 1)
            hash_json = line[:first]
            if hash_json != last_hash:  # lines come partition by partition: one key object each
                hash_key, last_hash = _key(hash_json), hash_json
                if has_range:
                    partition = store[hash_key]
            item = new(item_class)
            state = item.__dict__
            state["hash_key"] = hash_key
            state["_raw"] = line
            if has_range:
                range_key = state["range_key"] = _key(line[first + 1 : second])
                partition[range_key] = item
            else:
                state["range_key"] = None
                store[hash_key] = item
            loaded += 1
    finally:
        if collecting:
            gc.enable()
    if loaded != count:
        raise SnapshotDamaged(f"{origin}: {loaded} items where the trailer says {count}")
    return Loaded(int(header["seq"]), list(header.get("tokens", [])), loaded)


def load_legacy(models: DynamoDBBackend, document: dict[str, Any]) -> Loaded:
    """A format-1 ``snapshot.json`` (one JSON document, items inside each table)."""
    if document.get("format", 1) != 1:
        raise SnapshotDamaged(f"snapshot.json has format {document.get('format')!r}; this version reads 2 and 1")
    count = 0
    for spec in document.get("tables", []):
        table = create_table(models, spec)
        items = spec.get("items", [])
        load_items(table, items)
        count += len(items)
    return Loaded(int(document.get("seq", 0)), list(document.get("tokens", [])), count)


def load_items(table: Any, items: Iterable[dict[str, Any]]) -> None:
    """Put items (DynamoDB JSON) into a moto ``Table`` as its ``put_item`` would, without its checks."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        for attributes in items:
            key = [attributes[table.hash_key_attr],
                   attributes[table.range_key_attr] if table.range_key_attr else None]
            apply_image(table, key, attributes)
    finally:
        if collecting:
            gc.enable()


def export_items(table: Any) -> list[dict[str, Any]]:
    """Every item of a moto ``Table`` in DynamoDB JSON (binaries as base64), in key order: what
    ``_wire(item.to_json()["Attributes"])`` gives, without ``to_json``'s deep copies."""
    return [{name: _wire_value(value) for name, value in item.attrs.items()} for item in table.all_items()]


# DynamoDB JSON <-> moto ------------------------------------------------------------------------


def _wire_value(typed: DynamoType) -> dict[str, Any]:
    kind, value = typed.type, typed.value
    if kind == "M":
        return {"M": {name: _wire_value(v) for name, v in value.items()}}
    if kind == "L":
        return {"L": [_wire_value(v) if isinstance(v, DynamoType) else v for v in value]}
    if kind in ("B", "BS"):
        return {kind: _wire(value)}
    return {kind: value}


class StoredKey(DynamoType):
    """A key attribute loaded from a snapshot: moto's ``DynamoType``, equal to and hashed as
    the one a request builds (``hash((type, cast_value))``), without ``cast_value``'s walk
    through every type on each dictionary insert and lookup (a sixth of a restart's CPU for
    100,000 items). Keys are only ever S, N or B (DynamoDB DG, "Primary key")."""

    def __hash__(self) -> int:
        kind = self.type
        return hash((kind, Decimal(self.value) if kind == "N" else self.value))


def _key(text: str) -> DynamoType:
    """A key attribute from its JSON: ``{"S":"..."}`` and ``{"N":"..."}`` without escapes (nearly
    every key) are cut out of the text, anything else goes through ``json``."""
    typed = _new(StoredKey)
    if text[:2] != '{"' or text[3:6] != '":"' or text[-2:] != '"}' or text[2] not in _PLAIN or "\\" in text:
        parsed = _dynamo(_decode(text))
        typed.type, typed.value = parsed.type, parsed.value
        return typed
    typed.type = text[2]
    typed.value = text[6:-2]
    return typed


_PLAIN = frozenset("SN")
_decode = json.JSONDecoder().decode


def _dynamo(value: dict[str, Any]) -> DynamoType:
    """What ``DynamoType(value)`` builds (``type``, ``value``; maps and lists of DynamoTypes),
    without its per-call list copies, and with binaries decoded from base64 as moto's request
    parser hands them to ``put_item``."""
    for kind, inner in value.items():
        typed = _new(DynamoType)
        typed.type = kind
        if kind == "M":
            typed.value = {name: _dynamo(v) for name, v in inner.items()}
        elif kind == "L":
            typed.value = [_dynamo(v) for v in inner]
        elif kind == "B":
            typed.value = base64.b64decode(inner)
        elif kind == "BS":
            typed.value = [base64.b64decode(v) for v in inner]
        else:
            typed.value = inner
        return typed
    raise ValueError("an attribute value without a type in the snapshot")


def _index(description: dict[str, Any]) -> dict[str, Any]:
    return {name: description[name] for name in _INDEX_FIELDS if name in description}


def _wire(value: Any) -> Any:
    """moto keeps binaries as bytes; on the wire (and in the snapshot) they are base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value
