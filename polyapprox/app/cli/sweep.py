"""``polyapprox sweep engine|fit ... --out FILE.jsonl``: a grid, sharded over the sweep executor.

Every grid point is one item with its own seed. Results are appended to FILE as JSON lines as
soon as each item finishes (in any order), so an interrupted sweep keeps what finished; a
re-run reads FILE, skips the items already there and runs the rest (items that failed are
retried). When every item is done the file is rewritten in grid order, so an interrupted and
resumed sweep ends with the same file as an uninterrupted one. Timings are left out unless
``--timings`` (they differ from run to run).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ...internal import PolyapproxError, check_int
from ._common import add_json, add_progress, inputs

#: The exact engine's degree limit (the polynomial parser's), checked before a random target is built.
ENGINE_MAX_DEGREE = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run the exact engine or least-squares fits over a grid, streaming JSON lines; resumable",
        description="Run a grid of (n, d, degree, seed) items through local processes or a Dask cluster. "
        "Results are appended to --out as they finish; a re-run resumes.",
    )
    p.add_argument(
        "kind",
        choices=("engine", "fit"),
        help="engine: exact Psi of a seeded random equivariant polynomial; fit: least-squares fit of a named target",
    )
    p.add_argument("--n", type=int, nargs="+", required=True, help="numbers of tokens of the grid")
    p.add_argument("--d", type=int, nargs="+", required=True, help="token dimensions of the grid")
    p.add_argument("--degree", type=int, nargs="+", required=True, help="degrees of the grid")
    p.add_argument("--seed", type=int, nargs="+", default=[0], help="seeds of the grid (default 0)")
    p.add_argument("--target", nargs="+", default=["gaussian-kernel-sum"], help="fit: target names")
    p.add_argument("--samples", type=int, default=None, help="fit: training sequences (default as in build)")
    p.add_argument("--refined", action="store_true", help="power sums up to n - 1")
    p.add_argument("--out", required=True, help="results file (JSON lines), appended to and resumed from")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local-dask", help="run on a Dask cluster")
    p.add_argument("--timings", action="store_true", help="record each item's seconds (not reproducible)")
    p.add_argument("--max-items", type=int, default=None, help="stop after this many new results")
    add_progress(p)
    add_json(p)
    p.set_defaults(run=run)


def grid(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The items, in grid order (kind, target, n, d, degree, seed)."""
    names = args.target if args.kind == "fit" else [None]
    items = []
    for name, n, d, degree, seed in itertools.product(names, args.n, args.d, args.degree, args.seed):
        item = {
            "kind": args.kind,
            "n": check_int("n", n),
            "d": check_int("d", d),
            "degree": check_int("degree", degree, 0),
            "seed": check_int("seed", seed, 0),
            "refined": bool(args.refined),
        }
        if name is not None:
            item.update(target=name, samples=args.samples)
        items.append(item)
    return items


def item_key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True)


def run_item(item: dict[str, Any], timings: bool = False) -> dict[str, Any]:
    """One grid point; never raises (a failure is recorded and retried by the next run)."""
    start = time.perf_counter()
    try:
        result = _engine(item) if item["kind"] == "engine" else _fit(item)
    except Exception as exc:  # recorded, not fatal: the sweep loses only this item
        result = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
    record = {"key": item_key(item), "item": item, **result}
    if timings:
        record["seconds"] = round(time.perf_counter() - start, 4)
    return record


def _timed_item(args: tuple[dict[str, Any], bool]) -> dict[str, Any]:
    return run_item(*args)


def _engine(item: dict[str, Any]) -> dict[str, Any]:
    import random

    import sympy

    from ... import represent_equivariant, sequence_symbols, symmetrize
    from ...internal import SizeError

    n, d, degree = item["n"], item["d"], item["degree"]
    if degree > ENGINE_MAX_DEGREE:  # checked before the random target's degree-many products are built
        raise SizeError(f"degree {degree:,} is more than the limit of {ENGINE_MAX_DEGREE:,} for the exact engine")
    rng = random.Random(item["seed"])
    X = list(sequence_symbols(n, d))  # pyright: ignore[reportArgumentType]  # sympy Matrix is iterable; its annotations lack __iter__
    g = sympy.Integer(0)
    for _ in range(6):
        term = sympy.Integer(rng.randint(-5, 5))
        for _ in range(rng.randint(1, max(degree, 1))):
            term *= X[rng.randrange(len(X))]
        g += term
    rep = represent_equivariant(symmetrize(g, n, d), n, d, item["refined"], degree=degree)
    assert rep.stats is not None  # represent_equivariant always attaches its solve statistics
    coefficients = [
        sorted((repr(k), f"{v.numerator}/{v.denominator}") for k, v in c.items()) for c in rep.coefficients()
    ]
    return {
        "candidates": rep.stats.candidates,
        "rank": rep.stats.rank,
        "latent_dim": rep.latent_dim,
        "terms": sum(len(c) for c in coefficients),
        "verified": bool(rep.stats.verified),
        "psi_sha256": hashlib.sha256(repr(coefficients).encode()).hexdigest(),
    }


def _fit(item: dict[str, Any]) -> dict[str, Any]:
    from constructions import continuous, targets

    _, report = continuous.approximate(
        targets.get(item["target"]),
        item["n"],
        item["d"],
        item["degree"],
        samples=item["samples"],
        seed=item["seed"],
        refined=item["refined"],
    )
    return {
        "coefficients": report.coefficients,
        "rank": report.rank,
        "test_sup_error": float(f"{report.test_sup_error:.10g}"),
        "fit_sup_error": float(f"{report.fit_sup_error:.10g}"),
    }


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Records already in ``path`` by key (a torn last line, from a crash, is dropped)."""
    if not path.exists():
        return {}
    records = {}
    lines = path.read_text().splitlines(keepends=True)
    keep = []
    for line in lines:
        try:
            record = json.loads(line)
            records[record["key"]] = record
            keep.append(line if line.endswith("\n") else line + "\n")
        except (json.JSONDecodeError, KeyError, TypeError):
            continue  # a torn or foreign line: its item is simply run again
    if keep != lines:
        path.write_text("".join(keep))
    return records


def run(args: argparse.Namespace) -> int:
    from ..report.executor import make_executor

    items = grid(args)
    out = Path(args.out)
    if out.parent and not out.parent.exists():
        raise PolyapproxError(f"--out: directory {out.parent} does not exist")
    done = {k: r for k, r in read_results(out).items() if "error" not in r}
    todo = [item for item in items if item_key(item) not in done]
    limit = None if args.max_items is None else check_int("max-items", args.max_items)
    total, finished = len(items), len(items) - len(todo)
    if not args.no_progress:
        print(f"sweep {args.kind}: {total} items, {finished} already in {out}, {len(todo)} to run", file=sys.stderr)
    new = 0
    if todo:
        with make_executor(args.jobs, args.scheduler) as ex, out.open("a") as fh:
            for _, record in ex.as_completed(_timed_item, [(item, args.timings) for item in todo]):
                fh.write(json.dumps(record, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                new += 1
                if "error" not in record:
                    done[record["key"]] = record
                if not args.no_progress:
                    status = record.get("error", "ok")
                    print(f"[{finished + new}/{total}] {record['key']}: {status}", file=sys.stderr)
                if limit is not None and new >= limit:
                    break
    complete = all(item_key(item) in done for item in items)
    if complete:  # every item has a result: the file in grid order (same bytes however the run was split)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text("".join(json.dumps(done[item_key(item)], sort_keys=True) + "\n" for item in items))
        os.replace(tmp, out)
    failed = len(items) - len(done)
    if args.json:
        from ._output import print_json

        results = [done[item_key(item)] for item in items if item_key(item) in done]
        print_json(
            {
                "inputs": inputs(args),
                "items": total,
                "done": len(done),
                "new": new,
                "complete": complete,
                "results": results,
            }
        )
        return 0 if complete else 1
    print(
        f"{len(done)}/{total} items in {out}"
        + (f"; {failed} failed or not run yet (re-run to resume)" if failed else "")
    )
    return 0 if complete else 1
