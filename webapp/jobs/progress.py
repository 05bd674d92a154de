"""Progress bars on a terminal (tqdm): one per segment and one overall; silent otherwise.

Each bar shows items, a rate and, where the table's item count is known (``DescribeTable``'s
``ItemCount``, which DynamoDB refreshes about every six hours, so an estimate), an ETA; the
overall bar also shows megabytes written. Nothing is drawn when standard error is not a
terminal, so logs and pipes get only the final summary.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]


class Progress:
    def __init__(self, segments: int, *, total_items: int | None, label: str,
                 enabled: bool | None = None, done_items: int = 0) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._bytes = 0
        options: dict[str, Any] = {"disable": not self.enabled, "file": sys.stderr, "unit": " items",
                                   "dynamic_ncols": True, "leave": False}
        self._overall = tqdm(total=total_items or None, initial=done_items, desc=label,
                             position=0, **{**options, "leave": True})
        per_segment = (total_items // segments) if total_items else None
        self._segments = [tqdm(total=per_segment, desc=f"  segment {n}", position=n + 1, **options)
                          for n in range(segments)] if segments > 1 else []

    def advance(self, segment: int, items: int, nbytes: int = 0) -> None:
        with self._lock:
            self._bytes += nbytes
            if self._segments:
                self._segments[segment].update(items)
            self._overall.update(items)
            if nbytes:
                self._overall.set_postfix_str(f"{self._bytes / 1e6:.1f} MB", refresh=False)

    def close(self) -> None:
        for bar in [*self._segments, self._overall]:
            bar.close()
