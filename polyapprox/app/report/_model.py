"""Report sections: declared once (name, title, claims), run into text, figures, numbers and checked claims.

A section module defines ``SECTION = SectionSpec(name, title, order=...)`` and registers small
functions on it: one ``@SECTION.data`` function that computes what the section needs (sweeps
run through ``ctx.map``), one ``@SECTION.claim(id, statement)`` function per checked statement
(returning an :class:`Outcome`), and one ``@SECTION.render`` function that writes the Markdown
and the figures. Adding a section means adding one module; :mod:`polyapprox.app.report.sections`
finds it.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import write_atomic
from ._plots import PNG_KEY, describe
from .executor import SweepExecutor

#: how to install an optional package a section needs, from a clone (torch: the CPU build first,
#: since an unpinned torch resolves a CUDA build of several GB)
INSTALL = {"torch": '`pip install torch==2.13.0`, then `pip install -e ".[torch]"`'}


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the theory (docs/theory/) and whether this run confirmed it.

    ``id`` is the reproduction case of theory/index where there is one
    (e.g. "L1"), ``measured``/``expected`` are JSON-able values.
    """

    id: str
    statement: str
    passed: bool
    measured: Any = None
    expected: Any = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "statement": self.statement,
            "passed": bool(self.passed),
            "measured": self.measured,
            "expected": self.expected,
        }


@dataclass(frozen=True)
class Outcome:
    """What a claim function returns: whether the statement held, and the numbers behind it."""

    passed: bool
    measured: Any = None
    expected: Any = None


def equals(measured: Any, expected: Any) -> Outcome:
    """The outcome of an exact comparison."""
    return Outcome(measured == expected, measured, expected)


def within_bounds(rows: list[dict], spec: str) -> Outcome:
    """Every row's ``measured`` is at most its ``bound``; both listed, formatted with ``spec`` (".3f")."""
    return Outcome(
        all(r["measured"] <= r["bound"] for r in rows),
        [format(r["measured"], spec) for r in rows],
        [format(r["bound"], spec) for r in rows],
    )


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
    theory: str = ""  # the documentation page of the theorem, e.g. "theory/continuous"


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
    defaults: dict[str, float] = field(default_factory=dict)  # the running section's declared tolerances
    full_training: bool = False  # run the training experiments at their full settings (reproduce --full-training)

    def map(self, fn, items) -> list:
        """Run a sweep: ``[fn(item) for item in items]`` on the report's executor, in order.

        ``fn`` must be a module-level function and items picklable (they may run in other
        processes); each item should carry its own seed so results do not depend on the executor.
        """
        return self.executor.map(fn, items)

    def tol(self, name: str) -> float:
        """The tolerance called ``name``: the running section's declared default unless overridden."""
        if name not in self.defaults:
            raise KeyError(f"tolerance {name!r} is not declared by the running section")
        return float(self.overrides.get(name, self.defaults[name]))

    def savetext(self, text: str, filename: str) -> str:
        """Write a text file (a certificate, a table) into the report folder; returns the file name."""
        write_atomic(self.out / filename, text.encode("utf-8"))
        return filename

    def savefig(self, fig, filename: str) -> str:
        """Save a matplotlib Figure as PNG into the report folder; returns the file name."""
        if not filename.endswith(".png"):
            filename += ".png"
        buffer = io.BytesIO()
        # the PNG carries what it shows as data (labels, legend, plotted numbers): see _plots.describe
        metadata = {PNG_KEY: json.dumps(describe(fig), separators=(",", ":"))}
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata=metadata)
        write_atomic(self.out / filename, buffer.getvalue())
        return filename


DataFn = Callable[[ReportContext], dict]
ClaimFn = Callable[[ReportContext, dict], Outcome]
RenderFn = Callable[[ReportContext, dict], tuple[str, list[str]]]


@dataclass(frozen=True)
class ClaimSpec:
    """A checked statement of a section: the case id, the statement, and the function that checks it."""

    id: str
    statement: str
    check: ClaimFn


class SectionSpec:
    """One report section, declared once: ``name`` (used by ``--only``), ``title`` and its claims.

    ``order`` places it in the report; ``tolerances`` declares the tolerances its claims read
    with ``ctx.tol(name)`` (only declared names may be overridden). Register the parts with the decorators
    :meth:`data`, :meth:`claim` and :meth:`render`; :meth:`run` executes them.
    """

    def __init__(
        self,
        name: str,
        title: str,
        *,
        order: int,
        tolerances: dict[str, float] | None = None,
        theory: str | None = None,
        requires: str | None = None,
        unavailable: Callable[[], str | None] | None = None,
    ) -> None:
        self.name, self.title, self.order = name, title, order
        #: an optional package the section needs (e.g. "torch"); without it the section is skipped, saying why
        self.requires = requires
        #: ``unavailable() -> reason or None``: checked after ``requires``; a reason skips the section, saying it
        self.unavailable = unavailable
        #: the documentation page that states the theorem this section checks (docs/<theory>.md)
        self.theory = theory or f"theory/{name}"
        self.tolerances = dict(tolerances or {})  # name -> default; ``reproduce --tolerance`` may override
        self.claims: list[ClaimSpec] = []
        self._data: DataFn | None = None
        self._render: RenderFn | None = None

    def data(self, fn: DataFn) -> DataFn:
        """Register the function that computes the section's data (keys starting with _ stay out of the JSON)."""
        self._data = fn
        return fn

    def claim(self, id: str, statement: str) -> Callable[[ClaimFn], ClaimFn]:
        """Register a claim function ``(ctx, data) -> Outcome`` for reproduction case ``id``."""

        def register(fn: ClaimFn) -> ClaimFn:
            self.claims.append(ClaimSpec(id, statement, fn))
            return fn

        return register

    def render(self, fn: RenderFn) -> RenderFn:
        """Register the function ``(ctx, data) -> (markdown, figure file names)``."""
        self._render = fn
        return fn

    def run(self, ctx: ReportContext) -> Section:
        """Compute the data, check every claim, render text and figures."""
        if self._data is None or self._render is None:
            raise TypeError(f"section {self.name!r} needs a @data and a @render function")
        if self.requires is not None and importlib.util.find_spec(self.requires) is None:
            install = INSTALL.get(self.requires, f'pip install -e ".[{self.requires}]"')
            note = (
                f"**Skipped**: this section needs the optional package `{self.requires}` "
                f"(in a clone of polyapprox: {install}). Its claims were not checked."
            )
            return Section(
                self.name, self.title, note, [], {"skipped": f"needs {self.requires}"}, [], theory=self.theory
            )
        reason = None if self.unavailable is None else self.unavailable()
        if reason is not None:
            note = f"**Skipped**: {reason}. Its claims were not checked."
            return Section(self.name, self.title, note, [], {"skipped": reason}, [], theory=self.theory)
        ctx.defaults = self.tolerances
        data = self._data(ctx)
        claims = [Claim(c.id, c.statement, *_fields(c.check(ctx, data))) for c in self.claims]
        markdown, figures = self._render(ctx, data)
        numbers = _jsonable({k: v for k, v in data.items() if not k.startswith("_")})
        return Section(self.name, self.title, markdown, list(figures), numbers, claims, theory=self.theory)


def _fields(outcome: Outcome) -> tuple[bool, Any, Any]:
    return bool(outcome.passed), _jsonable(outcome.measured), _jsonable(outcome.expected)


def _jsonable(value: Any) -> Any:
    """Tuple keys become strings and tuples lists, so results.json holds what the claim compared."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, tuple) else k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
