"""Certified error of the one-attention-layer ReLU Transformer: what each enclosure step buys, and cost.

For the report's ReLU case (Gaussian kernel sum, n = 3, d = 1, continuous.approximate(..., seed=0))
and Yarotsky parameters m, measured in the same run:
1. per-box bound / sampled maximum of |T - S| on boxes of width w around random sorted points,
   and boxes per second (median and spread over repetitions), for: the forward enclosure alone;
   forward + backward pass through every layer (the method before the squaring chains were
   recognised); forward + backward with each Yarotsky squaring chain bounded as one function
   (what certification uses);
2. the certified interval [lower, upper] of |T - S| (``certified_network_error``) and of |T - f|
   against the target itself (``certified_sup_error``), boxes and CPU seconds, against the a-priori
   bound L_psi n eta_1 + eta_2 of |T - S|.

Before -> after bounding each squaring chain as one function (one core, load ~4; 40,000-box budget):

    quantity  degree m  ratio | before: upper/lower, boxes, CPU s   | after: upper/lower, boxes, CPU s
    |T - S|   2      2  1.5   | 1.48 reached,    210,   0.5         | 1.45 reached,    190,  0.1
    |T - S|   4      2  1.5   | 1.50 reached,  3,612,  20.5         | 1.50 reached,    700,  1.1
    |T - S|   3      2  1.5   | 1.50 reached,    914,   3.9         | 1.48 reached,    362,  0.7
    |T - S|   4      2  2     | 2.00 reached,  2,286,  15.2         | 1.99 reached,    258,  0.8
    |T - S|   2      4  2     | 2.07 not reached, 40,000, 57.1      | 1.99 reached,  1,948,  0.6
    |T - S|   4      4  2     | ratio 4: 38.1 after 40,000, 454 s   | 2.00 reached,  8,434,  7.5
    |T - S|   2      4  1.5   | (ratio 4 took 7,418 boxes, 10.3 s)  | 1.49 reached,  5,886,  1.3
    |T - S|   4      4  1.5   | (ratio 4: 38.1 after 40,000, 454 s) | 1.50 reached, 13,820, 12.4
    |T - f|   4      2  2     | 2.00 reached,  2,294,  14.1         | 1.99 reached,    258,  0.7
    |T - f|   2      4  2     | 1.99 reached,    192,   0.7         | 1.17 reached,    190,  0.1
    |T - f|   4      4  2     | 38.8 not reached, 40,000, 569 s     | 2.00 reached,  8,648,  7.9

Checker (tools/check_certificate.py on each certificate, its own exact enclosures; leaf boxes, CPU s, load 2):
|T - S| degree 2, m = 2: 190 leaves, 0.5 s; degree 4, m = 2, ratio 1.5 (the report's): 445, 5.3 s; degree 2,
m = 4, ratio 2: 1,069, 3.1 s; degree 4, m = 4, ratio 1.5: 7,354, 145 s; |T - f| degree 4, m = 2, ratio 2: 224, 3.3 s.

Per box at degree 4, m = 4 (median bound / sampled max at w = 1/16, 1/64, 1/256; boxes/s):
layer by layer 1,080, 9.24, 1.11, 62/s -> chains as one unit 6.58, 1.50, 1.06, 930/s.

Why m = 4 was out of reach: the squaring S_m(t) = t - sum_s hat^s(t) / 4^s is computed by m
layers of hat functions; propagating an enclosure layer by layer relaxes every level's kinks
separately, and the levels' kinks cancel (S_m has 2^m kinks of slope change 2^(1-m) each, the
level-s sawtooth has kinks of slope change 2^(s+1) weighted 4^-s), so the relaxation of a box
around a level-1 kink was ~2^m times that of S_m itself, on top of m nested relaxations. Bounding
S_m as one convex piecewise-linear function from its exact nodes removes both (and the network
shrinks from 16 hidden layers of width <= 100 to 7 of width <= 30 at degree 4, m = 4).
Run: python benchmarks/bench_certify_relu.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from constructions import continuous, targets, transformer
from constructions._verify.certify import box_upper
from constructions._verify.certify_relu import _NetworkBounder
from constructions.verify import CertificationBudget, certified_network_error, certified_sup_error

sys.path.insert(0, str(Path(__file__).parent))
from _common import check_certificate_cpu, one_blas_thread, process_cpu


def _fit(degree: int):
    return continuous.approximate(targets.get("gaussian-kernel-sum"), 3, 1, degree, seed=0)[0]


VARIANTS = (  # (name, backward pass, chains bounded as one unit)
    ("forward only", False, True),
    ("layer by layer", True, False),
    ("chains as one unit", True, True),
)


def tightness_and_speed(degree: int, m: int, repeat: int, count: int = 512) -> None:
    S = _fit(degree)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
    rng = np.random.default_rng(0)
    centres = np.sort(rng.uniform(0.05, 0.95, size=(count, 3)), axis=1)
    for name, backward, chains in VARIANTS:
        bounder = _NetworkBounder(T, S, backward=backward, chains=chains)
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


def certify_table(cases: list[tuple[str, int, int, float, int]]) -> None:
    """Per case (quantity, degree, m, stopping ratio, box budget): the interval, the boxes and the CPU seconds."""
    print(
        "quantity degree m ratio | measured   lower      upper      upper/lower a-priori   reached boxes   CPU s"
        " | checker: leaves CPU s"
    )
    X = np.random.default_rng(3).uniform(size=(2000, 3, 1))
    f = targets.get("gaussian-kernel-sum")
    for quantity, degree, m, ratio, max_boxes in cases:
        S = _fit(degree)
        T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
        budget = CertificationBudget(ratio=ratio, max_boxes=max_boxes)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "certificate.json"
            t = process_cpu()
            if quantity == "T-S":
                r = certified_network_error(T, S, budget, certificate=path)
                measured = float(np.abs(T(X) - S(X)).max())
            else:
                r = certified_sup_error(T, f, budget, certificate=path)
                measured = float(np.abs(T(X) - f(X)).max())
            cpu = process_cpu() - t
            checked = check_certificate_cpu(path)
        print(
            f"{quantity:8s} {degree:6d} {m} {ratio:5g} | {measured:.3e}  {r.lower:.3e}  {r.upper:.3e}  "
            f"{r.ratio:11.3f} {T.error_bound:.3e}  {r.reached!s:7s} {r.boxes:7d} {cpu:7.1f} | {checked}"
        )


def main(quick: bool = False) -> None:
    for degree, m in [(4, 4)] if quick else [(2, 2), (4, 2), (2, 4), (4, 4)]:
        tightness_and_speed(degree, m, repeat=3 if quick else 5, count=128 if quick else 512)
    cases = [("T-S", 2, 2, 1.5, 40_000), ("T-S", 4, 2, 1.5, 40_000), ("T-S", 2, 4, 2.0, 40_000)]
    if not quick:
        cases += [("T-S", 3, 2, 1.5, 40_000), ("T-S", 4, 2, 2.0, 40_000), ("T-S", 4, 4, 2.0, 40_000)]
        cases += [("T-S", 2, 4, 1.5, 40_000), ("T-S", 4, 4, 1.5, 40_000)]
        cases += [("T-f", 4, 2, 2.0, 40_000), ("T-f", 2, 4, 2.0, 40_000), ("T-f", 4, 4, 2.0, 40_000)]
    certify_table(cases)


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main(quick="--quick" in sys.argv)
