"""Capacity and hot-key watch: consumed units and throttles per table, index and partition key.

The seed talk: "throttling behavior is opaque, so you need to actively watch for problems" and
"evenly distribute workload across hash keys". On AWS the figures are CloudWatch's
``ConsumedReadCapacityUnits`` / ``ConsumedWriteCapacityUnits`` / ``ReadThrottleEvents`` /
``WriteThrottleEvents`` per table and global secondary index (Developer Guide, "DynamoDB Metrics
and dimensions"), and the hot keys are CloudWatch Contributor Insights' "most accessed" and "most
throttled" partition keys (Developer Guide, "Using CloudWatch Contributor Insights for
DynamoDB"), a paid feature. Locally they come from what the backend already computes: the
charges ``metering.py`` makes for ``ConsumedCapacity`` and the refusals of ``throttling.py``.

Bounded memory, cheap on the hot path (one lock, a few dict operations per charge):

* per (table, index) a ring of ``WINDOW_SECONDS`` one-second buckets (read units, write units,
  throttle events); a slot is reused when its second comes round again;
* per table the ``HOT_KEYS`` heaviest partition keys, by the *Space-Saving* algorithm (Metwally,
  Agrawal, El Abbadi, "Efficient Computation of Frequent and Top-k Elements in Data Streams",
  ICDT 2005): a new key that finds the table full replaces the lightest one and inherits its
  count as an over-estimate (``error``), so every key whose true weight exceeds total/capacity
  is kept, and a key's true weight lies in [units - error, units].

Keys are shown as an HMAC-SHA-256 prefix under a key drawn at start-up, so the same partition key
has the same label for the life of the stack but cannot be recovered by hashing guesses; the
clear value is returned only when the (admin) caller asks for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 300
HOT_KEYS = 64
#: Characters of the hex HMAC shown for a hashed key (48 bits: collisions need ~16M keys).
LABEL_CHARS = 12


@dataclass(frozen=True, slots=True)
class Usage:
    """What one charge or refusal adds: units consumed, or throttle events."""

    read: float = 0.0
    write: float = 0.0
    throttles: int = 0


class Series:
    """One-second buckets of a (table, index) over the last ``window`` seconds."""

    __slots__ = ("window", "seconds", "read", "write", "throttles", "total")

    def __init__(self, window: int) -> None:
        self.window = window
        self.seconds = [-1] * window
        self.read = [0.0] * window
        self.write = [0.0] * window
        self.throttles = [0] * window
        #: Since start-up: read, write, throttle events.
        self.total = [0.0, 0.0, 0.0]

    def add(self, second: int, usage: Usage) -> None:
        slot = second % self.window
        if self.seconds[slot] != second:
            self.seconds[slot] = second
            self.read[slot] = self.write[slot] = 0.0
            self.throttles[slot] = 0
        self.read[slot] += usage.read
        self.write[slot] += usage.write
        self.throttles[slot] += usage.throttles
        self.total[0] += usage.read
        self.total[1] += usage.write
        self.total[2] += usage.throttles

    def last(self, now: int, seconds: int) -> dict[str, list[float]]:
        """The ``seconds`` buckets up to ``now`` (oldest first), zero where nothing happened."""
        out: dict[str, list[float]] = {"read": [], "write": [], "throttles": []}
        for second in range(now - seconds + 1, now + 1):
            slot = second % self.window
            fresh = self.seconds[slot] == second
            out["read"].append(self.read[slot] if fresh else 0.0)
            out["write"].append(self.write[slot] if fresh else 0.0)
            out["throttles"].append(float(self.throttles[slot]) if fresh else 0.0)
        return out


class HotKeys:
    """Space-Saving top-k of partition keys by weight (units plus throttle events)."""

    __slots__ = ("capacity", "entries")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        #: key -> [weight, error, read, write, throttles]
        self.entries: dict[str, list[float]] = {}

    def add(self, key: str, usage: Usage) -> None:
        weight = usage.read + usage.write + usage.throttles
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= self.capacity:
                lightest = min(self.entries, key=lambda k: self.entries[k][0])
                floor = self.entries.pop(lightest)[0]
                entry = [floor, floor, 0.0, 0.0, 0.0]
            else:
                entry = [0.0, 0.0, 0.0, 0.0, 0.0]
            self.entries[key] = entry
        entry[0] += weight
        entry[2] += usage.read
        entry[3] += usage.write
        entry[4] += usage.throttles

    def top(self, n: int) -> list[tuple[str, list[float]]]:
        return sorted(self.entries.items(), key=lambda kv: -kv[1][0])[:n]


class Watch:
    """The figures of one running stack; every method is safe to call from any thread.

    Hot keys are kept per table and per index (an index's partitions are its own)."""

    def __init__(self, *, window: int = WINDOW_SECONDS, hot_keys: int = HOT_KEYS,
                 secret: bytes | None = None) -> None:
        self.window = window
        self.hot_keys = hot_keys
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str | None], Series] = {}
        self._keys: dict[tuple[str, str | None], HotKeys] = {}

    def record(self, now: float, table: str, index: str | None, key: str | None, usage: Usage) -> None:
        """Add ``usage`` to the table (or index) at second ``now``, and to ``key``, the partition
        key's canonical DynamoDB JSON (``partition_key``), when the call has a single one."""
        second = math.floor(now)
        with self._lock:
            series = self._series.get((table, index))
            if series is None:
                series = self._series[(table, index)] = Series(self.window)
            series.add(second, usage)
            if key is not None:
                hot = self._keys.get((table, index))
                if hot is None:
                    hot = self._keys[(table, index)] = HotKeys(self.hot_keys)
                hot.add(key, usage)

    def label(self, table: str, key: str) -> str:
        """The hashed form of a partition key (stable for this stack's life)."""
        mac = hmac.new(self._secret, f"{table}\0{key}".encode(), hashlib.sha256)
        return mac.hexdigest()[:LABEL_CHARS]

    def snapshot(self, now: float, *, seconds: int = 60, top: int = 10, show_keys: bool = False) -> dict[str, Any]:
        """A JSON-ready view: per (table, index) the last ``seconds`` buckets and totals, per
        table its ``top`` heaviest partition keys (hashed unless ``show_keys``)."""
        second = math.floor(now)
        seconds = max(1, min(seconds, self.window))
        with self._lock:
            series = [(name, index, s.last(second, seconds), list(s.total))
                      for (name, index), s in self._series.items()]
            keys = {where: [(k, list(e)) for k, e in hot.top(top)] for where, hot in self._keys.items()}
        tables = []
        for name, index, last, total in sorted(series, key=lambda s: (s[0], s[1] or "")):
            tables.append({
                "table": name, "index": index,
                "read_units": sum(last["read"]), "write_units": sum(last["write"]),
                "throttles": int(sum(last["throttles"])),
                "per_second": last,
                "total": {"read_units": total[0], "write_units": total[1], "throttles": int(total[2])},
            })
        hot: list[dict[str, Any]] = []
        for (name, index), entries in sorted(keys.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            rows = []
            for key, (weight, error, read, write, throttles) in entries:
                row: dict[str, Any] = {"key": self.label(name, key), "units": weight, "error": error,
                                       "read_units": read, "write_units": write, "throttles": int(throttles)}
                if show_keys:
                    row["clear"] = clear_key(key)
                rows.append(row)
            hot.append({"table": name, "index": index, "keys": rows})
        return {"time": now, "seconds": seconds, "window": self.window, "keys_shown": show_keys,
                "tables": tables, "hot_keys": hot}


def partition_key(value: Mapping[str, Any] | None) -> str | None:
    """The canonical text of a partition key's attribute value (``{"S": "alice"}``)."""
    if not value:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def clear_key(key: str) -> str:
    """A person's reading of a canonical key: the value itself, ``type:value`` for non-strings."""
    try:
        value = json.loads(key)
        (kind, inner), = value.items()
    except (ValueError, AttributeError):
        return key
    if kind == "S":
        return str(inner)
    if kind == "N":
        return f"N:{inner}"
    if kind == "B" and isinstance(inner, bytes):
        return "B:" + base64.b64encode(inner).decode()
    return f"{kind}:{inner}"
