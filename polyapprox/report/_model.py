"""What a report section produces: text, figures, numbers and checked claims."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .executor import SweepExecutor


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
    impossible tolerance and check that the claim fails. Sweeps go through :meth:`map`,
    which runs on the executor chosen by ``reproduce --jobs/--scheduler``.
    """

    out: Path
    quick: bool = False
    seed: int = 0
    overrides: dict[str, float] = field(default_factory=dict)
    executor: SweepExecutor = field(default_factory=SweepExecutor)

    def map(self, fn, items) -> list:
        """Run a sweep: ``[fn(item) for item in items]`` on the report's executor, in order.

        ``fn`` must be a module-level function and items picklable (they may run in other
        processes); each item should carry its own seed so results do not depend on the executor.
        """
        return self.executor.map(fn, items)

    def tol(self, name: str, default: float) -> float:
        """The tolerance called ``name`` (default unless overridden)."""
        return float(self.overrides.get(name, default))

    def savefig(self, fig, filename: str) -> str:
        """Save a matplotlib Figure as PNG into the report folder; returns the file name."""
        if not filename.endswith(".png"):
            filename += ".png"
        fig.savefig(self.out / filename, dpi=110, bbox_inches="tight")
        return filename
