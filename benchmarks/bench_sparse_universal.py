"""Build and evaluation cost of the sparse universal network (issue 15) against (n, d, 1/delta).

For each case: build time (median and spread of ``--repeat`` builds), peak Python memory of one
build (tracemalloc), layers, parameters, largest code (bits), and the forward pass in float64
(256 random inputs) against the same forward in exact rationals (16 inputs), as a ratio measured
in the same run (median of repetitions). Cases grow until a build takes more than ``--limit``
seconds; the largest case under the limit is reported. Patterns: STAR (p = 1, s = 2 for n >= 4)
and dense (p = s = 1). Run: python benchmarks/bench_sparse_universal.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import one_blas_thread, peak_memory_mb

from constructions import sparse, targets

P = sparse.patterns

CASES = [  # (pattern, n, d, q) in growing value-mapping size n q^(n d)
    ("star", 3, 1, 2),
    ("dense", 2, 2, 2),
    ("star", 3, 1, 3),
    ("star", 4, 1, 2),
    ("star", 3, 2, 2),
    ("star", 3, 1, 4),
    ("star", 4, 1, 3),
    ("dense", 2, 2, 4),
    ("star", 4, 2, 2),
    ("star", 3, 2, 3),
    ("star", 5, 2, 2),
    ("star", 3, 3, 2),
    ("dense", 2, 3, 3),
    ("star", 3, 2, 4),
    ("star", 4, 3, 2),
    ("star", 4, 2, 3),
]
QUICK = CASES[:6]


def timings(fn, repeat: int) -> tuple[float, float, object]:
    """(median, max - min) seconds over ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times) - min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=60.0, help="stop after a build slower than this (s)")
    args = parser.parse_args()
    f = targets.get("centered")
    rng = np.random.default_rng(0)
    print(
        "| pattern | n | d | 1/delta | value layers | layers | parameters | code bits | build s (median, spread) "
        "| peak MB | float64 256 inputs s | exact 16 inputs s | exact/float per input |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    largest = None
    for name, n, d, q in QUICK if args.quick else CASES:
        masks = P.dense(n) if name == "dense" else P.star(n)
        value_layers = n * q ** (n * d)

        def build():
            return sparse.universal_network(f, n, d, f"1/{q}", masks, max_value_layers=10**6)

        first = time.perf_counter()
        net = build()
        first = time.perf_counter() - first
        repeat = args.repeat if first < 5 else 1
        b_med, b_spread, net = timings(build, repeat) if repeat > 1 else (first, 0.0, net)
        memory = peak_memory_mb(build) if first < 20 else float("nan")
        X = rng.uniform(size=(256, n, d))
        arithmetic = net.arithmetic
        f_med, _, _ = timings(lambda: net(X, "float64"), 3)
        e_reps = 3 if first < 5 else 1
        e_med, _, _ = timings(lambda: net.exact(X[:16]), e_reps)
        ratio = (e_med / 16) / (f_med / 256)
        bits = math.log2(float(net.max_code))
        note = "" if arithmetic == "float64" else f" (float64 unsafe: auto uses {arithmetic})"
        print(
            f"| {name} | {n} | {d} | {q} | {value_layers} | {len(net.layers)} | {net.parameter_count():,} | "
            f"{bits:.1f} | {b_med:.3f} ({b_spread:.3f}) | {memory:.1f} | {f_med:.4f}{note} | {e_med:.3f} | "
            f"{ratio:.0f}x |",
            flush=True,
        )
        if b_med <= args.limit:
            largest = (name, n, d, q, value_layers, b_med)
        else:
            break
    if largest:
        name, n, d, q, value_layers, seconds = largest
        print(
            f"\nlargest case built in under {args.limit:g} s: {name} n={n} d={d} delta=1/{q} "
            f"({value_layers} value-mapping layers) in {seconds:.1f} s"
        )


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
