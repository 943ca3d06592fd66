"""Continuous Sumformer (issue: continuous): forward pass linear in n; vectorised psi vs per-point sympy;
fitting memory at degree 8, n = 4, d = 2. Ratios are measured in this run.
Run: python benchmarks/bench_continuous.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_time, peak_memory_mb

from constructions import MonomialFeatures, Sumformer, continuous, targets
from polyapprox import (
    count_candidates,
    own_symbols,
    power_sum_indices,
    power_sum_symbol,
)


def forward_scaling() -> None:
    model, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), 3, 2, 4, samples=2000)
    # the same phi (d' = 9) and psi, without the fixed n: a Sumformer runs on any sequence length
    free = Sumformer(model.phi, model.psi, model.latent_dim, 2, 1)
    rng = np.random.default_rng(0)
    times = {}
    for n in (1024, 4096):
        X = rng.uniform(size=(8, n, 2))
        times[n] = best_time(lambda X=X: free(X)) / 8
        print(f"  n = {n:5d}: {times[n] * 1e3:.2f} ms per sequence (d' = {model.latent_dim})")
    print(f"  ratio n=4096 / n=1024: {times[4096] / times[1024]:.2f} (linear: 4, quadratic: 16)")
    return model


def psi_vectorised_vs_sympy(model) -> None:
    rep = model.representation
    symbols = own_symbols(rep.d) + [power_sum_symbol(a) for a in rep.indices]
    Psi = rep.Psi[0, 0]
    X = np.random.default_rng(1).uniform(size=(200, 3, 2))
    y = X.reshape(-1, 2)
    s = np.repeat(MonomialFeatures(rep.indices).sums(X), 3, axis=0)

    def per_point():
        return [float(Psi.xreplace(dict(zip(symbols, map(sympy.Float, np.concatenate([yi, si])))))) for yi, si in
                zip(y, s)]

    t_vec = best_time(lambda: model.psi(y, s), repeat=5)
    t_sym = best_time(per_point, repeat=1)
    np.testing.assert_allclose(model.psi(y, s)[:, 0], per_point(), rtol=1e-9)
    print(f"  psi on {len(y)} tokens: vectorised {t_vec * 1e3:.2f} ms, per-point sympy {t_sym * 1e3:.0f} ms, "
          f"ratio {t_sym / t_vec:.0f}x")


def fitting_memory() -> None:
    n, d, degree = 4, 2, 8
    count = count_candidates(d, power_sum_indices(n, d), degree)
    samples = 2 * count // n + 1
    peak = peak_memory_mb(lambda: continuous.approximate(targets.get("gaussian-kernel-sum"), n, d, degree,
                                                         samples=samples, test_samples=200))
    print(f"  fit n={n}, d={d}, degree {degree}: {count} coefficients, {samples} x {n} rows, "
          f"design matrix {samples * n * count * 8 / 1e6:.0f} MB, peak traced memory {peak:.0f} MB")


if __name__ == "__main__":
    print("forward pass, fixed d':")
    model = forward_scaling()
    print("psi evaluation:")
    psi_vectorised_vs_sympy(model)
    print("fitting memory:")
    fitting_memory()
