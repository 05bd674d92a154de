"""Lint findings are data: a stable code, a severity, a message and the JSON path it is about.

All findings are collected (a linter that stops at the first one hides the rest). Anchor:
parliament's ``Finding`` and its issue-code registry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    path: str = "$"
    #: Which file or template the finding is in (set by the caller that knows).
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def __str__(self) -> str:
        where = f"{self.source}:" if self.source else ""
        return f"{where}{self.path}: {self.severity.value} {self.code}: {self.message}"
