"""One timed run of represent_equivariant in a fresh process (used by bench_representation.py).

Standalone on purpose: it imports whichever ``polyapprox`` is first on the path, so the same
script times the current tree and an older commit checked out in a temporary worktree.
Reads a target written by the parent (JSON: n, d, degree, rows of term lists), builds the
sympy input Matrix (not timed), runs the engine ``--repeat`` times and prints one JSON line:
wall and CPU times, the time split when the engine reports one, peak RSS and a digest of the canonical Psi.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from fractions import Fraction

import sympy
from _common import peak_rss_mb  # benchmarks/ is on sys.path: this file runs as a script


def _class_key(cls: type) -> tuple[int, str]:
    from sympy.core.basic import ordering_of_classes

    try:
        return ordering_of_classes.index(cls.__name__), ""
    except ValueError:
        return len(ordering_of_classes) + 1, cls.__name__


def _key(expr: sympy.Basic) -> tuple:
    content = expr._hashable_content()
    return (
        _class_key(type(expr)),
        len(content),
        tuple(_key(item) if isinstance(item, sympy.Basic) else item for item in content),
    )


def build(terms: list, gens: list) -> sympy.Expr:
    """sum c * prod gens**e in sympy's canonical form, without pairwise sorting (input only)."""
    powers: dict = {}
    keyed, constant = [], None
    mul = _class_key(sympy.Mul)
    for monom, (p, q) in terms:
        coeff = sympy.Rational(p, q)
        factors = []
        for k, e in enumerate(monom):
            if e:
                if (k, e) not in powers:
                    f = gens[k] if e == 1 else sympy.Pow(gens[k], e)
                    powers[k, e] = (_key(f), f)
                factors.append(powers[k, e])
        if not factors:
            constant = coeff
            continue
        factors.sort(key=lambda kf: kf[0])
        if coeff == 1 and len(factors) == 1:
            keyed.append(factors[0])
            continue
        args, keys = [f for _, f in factors], [k for k, _ in factors]
        if coeff != 1:
            args.insert(0, coeff)
            keys.insert(0, _key(coeff))
        keyed.append(((mul, len(args), tuple(keys)), sympy.Mul._from_args(args, True)))
    keyed.sort(key=lambda kf: kf[0])
    pieces = ([constant] if constant is not None else []) + [f for _, f in keyed]
    if not pieces:
        return sympy.Integer(0)
    return pieces[0] if len(pieces) == 1 else sympy.Add._from_args(pieces, True)


def main() -> None:
    path, repeat = sys.argv[1], int(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0  # seconds allowed to the engine (0: none)
    with open(path) as fh:
        data = json.load(fh)
    n, d, degree = data["n"], data["d"], data["degree"]
    gens = [sympy.Symbol(f"x{i}_{k}") for i in range(1, n + 1) for k in range(1, d + 1)]
    F = sympy.Matrix([[build(entry, gens) for entry in row] for row in data["rows"]])
    import polyapprox

    rss_before = peak_rss_mb()
    print(json.dumps({"ready": True, "polyapprox": polyapprox.__file__}), flush=True)

    def out_of_time(signum, frame):  # the engine did not finish within the limit
        print(json.dumps({"timeout": limit, "rss_peak_mb": peak_rss_mb()}), flush=True)
        os._exit(3)

    signal.signal(signal.SIGALRM, out_of_time)
    times, cpu_times, splits, rep = [], [], [], None
    for _ in range(repeat):
        del rep
        signal.alarm(limit)
        start, cpu = time.perf_counter(), time.process_time()
        rep = polyapprox.represent_equivariant(F, n, d, degree=degree)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        signal.alarm(0)
        stats = rep.stats
        splits.append(
            {
                name: getattr(stats, name)
                for name in (
                    "convert_seconds",
                    "check_seconds",
                    "candidates_seconds",
                    "solve_seconds",
                    "verify_seconds",
                )
                if hasattr(stats, name)
            }
        )
    split = splits[sorted(range(repeat), key=times.__getitem__)[repeat // 2]]  # the median run's split
    coefficients = repr(
        [
            sorted((k, (Fraction(v).numerator, Fraction(v).denominator)) for k, v in c.items())
            for c in rep.coefficients()
        ]
    )
    print(
        json.dumps(
            {
                "times": times,
                "cpu_times": cpu_times,
                "split": split,
                "candidates": stats.candidates,
                "rank": stats.rank,
                "verified": getattr(stats, "verified", None),
                "rss_before_mb": rss_before,
                "rss_peak_mb": peak_rss_mb(),
                "psi_digest": hashlib.sha256(coefficients.encode()).hexdigest()[:16],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
