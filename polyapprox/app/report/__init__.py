"""``polyapprox reproduce``: run every theorem reproduction and write a report.

The report folder receives ``report.md``, one PNG per figure and ``results.json``
with every number and the claim it checks (pass/fail).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable
from pathlib import Path

from ...internal import PolyapproxError, check_choice, prepare_directory
from ._files import write_atomic
from ._model import Claim, ReportContext, Section, SectionSpec
from .executor import make_executor
from .sections import section_names, section_specs

__all__ = [
    "Claim",
    "ReportContext",
    "Section",
    "SectionSpec",
    "prepare_output_dir",
    "run_report",
    "section_names",
    "section_specs",
]


def prepare_output_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` (and parents) or fail clearly if it is empty, a symbolic link, a file or not writable."""
    return Path(prepare_directory(out))


def _select(only: Iterable[str] | None) -> list[str]:
    names = section_names()
    if not only:
        return names
    return [check_choice("section", name, names) for name in only]


def _check_overrides(overrides: dict[str, float], names: list[str]) -> dict[str, float]:
    """Refuse unknown tolerance names (a typo must not make a claim pass) and non-finite or negative values."""
    specs = section_specs()
    known = {t for name in names for t in specs[name].tolerances}
    for key, value in overrides.items():
        if key not in known:
            raise PolyapproxError(
                f"unknown tolerance {key!r} for the sections run ({', '.join(names)}); "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise PolyapproxError(f"tolerance {key} must be a finite number >= 0; got {value!r}")
    return dict(overrides)


def run_report(
    out: str | os.PathLike = "report",
    *,
    quick: bool = False,
    only: Iterable[str] | None = None,
    overrides: dict[str, float] | None = None,
    progress: bool = True,
    jobs: int = 1,
    scheduler: str | None = None,
    full_training: bool = False,
) -> list[Section]:
    """Run the selected sections (all by default) and write the report into ``out``.

    Sweeps run on ``make_executor(jobs, scheduler)``: this process (jobs=1), ``jobs``
    local processes, or Dask (``scheduler="local-dask"`` or an address). ``overrides``
    replaces named tolerances (a test hook: an impossible tolerance makes its claim fail).
    Returns the sections; ``all(c.passed for s in sections for c in s.claims)`` says
    whether every claim held.
    """
    names = _select(only)
    overrides = _check_overrides(dict(overrides or {}), names)
    out = prepare_output_dir(out)
    sections = []
    from tqdm import tqdm

    with make_executor(jobs, scheduler) as executor:
        ctx = ReportContext(out=out, quick=quick, overrides=overrides, executor=executor, full_training=full_training)
        bar = tqdm(names, desc="reproduce", unit="section", disable=not progress)
        for name in bar:
            bar.set_postfix_str(name)
            start = time.perf_counter()
            section = section_specs()[name].run(ctx)
            section.seconds = time.perf_counter() - start
            sections.append(section)
    _write(ctx, sections)
    return sections


def _write(ctx: ReportContext, sections: list[Section]) -> None:
    claims = [(s, c) for s in sections for c in s.claims]
    passed = sum(c.passed for _, c in claims)
    lines = [
        "# polyapprox reproduction report",
        "",
        f"Mode: {'quick' if ctx.quick else 'full'}. Claims: {passed}/{len(claims)} passed. "
        "Outputs of constructions marked *reconstruction* on the theory pages (docs/theory/) are labelled so.",
        "",
        "Each claim names the documentation page (docs/...) that states the theorem it checks.",
        "",
        "| section | claim | statement | measured | expected | result | theory |",
        "|---|---|---|---|---|---|---|",
    ]
    for s, c in claims:
        lines.append(
            f"| {s.name} | {c.id} | {c.statement} | {_short(c.measured)} | {_short(c.expected)} | "
            f"{'pass' if c.passed else '**FAIL**'} | docs/{s.theory}.md |"
        )
    for s in sections:
        lines += ["", f"## {s.title}", "", f"Theory: docs/{s.theory}.md", "", s.markdown.strip(), ""]
        lines += [f"![{f}]({f})" for f in s.figures]
        lines += ["", f"*Section `{s.name}` took {s.seconds:.1f} s.*"]
    write_atomic(ctx.out / "report.md", ("\n".join(lines) + "\n").encode("utf-8"))
    results = {
        "mode": "quick" if ctx.quick else "full",
        "executor": ctx.executor.name,
        "all_passed": passed == len(claims),
        "claims": [{"section": s.name, "theory": s.theory, **c.to_dict()} for s, c in claims],
        "sections": {
            s.name: {"title": s.title, "seconds": s.seconds, "figures": s.figures, "numbers": s.numbers}
            for s in sections
        },
    }
    write_atomic(ctx.out / "results.json", (json.dumps(results, indent=2, default=str) + "\n").encode("utf-8"))


def _short(value: object, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."
