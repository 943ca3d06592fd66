"""``polyapprox sweep engine|fit ... --out FILE.jsonl``: a grid, sharded over the sweep executor.

Every grid point is one item with its own seed. Results are appended to FILE as JSON lines as
soon as each item finishes (in any order), so an interrupted sweep keeps what finished; a
re-run reads FILE, skips the items already there and runs the rest (items that failed are
retried). At the end the file is rewritten in grid order with one record per item (its result, or
its latest failure: a re-run never duplicates a record), so an interrupted and resumed sweep ends
with the same file as an uninterrupted one. Targets are checked before any item runs. Timings are left out unless
``--timings`` (they differ from run to run).

FILE is a cache keyed by item: each record holds the item, its key and a digest of the item and
the package version, and a record is reused only when all three match (a record from another
version, or one whose item was edited, is recomputed). Records are otherwise trusted: a file
edited to hold other numbers under a matching digest is not detected. Several sweeps may share
one FILE: records of items outside this sweep's grid are kept, after this grid's records. A file
that is not a sweep results file (any line other than a record, except a torn last line) is
refused, never overwritten; so are symbolic links, FIFOs and other non-regular files.
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

from ...internal import PolyapproxError, check_int, check_writable, open_append, write_file
from ._common import TARGET_HELP, add_executor, add_json, add_progress, applies_only, inputs, resolve_target

#: The exact engine's degree limit (the polynomial parser's), checked before a random target is built.
ENGINE_MAX_DEGREE = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run the exact engine or least-squares fits over a grid, streaming JSON lines; resumable",
        description="Run a grid of (n, d, degree, seed) items through local processes or a Dask cluster. "
        "Results are appended to --out as they finish; a re-run resumes. --out is a cache keyed by item: a record "
        "is reused only when its digest matches its item and this version; other sweeps' records are kept; a file "
        "that is not a sweep results file, a symbolic link or a FIFO is refused.",
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
    p.add_argument(
        "--target",
        nargs="+",
        default=None,
        metavar="TARGET",
        help="fit: targets (default gaussian-kernel-sum), each " + TARGET_HELP,
    )
    p.add_argument("--samples", type=int, default=None, help="fit: training sequences (default as in build)")
    for option in ("--target", "--samples"):
        applies_only(p, option, lambda a: a.kind == "fit", "to 'sweep fit'")
    p.add_argument("--refined", action="store_true", help="power sums up to n - 1")
    p.add_argument("--out", required=True, help="results file (JSON lines), appended to and resumed from")
    add_executor(p, "items")
    p.add_argument("--timings", action="store_true", help="record each item's seconds (not reproducible)")
    p.add_argument("--max-items", type=int, default=None, help="stop after this many new results")
    add_progress(p)
    add_json(p)
    p.set_defaults(run=run)


def check_sizes(args: argparse.Namespace) -> None:
    """Refuse, before anything else, an (n, d) of the grid past the limit of values per sequence.

    One limit for both kinds: the engine's token variables x{i}_{k} and a fit's values per sequence
    (checked before any array of that size, or any symbol, exists).
    """
    from ...internal import MAX_TOKEN_VARIABLES, SizeError

    for n, d in itertools.product(args.n, args.d):
        if check_int("n", n) * check_int("d", d) > MAX_TOKEN_VARIABLES:
            raise SizeError(
                f"n * d = {n:,} * {d:,} values per sequence, more than the limit of {MAX_TOKEN_VARIABLES:,}"
            )


def check_targets(args: argparse.Namespace) -> None:
    """Refuse, before any item runs, targets that do not resolve or evaluate.

    Every --target is resolved (a typo in a registered name, a bad expression, a module:function that
    cannot be imported) and evaluated on one seeded sequence of every (n, d) of the grid, so a bad target
    is one line and exit code 2 instead of one failed record per item.
    """
    import numpy as np

    if args.kind != "fit":  # --target and --samples with engine are refused by applies_only (register)
        return
    args.target = args.target or ["gaussian-kernel-sum"]
    for spec in args.target:
        target = resolve_target(spec)
        for n, d in itertools.product(args.n, args.d):
            X = np.random.default_rng(0).uniform(size=(1, n, d))
            try:
                values = np.asarray(target(X), dtype=float)
            except Exception as exc:  # the user's expression or code, evaluated once here instead of in every item
                raise PolyapproxError(
                    f"--target {spec!r} cannot be evaluated at n = {n}, d = {d}: {str(exc).splitlines()[0][:200]}"
                ) from None
            if values.ndim != 3 or values.shape[:2] != (1, n) or not np.isfinite(values).all():
                raise PolyapproxError(
                    f"--target {spec!r} at n = {n}, d = {d} must give finite values of shape (1, {n}, d_out); "
                    f"got shape {values.shape}"
                )


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
    if args.kind == "engine":  # degrees the engine always refuses: refused before any item runs (sizes: check_sizes)
        from ...internal import SizeError

        for item in items:
            if item["degree"] > ENGINE_MAX_DEGREE:
                raise SizeError(
                    f"degree {item['degree']:,} is more than the limit of {ENGINE_MAX_DEGREE:,} for the exact engine"
                )
    return items


def item_key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True)


def item_digest(item: dict[str, Any]) -> str:
    """SHA-256 of the item's key and the package version: a record is reused only when it matches."""
    from ... import __version__

    return hashlib.sha256(f"{item_key(item)}\n{__version__}".encode()).hexdigest()


#: Largest results file read back (a sweep of the largest grid writes far less).
MAX_RESULTS_BYTES = 2**30


def run_item(item: dict[str, Any], timings: bool = False) -> dict[str, Any]:
    """One grid point; never raises (a failure is recorded and retried by the next run)."""
    start = time.perf_counter()
    try:
        result = _engine(item) if item["kind"] == "engine" else _fit(item)
    except Exception as exc:  # recorded, not fatal: the sweep loses only this item
        result = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
    record = {"key": item_key(item), "digest": item_digest(item), "item": item, **result}
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
    from constructions import continuous

    _, report = continuous.approximate(
        resolve_target(item["target"]),
        item["n"],
        item["d"],
        item["degree"],
        samples=item["samples"],
        seed=item["seed"],
        config=continuous.FitConfig(refined=item["refined"]),
    )
    return {
        "coefficients": report.coefficients,
        "rank": report.rank,
        "test_sup_error": float(f"{report.test_sup_error:.10g}"),
        "fit_sup_error": float(f"{report.fit_sup_error:.10g}"),
    }


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Records already in ``path`` by key, in file order (a torn last line, from a crash, is dropped).

    Refuses (one line) a file that is not a sweep results file, so that it is never overwritten.
    """
    from ...internal import read_file, write_file

    data = read_file(path, MAX_RESULTS_BYTES, "--out file")
    if not data:
        return {}
    try:
        lines = data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        raise PolyapproxError(
            f"--out file {str(path)!r} exists and is not a sweep results file (not UTF-8 text); refusing to overwrite it"
        ) from None
    records: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines, 1):
        record = _record(line)
        if record is None:
            if number == len(lines) and not line.endswith("\n") and line.startswith('{"'):
                continue  # a record torn by a crash: its item simply runs again
            raise PolyapproxError(
                f"--out file {str(path)!r} exists and is not a sweep results file (line {number} is not a sweep "
                "record); refusing to overwrite it"
            )
        records[record["key"]] = record
    if not lines[-1].endswith("\n"):
        write_file(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in records.values()), "--out file")
    return records


def _record(line: str) -> dict[str, Any] | None:
    """A sweep record (a JSON object whose key is its item's key), or None."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("item"), dict):
        return None
    return record if record.get("key") == item_key(record["item"]) else None


def reusable(record: dict[str, Any]) -> bool:
    """A finished record whose digest matches its item and this version (else its item runs again)."""
    return "error" not in record and record.get("digest") == item_digest(record["item"])


def _rewrite(out: Path, items: list[dict[str, Any]], records: dict[str, dict[str, Any]], others: list) -> None:
    """One record per item, its result or else its latest failure (a re-run never adds a second line for an
    item), in grid order, so an interrupted and resumed sweep ends with the same bytes; other sweeps' records stay."""
    ordered = [records[item_key(item)] for item in items if item_key(item) in records] + others
    if ordered:
        write_file(out, "".join(json.dumps(r, sort_keys=True) + "\n" for r in ordered), "--out file")


def run(args: argparse.Namespace) -> int:
    from ..report.executor import make_executor

    check_sizes(args)
    check_targets(args)
    items = grid(args)
    out = Path(args.out)
    if out.parent and not out.parent.exists():
        raise PolyapproxError(f"--out: directory {out.parent} does not exist")
    check_writable(out, "--out file")
    previous = read_results(out)
    keys = {item_key(item) for item in items}
    others = [r for k, r in previous.items() if k not in keys]  # another sweep's records: kept
    done = {k: r for k, r in previous.items() if k in keys and reusable(r)}
    failed_before = {k: r for k, r in previous.items() if k in keys and k not in done and "error" in r}
    todo = [item for item in items if item_key(item) not in done]
    limit = None if args.max_items is None else check_int("max-items", args.max_items)
    total, finished = len(items), len(items) - len(todo)
    if not args.no_progress:
        print(f"sweep {args.kind}: {total} items, {finished} already in {out}, {len(todo)} to run", file=sys.stderr)
    new = 0
    if todo:
        with make_executor(args.jobs, args.scheduler) as ex, open_append(out, "--out file") as fh:
            for _, record in ex.as_completed(_timed_item, [(item, args.timings) for item in todo]):
                fh.write(json.dumps(record, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                new += 1
                if "error" not in record:
                    done[record["key"]] = record
                    failed_before.pop(record["key"], None)
                else:
                    failed_before[record["key"]] = record
                if not args.no_progress:
                    status = record.get("error", "ok")
                    print(f"[{finished + new}/{total}] {record['key']}: {status}", file=sys.stderr)
                if limit is not None and new >= limit:
                    break
    complete = all(item_key(item) in done for item in items)
    _rewrite(out, items, {**failed_before, **done}, others)
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
