"""Width and forward CPU time of a degree-2 fit's Sumformer and Transformer: every power sum vs those Psi reads.

For n = 256, 1024, 4096 (d = 1, target ``poly-mean-field``, a degree-2 least-squares fit on a
few sequences: the target is a degree-2 polynomial, so the fit is exact), the same exact
representation is built twice in this run: as the previous construction carried it (every
power sum p_1..p_n, ``power_sums="all"``: residual width 2n + 2) and as it is now (the power
sums Psi reads, p_1 and p_2: width 6). Each cell: CPU time (process time) of one forward on a
batch of one sequence, best of REPEAT after a warm-up, numpy and torch (float64), 1 BLAS and
torch thread; the two outputs are compared (largest difference, relative to the output's size).
Run: python benchmarks/bench_width.py [--repeat 3] [--ns 256 1024 4096]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
from _common import one_blas_thread

from constructions import continuous, targets, transformer
from constructions.continuous import FitConfig, PolynomialSumformer


def cpu_time(fn, repeat: int):
    """(smallest CPU time (process time) of ``repeat`` calls after one warm-up call in seconds, the last output)."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def row(n: int, repeat: int, torch_module) -> dict:
    # two training and two test sequences of n tokens: 2n rows for 7 coefficients
    S, _ = continuous.approximate(
        targets.get("poly-mean-field"), n, 1, 2, samples=2, config=FitConfig(test_samples=2, memory_mb=4096)
    )
    wide = PolynomialSumformer(S.representation, domain=S.domain, power_sums="all")  # the previous construction
    X = np.random.default_rng(n).uniform(size=(1, n, 1))
    out: dict[str, float] = {"n": n}
    results = {}
    for label, model in (("before", wide), ("after", S)):
        T = transformer.from_sumformer(model, n)
        out[f"width_{label}"] = T.width
        out[f"numpy_{label}"], results[label] = cpu_time(lambda T=T: T(X), repeat)
        if torch_module is not None:
            module, Xt = T.to_torch(trainable=False), torch_module.tensor(X)
            with torch_module.no_grad():
                out[f"torch_{label}"], value = cpu_time(lambda module=module: module(Xt), repeat)
                results[f"torch_{label}"] = value.numpy()
    scale = max(1.0, float(np.abs(results["before"]).max()))
    out["difference"] = float(np.abs(results["after"] - results["before"]).max()) / scale
    if torch_module is not None:
        out["difference_torch"] = float(np.abs(results["torch_after"] - results["torch_before"]).max()) / scale
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ns", type=int, nargs="+", default=[256, 1024, 4096])
    args = parser.parse_args()
    one_blas_thread()
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional
        torch = None
    print("degree-2 fit, d = 1, one sequence, CPU seconds (best of", args.repeat, "), 1 BLAS/torch thread")
    print(
        "|    n | width before -> after | numpy before -> after (ratio) | torch before -> after (ratio) | max rel. diff |"
    )
    print("|---:|---|---|---|---|")
    for n in args.ns:
        r = row(n, args.repeat, torch)
        numpy_cell = f"{r['numpy_before']:.4f} -> {r['numpy_after']:.4f} ({r['numpy_before'] / r['numpy_after']:.0f}x)"
        torch_cell = (
            f"{r['torch_before']:.4f} -> {r['torch_after']:.4f} ({r['torch_before'] / r['torch_after']:.0f}x)"
            if torch is not None
            else "-"
        )
        diff = f"{r['difference']:.1e}" + (f" / {r['difference_torch']:.1e}" if torch is not None else "")
        print(
            f"| {n:4d} | {r['width_before']} -> {r['width_after']} | {numpy_cell} | {torch_cell} | {diff} |", flush=True
        )


if __name__ == "__main__":
    main()
