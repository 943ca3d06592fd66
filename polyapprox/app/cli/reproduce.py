"""``polyapprox reproduce [--out DIR] [--quick] [--only SECTION ...]``."""

from __future__ import annotations

import argparse
import math
import sys

from ...internal import PolyapproxError
from ._common import add_progress, applies_only, inputs


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..report.sections import section_names

    p = subparsers.add_parser(
        "reproduce",
        help="run every theorem reproduction and write a report",
        description="Run the reproduction cases of the theory pages (docs/theory/) and write report.md, PNG figures and "
        "results.json into DIR. Exit code 1 if any claim fails.",
    )
    p.add_argument("--out", default="report", help="output directory (default: ./report)")
    p.add_argument("--quick", action="store_true", help="small parameters: finishes in about a minute")
    p.add_argument(
        "--full-training",
        action="store_true",
        help="run the training experiments at their full settings (about 30 min on 2 cores; "
        "by default the report runs their quick settings)",
    )
    p.add_argument("--only", nargs="+", metavar="SECTION", help=f"sections to run: {', '.join(section_names())}")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes for sweeps (default 1)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local-dask",
        help="run sweeps on a Dask cluster (needs the 'distributed' extra)",
    )
    p.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a named tolerance of a claim (e.g. C.factor=2); repeatable",
    )
    applies_only(
        p,
        "--full-training",
        lambda a: not a.only or "training" in a.only,
        "when the training section runs (--only training)",
    )
    add_progress(p)
    p.add_argument("--json", action="store_true", help="print the inputs and every claim's result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..report import run_report

    sections = run_report(
        args.out,
        quick=args.quick,
        only=args.only,
        full_training=args.full_training,
        progress=not args.no_progress,
        jobs=args.jobs,
        scheduler=args.scheduler,
        overrides=_overrides(args.tolerance),
    )
    claims = [c for s in sections for c in s.claims]
    failed = [c for c in claims if not c.passed]
    if args.json:
        from ._output import print_json

        print_json(
            {
                "inputs": inputs(args),
                "claims": [
                    {
                        "id": c.id,
                        "statement": c.statement,
                        "passed": c.passed,
                        "measured": c.measured,
                        "expected": c.expected,
                    }
                    for c in claims
                ],
                "passed": len(claims) - len(failed),
                "total": len(claims),
            }
        )
        return 1 if failed else 0
    print(
        f"wrote {args.out}/report.md, results.json and {sum(len(s.figures) for s in sections)} figure(s); "
        f"claims passed: {len(claims) - len(failed)}/{len(claims)}"
    )
    for c in failed:
        print(f"FAILED {c.id}: {c.statement} (measured {c.measured}, expected {c.expected})", file=sys.stderr)
    return 1 if failed else 0


def _overrides(items: list[str]) -> dict[str, float]:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name or math.isnan(number):
            raise PolyapproxError(f"--tolerance takes NAME=VALUE with a number, e.g. C.factor=2; got {item!r}")
        if not (math.isfinite(number) and number >= 0):
            raise PolyapproxError(f"--tolerance {name} must be a finite number >= 0; got {value}")
        known = known_tolerances()
        if known and name not in known:
            raise PolyapproxError(f"unknown tolerance {name!r}; known: {', '.join(sorted(known))}")
        overrides[name] = number
    return overrides


def known_tolerances() -> set[str]:
    """Names of the report's tolerances: the string literals passed to ``ctx.tol(...)`` in its source
    (read as syntax trees, never run)."""
    import ast
    from pathlib import Path

    names: set[str] = set()
    for path in sorted((Path(__file__).resolve().parent.parent / "report").rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):  # pragma: no cover - a broken install
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "tol"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names
