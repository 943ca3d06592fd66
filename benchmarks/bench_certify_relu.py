"""Certified |T - S| of the one-attention-layer ReLU Transformer: what the backward pass buys, and cost.

For the report's ReLU case (Gaussian kernel sum, n = 3, d = 1, continuous.approximate(..., seed=0))
and Yarotsky parameters m, measured in the same run:
1. per-box bound / sampled maximum on boxes of width w around random sorted points, for the
   forward enclosure alone (baseline) and forward + backward pass (what certification uses), and
   boxes per second of each (median and spread over repetitions);
2. the certified interval [lower, upper] against the a-priori bound L_psi n eta_1 + eta_2.
Run: python benchmarks/bench_certify_relu.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from constructions import continuous, targets, transformer
from constructions._verify.certify import box_upper
from constructions._verify.certify_relu import _NetworkBounder
from constructions.verify import CertificationBudget, certified_network_error

sys.path.insert(0, str(Path(__file__).parent))
from _common import one_blas_thread


def _fit(degree: int):
    return continuous.approximate(targets.get("gaussian-kernel-sum"), 3, 1, degree, seed=0)[0]


def tightness_and_speed(degree: int, m: int, repeat: int, count: int = 512) -> None:
    S = _fit(degree)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
    rng = np.random.default_rng(0)
    centres = np.sort(rng.uniform(0.05, 0.95, size=(count, 3)), axis=1)
    for name, backward in (("forward only", False), ("forward + backward", True)):
        bounder = _NetworkBounder(T, S, backward=backward)
        ratios, speeds = [], []
        for w in (1 / 16, 1 / 64, 1 / 256):
            lo, hi = np.clip(centres - w / 2, 0, 1), np.clip(centres + w / 2, 0, 1)
            ub = box_upper(bounder, lo, hi)
            X = (lo[:, None, :] + (hi - lo)[:, None, :] * rng.uniform(size=(count, 64, 3))).reshape(-1, 3, 1)
            sampled = np.abs(T(X) - S(X)).reshape(count, 64, -1).max(axis=(1, 2))
            ratios.append(float(np.median(ub / sampled)))
        for _ in range(repeat):
            t = time.perf_counter()
            box_upper(bounder, lo, hi)
            speeds.append(count / (time.perf_counter() - t))
        print(
            f"degree {degree} m {m} {name:18s}: median bound / sampled max at w = 1/16, 1/64, 1/256: "
            + ", ".join(f"{r:.3g}" for r in ratios)
            + f"; {np.median(speeds):6.0f} boxes/s (spread {min(speeds):.0f}-{max(speeds):.0f})"
        )


def certify_table(cases: list[tuple[int, int, float, int]]) -> None:
    """Per case (degree, m, stopping ratio, box budget): the interval, the boxes and the CPU seconds."""
    print("degree m ratio | measured   lower      upper      a-priori   reached boxes   CPU s")
    X = np.random.default_rng(3).uniform(size=(2000, 3, 1))
    for degree, m, ratio, max_boxes in cases:
        S = _fit(degree)
        T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
        t = time.process_time()
        r = certified_network_error(T, S, CertificationBudget(ratio=ratio, max_boxes=max_boxes))
        cpu = time.process_time() - t
        measured = float(np.abs(T(X) - S(X)).max())
        print(
            f"{degree:6d} {m} {ratio:5g} | {measured:.3e}  {r.lower:.3e}  {r.upper:.3e}  {T.error_bound:.3e}  "
            f"{r.reached!s:7s} {r.boxes:7d} {cpu:7.1f}"
        )


def main(quick: bool = False) -> None:
    for degree, m in [(4, 2)] if quick else [(2, 2), (4, 2), (2, 4), (4, 4)]:
        tightness_and_speed(degree, m, repeat=3 if quick else 5)
    cases = [(2, 2, 1.5, 20_000), (4, 2, 1.5, 20_000)]
    cases += [] if quick else [(3, 2, 1.5, 20_000), (2, 4, 4.0, 40_000), (4, 4, 4.0, 40_000)]
    certify_table(cases)


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main(quick="--quick" in sys.argv)
