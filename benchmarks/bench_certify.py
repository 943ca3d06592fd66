"""Certified sup error: work (boxes), CPU seconds and the ratio reached per case; checker time per
certificate; boxes per second of the vectorised bounder against a per-box arb loop (python-flint);
and how closely the optional wall-clock safety stop ``time_limit`` is honoured (Gaussian kernel sum fits, and the
planted degree-24/28/32 models of tests/test_certify_determinism.py against ``times-mean``).

Gaussian kernel sum fits as in the report (continuous.approximate(..., seed=0)), default stopping
ratio 1.5 (d = 2 within budgets of 5,000 and 10,000 boxes). CPU seconds are process time (the machine may be shared); boxes are the
deterministic measure. Run: python benchmarks/bench_certify.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import flint
import numpy as np

from constructions import continuous, targets
from constructions._verify.certify import _BoxBounder, _row_polynomials, box_upper
from constructions.verify import CertificationBudget, certified_sup_error

sys.path.insert(0, str(Path(__file__).parent))
from _common import check_certificate_cpu, one_blas_thread


def _fit(n: int, d: int, degree: int):
    return continuous.approximate(
        targets.get("gaussian-kernel-sum"),
        n,
        d,
        degree,
        samples=4000,
        seed=0,
        config=continuous.FitConfig(test_samples=4000),
    )[0]


#: the figures before sparse Taylor models (dense coefficient arrays over all N = n*d variables, 2,048
#: boxes per numpy call), measured on this machine (2 shared cores, 1 BLAS thread): boxes, CPU seconds,
#: ratio reached. The sparse ones (degree ranges, stored prefixes, exp in each entry's 2d local
#: variables, blocks of 128 boxes) bound the same boxes (they skip exact zeros: only roundings change,
#: the bounds agree to 12 digits), so only the seconds move:
#: (3,1,8) 1.4 -> 0.4 s, (4,1,8) 7.9 -> 3.8 s, (5,1,6) 16.2 -> 4.6 s, (3,2,6) 24.2 -> 10.2 s,
#: (4,2,4) 111.6 -> 8.6 s. Before these, the second-order Taylor form (target to second order only):
#: (3,1,8) 22,934 boxes, 13.0 s; (4,1,8) ratio 176 after 3,179 boxes, 21.6 s; (5,1,6) ratio 93 after
#: 1,416 boxes, 17.7 s; (3,2,6) ratio 29.8 after 1,308 boxes, 23.5 s; (4,2,4) ratio 19.1 after 768
#: boxes, 16.8 s (the unreached ones stopped by a 150 s wall-clock limit on the loaded machine)
BEFORE = {
    (3, 1, 8): "198 boxes, 1.4 s, ratio 1.49",
    (4, 1, 8): "801 boxes, 7.9 s, ratio 1.49",
    (5, 1, 6): "872 boxes, 16.2 s, ratio 1.000",
    (3, 2, 6): "1,388 boxes, 24.2 s, ratio 1.02",
    (4, 2, 4): "1,800 boxes, 111.6 s, ratio 1.045",
}


def certify_table(cases: list[tuple[int, int, int, float, int]], check: bool) -> None:
    """Boxes, CPU seconds and ratio per case (with its box budget); with ``check`` the checker's CPU time too."""
    print("n d degree | lower      upper      ratio  reached boxes    CPU s  | checker leaves  CPU s | before")
    for n, d, degree, ratio, max_boxes in cases:
        model = _fit(n, d, degree)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "c.json"
            t = time.process_time()
            r = certified_sup_error(
                model, "gaussian-kernel-sum", CertificationBudget(max_boxes=max_boxes, ratio=ratio), certificate=path
            )
            cpu = time.process_time() - t
            checked = check_certificate_cpu(path) if check else "-"
        print(
            f"{n} {d} {degree:6d} | {r.lower:.3e}  {r.upper:.3e}  {r.ratio:.3f}  {r.reached!s:7s} "
            f"{r.boxes:7d} {cpu:7.1f}  | {checked} | {BEFORE.get((n, d, degree), '-')}"
        )


def _ipow(x, k: int):
    """x**k by repeated products: python-flint's ball ** k is nan when the ball contains 0."""
    out = flint.arb(1)
    for _ in range(k):
        out *= x
    return out


def arb_box_bound(rows: list[dict], f_rows, lo: np.ndarray, hi: np.ndarray) -> float:
    """Per-box arb bound of max_r |S_r - f_r| over one box: plain ball evaluation (no Taylor form)."""
    X = [flint.arb(flint.arf(a)).union(flint.arb(flint.arf(b))) for a, b in zip(lo, hi)]
    f = f_rows(X)
    worst = 0.0
    for r, row in enumerate(rows):
        s = flint.arb(0)
        for alpha, a in row.items():
            term = flint.arb(flint.fmpq(a.numerator, a.denominator))
            for x, k in zip(X, alpha):
                if k:
                    term *= _ipow(x, k)
            s += term
        e = s - f[r]
        worst = max(worst, float(abs(e).upper()))
    return worst


def _sampled_error(model, f, lo: np.ndarray, hi: np.ndarray, points: int = 32) -> np.ndarray:
    """max |S - f| over ``points`` seeded uniform points of each box (float64 evaluation), per box."""
    rng = np.random.default_rng(1)
    n = lo.shape[1]
    X = lo[:, None, :] + (hi - lo)[:, None, :] * rng.uniform(size=(len(lo), points, n))
    X = X.reshape(-1, n, 1)
    return np.abs(model(X) - f(X)).reshape(len(lo), -1).max(axis=1)


def boxes_per_second(degree: int, repeat: int = 5, count: int = 2048) -> None:
    n, d = 3, 1
    f = targets.get("gaussian-kernel-sum")
    model = _fit(n, d, degree)
    bounder = _BoxBounder(model, f, n, d)
    rows = _row_polynomials(model.representation, n)

    def f_rows(X):
        return [sum((-(_ipow(X[i] - X[j], 2))).exp() for j in range(n)) for i in range(n)]

    rng = np.random.default_rng(0)
    lo = np.sort(rng.uniform(0, 0.98, size=(count, n)), axis=1)
    hi = lo + 0.02
    fast, slow = [], []
    ours = box_upper(bounder, lo, hi)
    theirs = np.array([arb_box_bound(rows, f_rows, lo[j], hi[j]) for j in range(64)])
    sampled = _sampled_error(model, f, lo[:64], hi[:64])
    # both are real bounds: finite and at least the error sampled in each box (float evaluation, 1e-12 slack)
    assert np.all(np.isfinite(theirs)) and np.all(theirs >= sampled - 1e-12), "the arb reference is no bound"
    assert np.all(np.isfinite(ours)) and np.all(ours[:64] >= sampled - 1e-12), "the Taylor bounder is no bound"
    for _ in range(repeat):
        t = time.process_time()
        box_upper(bounder, lo, hi)
        fast.append(count / (time.process_time() - t))
        k = 64
        t = time.process_time()
        for j in range(k):
            arb_box_bound(rows, f_rows, lo[j], hi[j])
        slow.append(k / (time.process_time() - t))
    mf, ms = np.median(fast), np.median(slow)
    tighter = float(np.median(theirs / ours[:64]))
    print(
        f"degree {degree}: vectorised Taylor bounder {mf:9.0f} boxes/s (spread {min(fast):.0f}-{max(fast):.0f}); "
        f"per-box arb loop {ms:7.0f} boxes/s (spread {min(slow):.0f}-{max(slow):.0f}); ratio {mf / ms:.1f}x; "
        f"arb's plain bound / ours (median) {tighter:.1f}"
    )


def _bump(k: int):
    """n = 3, d = 1: Psi = y p1/3 + (1/10) (4y(1-y))^k (4(p1 - p2)/3)^k (degree 4k), whose error against
    ``times-mean`` has sup exactly 1/10 (tests/test_certify_determinism.py)."""
    import sympy

    from polyapprox import EquivariantRepresentation, power_sum_symbol

    y, p1, p2 = sympy.Symbol("y_1"), power_sum_symbol((1,)), power_sum_symbol((2,))
    psi = y * p1 / 3 + sympy.Rational(1, 10) * (4 * y * (1 - y)) ** k * (sympy.Rational(4, 3) * (p1 - p2)) ** k
    rep = EquivariantRepresentation(3, 1, 1, ((1,), (2,), (3,)), sympy.Matrix([[sympy.expand(psi)]]))
    return continuous.from_representation(rep)


def time_limit_overshoot(cases: list[tuple[str, object, str, float]]) -> None:
    """Wall time of certifications stopped by the optional safety stop ``time_limit``, over the limit.

    The clock starts at the call. The search looks at it between pieces of work (sample points, the
    grid's first pass, every bisection round, each round of the local search for the lower bound) that
    shrink to half the time left, and while the bounder expands the model before the first box (that
    setup is timed again after the run and shown: a limit below it ends with no box bounded)."""
    for label, model, target, limit in cases:
        t = time.perf_counter()
        r = certified_sup_error(model, target, CertificationBudget(max_boxes=10**7, ratio=1.0001, time_limit=limit))
        wall = time.perf_counter() - t
        t = time.perf_counter()
        _BoxBounder(model, targets.get(target), model.n, model.d)  # the same setup again, alone
        setup = time.perf_counter() - t
        print(
            f"time_limit {limit:g} s, {label}: wall {wall:.2f} s ({100 * (wall / limit - 1):+.1f}%; setup {setup:.2f} s)"
            f", stopped by time {r.stopped_by_time}, {r.boxes} boxes, [{r.lower:.6g}, {r.upper:.6g}]"
        )


def main(quick: bool = False) -> None:
    for degree in [2, 8] if quick else [2, 4, 6, 8]:
        boxes_per_second(degree, repeat=3 if quick else 5)
    cases = [(3, 1, D, 1.5, 10**6) for D in ([2, 4] if quick else [2, 4, 6, 8])]
    cases += [] if quick else [(2, 1, 6, 1.5, 10**6), (4, 1, 8, 1.5, 10**6), (5, 1, 6, 1.5, 10**6)]
    cases += [(3, 2, 2, 1.5, 5_000)] if quick else [(3, 2, 6, 1.5, 5_000), (4, 2, 4, 1.5, 10_000)]
    certify_table(cases, check=True)
    gauss = "gaussian-kernel-sum"
    timed = [("(3, 2, 6) Gaussian kernel sum", _fit(3, 2, 6), gauss, 10.0)]
    timed += [] if quick else [("(4, 2, 4) Gaussian kernel sum", _fit(4, 2, 4), gauss, 20.0)]
    planted = [(6, 10.0)] if quick else [(6, 10.0), (7, 10.0), (8, 60.0)]
    timed += [(f"degree {4 * k} planted (n = 3)", _bump(k), "times-mean", limit) for k, limit in planted]
    time_limit_overshoot(timed)


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main(quick="--quick" in sys.argv)
