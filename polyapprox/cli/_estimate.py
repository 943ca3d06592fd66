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


#: Time model of a least-squares fit: seconds = FIT_OVERHEAD_SECONDS + FIT_SECONDS_PER_UNIT x units,
#: where the units are the work units the fit reports to its progress callback (estimated
#: multiply-adds, weighted by stage so that they track time; see constructions/_least_squares.py).
#: Calibrated on this project's 2-core machine (shared; wall clock of continuous.approximate,
#: gaussian-kernel-sum, default samples): (n, d, D) = (6, 3, 6) 8.6e10 units in 20.8 s; (4, 2, 6) 3.9e9
#: units in 1.2 s; (5, 2, 8) 5.6e10 units in 6.2 s. The model's accuracy against runs measured in the
#: same session is printed by benchmarks/bench_estimate.py.
FIT_SECONDS_PER_UNIT = 2e-10
FIT_OVERHEAD_SECONDS = 0.3


def fit_units(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> tuple[int, int, int]:
    """(work units, candidate terms, training sequences) of continuous.approximate, from the sizes alone:
    the route it takes (SVD of the design matrix when that needs at most 64 MB, else the normal
    equations), its work, then the exact expansion and the evaluation on the training and test sets."""
    from constructions._least_squares import AUTO_SVD_BYTES, SOLVE_UNITS, SVD_UNITS, _tail_units

    terms = fit_terms(n, d, degree, refined)
    samples = max(4000, math.ceil(2 * terms / n)) if samples is None else samples
    rows = samples * n
    if 8 * (3 * rows * terms + 3 * samples * terms) <= AUTO_SVD_BYTES:
        work = SVD_UNITS * rows * terms**2
    else:
        work = samples * terms * (terms + 1) // 2 + SOLVE_UNITS * terms**3
    return int(work) + _tail_units(terms, 2 * samples, n), terms, samples


def fit_seconds(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> float:
    """Estimated wall seconds of continuous.approximate on this project's 2-core machine (see the constants)."""
    units, _, _ = fit_units(n, d, degree, samples, refined)
    return FIT_OVERHEAD_SECONDS + FIT_SECONDS_PER_UNIT * units


#: Time model of build discontinuous: seconds = DISCONTINUOUS_OVERHEAD_SECONDS + DISCONTINUOUS_SECONDS x
#: f_calls x n x bits^2, bits = k^d log2(n + 1) the size of a code; f_calls (distinct multisets the
#: error search meets) ~ 1.1 x samples, at most the number of multisets. Decoding a code is n exact
#: divisions of a bits-long integer by a power of n + 1, quadratic in bits. Measured (CLI wall clock,
#: gaussian-kernel-sum, 4096 samples, load ~9 on 2 cores): (n, d, k) = (3, 2, 20) 4.2 s, (3, 3, 20)
#: 5.2 s, (4, 3, 20) 8.9 s (4474 calls), (4, 3, 30) 76 s (4448 calls); the model gives 2.5, 5.9, 8.9, 75 s.
DISCONTINUOUS_SECONDS = 1.03e-12
DISCONTINUOUS_OVERHEAD_SECONDS = 2.5


def discontinuous_seconds(n: int, d: int, k: int, samples: int) -> float:
    """Estimated wall seconds of build discontinuous (build, then the sampled error search)."""
    cells = k**d
    multisets = math.comb(cells + n - 1, n) if cells < 10**6 else 10**18
    calls = min(multisets, 1.1 * samples)
    bits = cells * math.log2(n + 1)
    return DISCONTINUOUS_OVERHEAD_SECONDS + DISCONTINUOUS_SECONDS * calls * n * bits**2
