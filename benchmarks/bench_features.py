"""Numeric power-sum features: incremental vs naive per-alpha prod(X**alpha) (issue: foundation).

b = 10^4 sequences, n = 32, d = 3, degree <= 4 (34 monomials). Prints times, the speed-up
ratio measured in this run, and peak memory of each method. Run: python benchmarks/bench_features.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_time, one_blas_thread, peak_memory_mb

from constructions import MonomialFeatures
from polyapprox import multi_indices


def naive(X: np.ndarray, indices: list[tuple[int, ...]]) -> np.ndarray:
    return np.stack([np.prod(X ** np.array(alpha), axis=-1) for alpha in indices], axis=-1)


def main(b: int = 10_000, n: int = 32, d: int = 3, degree: int = 4) -> None:
    X = np.random.default_rng(0).uniform(size=(b, n, d))
    indices = multi_indices(d, degree)
    features = MonomialFeatures(indices)
    np.testing.assert_allclose(features(X[:50]), naive(X[:50], indices), rtol=1e-12)
    t_inc = best_time(lambda: features.sums(X))
    t_naive = best_time(lambda: naive(X, indices).sum(axis=-2))
    m_inc = peak_memory_mb(lambda: features.sums(X))
    m_naive = peak_memory_mb(lambda: naive(X, indices).sum(axis=-2))
    print(f"features: b={b}, n={n}, d={d}, degree<={degree}, d'={len(indices)}")
    print(f"  incremental: {t_inc:.3f} s, peak {m_inc:.0f} MB")
    print(f"  naive prod(X**alpha): {t_naive:.3f} s, peak {m_naive:.0f} MB")
    print(f"  speed-up (naive / incremental): {t_naive / t_inc:.1f}x")


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
