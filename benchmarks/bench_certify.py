"""Certified sup error: time to certify vs degree and n, and boxes/second of the vectorised bounder
against a per-box arb loop (python-flint) evaluating the same Taylor bound, in the same run.

Gaussian kernel sum fits as in the report (continuous.approximate(..., seed=0)). Prints the
median and spread over repetitions. Run: python benchmarks/bench_certify.py [--quick]
"""

from __future__ import annotations

import sys
import time

import flint
import numpy as np

from constructions import continuous, targets
from constructions._verify.certify import _BoxBounder, _row_polynomials
from constructions.verify import certified_sup_error


def certify_table(cases: list[tuple[int, int, int, float]]) -> None:
    f = targets.get("gaussian-kernel-sum")
    print("n d degree | lower      upper      ratio  reached boxes   seconds")
    for n, d, degree, tol in cases:
        model, _ = continuous.approximate(f, n, d, degree, samples=4000, test_samples=4000, seed=0)
        r = certified_sup_error(model, f, tol=tol, max_boxes=10**6, time_limit=300)
        print(
            f"{n} {d} {degree:6d} | {r.lower:.3e}  {r.upper:.3e}  {r.ratio:.3f}  {r.reached!s:7s} "
            f"{r.boxes:7d} {r.seconds:7.1f}"
        )


def arb_box_bound(rows: list[dict], f_rows, lo: np.ndarray, hi: np.ndarray) -> float:
    """Naive per-box arb bound of max_r |S_r - f_r| over one box (plain ball evaluation)."""
    X = [flint.arb(flint.arf(a)).union(flint.arb(flint.arf(b))) for a, b in zip(lo, hi)]
    worst = 0.0
    for r, row in enumerate(rows):
        s = flint.arb(0)
        for alpha, a in row.items():
            term = flint.arb(flint.fmpq(a.numerator, a.denominator))
            for x, k in zip(X, alpha):
                if k:
                    term *= x**k
            s += term
        e = s - f_rows(X)[r]
        worst = max(worst, float(abs(e).upper()))
    return worst


def boxes_per_second(degree: int, repeat: int = 5, count: int = 2048) -> None:
    n, d = 3, 1
    f = targets.get("gaussian-kernel-sum")
    model, _ = continuous.approximate(f, n, d, degree, samples=4000, seed=0)
    bounder = _BoxBounder(model, f, n, d)
    rows = _row_polynomials(model.representation, n)

    def f_rows(X):
        return [sum(((X[i] - X[j]) ** 2 * -1).exp() for j in range(n)) for i in range(n)]

    rng = np.random.default_rng(0)
    lo = np.sort(rng.uniform(0, 0.98, size=(count, n)), axis=1)
    hi = lo + 0.02
    fast, slow = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        bounder(lo, hi)
        fast.append(count / (time.perf_counter() - t))
        k = 64
        t = time.perf_counter()
        for j in range(k):
            arb_box_bound(rows, f_rows, lo[j], hi[j])
        slow.append(k / (time.perf_counter() - t))
    mf, ms = np.median(fast), np.median(slow)
    print(
        f"degree {degree}: vectorised Taylor bounder {mf:9.0f} boxes/s (spread {min(fast):.0f}-{max(fast):.0f}); "
        f"per-box arb loop {ms:7.0f} boxes/s (spread {min(slow):.0f}-{max(slow):.0f}); ratio {mf / ms:.1f}x"
    )


def main(quick: bool = False) -> None:
    for degree in [2, 8] if quick else [2, 4, 6, 8]:
        boxes_per_second(degree, repeat=3 if quick else 5)
    cases = [(3, 1, D, 0.5) for D in ([2, 4] if quick else [2, 4, 6, 8])]
    cases += [(2, 1, 6, 0.5), (4, 1, 4, 0.5)] if not quick else []
    cases += [(3, 2, D, 2.0) for D in ([2] if quick else [2, 3, 4])]
    certify_table(cases)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
