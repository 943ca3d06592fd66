"""What a report section produces: text, figures, numbers and checked claims."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Claim:
    """One checkable statement of MATH.md and whether this run confirmed it.

    ``id`` is the reproduction case of MATH.md section 11 where there is one
    (e.g. "L1"), ``measured``/``expected`` are JSON-able values.
    """

    id: str
    statement: str
    passed: bool
    measured: Any = None
    expected: Any = None

    def to_dict(self) -> dict:
        return {"id": self.id, "statement": self.statement, "passed": bool(self.passed),
                "measured": self.measured, "expected": self.expected}


@dataclass
class Section:
    """The output of one report section."""

    name: str
    title: str
    markdown: str = ""
    figures: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    seconds: float = math.nan


@dataclass
class ReportContext:
    """Passed to every section: where to write, how thorough to be, test hooks.

    ``overrides`` replaces named tolerances (see :meth:`tol`), so tests can inject an
    impossible tolerance and check that the claim fails.
    """

    out: Path
    quick: bool = False
    seed: int = 0
    overrides: dict[str, float] = field(default_factory=dict)
    jobs: int = 1
    scheduler: str | None = None

    def tol(self, name: str, default: float) -> float:
        """The tolerance called ``name`` (default unless overridden)."""
        return float(self.overrides.get(name, default))

    def savefig(self, fig, filename: str) -> str:
        """Save a matplotlib Figure as PNG into the report folder; returns the file name."""
        if not filename.endswith(".png"):
            filename += ".png"
        fig.savefig(self.out / filename, dpi=110, bbox_inches="tight")
        return filename
