"""Memory estimates from sizes alone, checked before a fit or build starts (--max-memory)."""

from __future__ import annotations

import math

from .. import count_candidates, latent_dimension, power_sum_indices


def fit_terms(n: int, d: int, degree: int, refined: bool = False) -> int:
    """Number of candidate terms (columns of the design matrix) of a least-squares fit."""
    latent = latent_dimension(n, d, "continuous-refined" if refined else "continuous")
    if latent > 10**6:
        return 10**18  # far beyond any budget: refused before listing the power sums
    return count_candidates(d, power_sum_indices(n, d, refined=refined), degree)


def fit_bytes(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> tuple[int, int]:
    """(estimated bytes, candidate terms) of continuous.approximate: the design matrix, its scaled copy and
    the SVD workspace (about 3 copies of samples x n x terms float64), the samples themselves, and the exact
    expansion of Psi (about 200 bytes per term and output)."""
    terms = fit_terms(n, d, degree, refined)
    samples = max(4000, math.ceil(2 * terms / n)) if samples is None else samples
    return 3 * 8 * samples * n * terms + 2 * 8 * samples * n * d + 200 * terms * d, terms


def discontinuous_bytes(n: int, d: int, k: int, evaluations: int) -> int:
    """Bytes of the exact codes: up to min(cells, evaluations x n) distinct powers (n+1)^iota, of
    about cells log2(n+1) / 2 bits on average, plus each sequence's code."""
    cells = k**d
    bits = cells * math.log2(n + 1)
    return int(min(cells, evaluations * n) * bits / 16 + evaluations * bits / 8)
