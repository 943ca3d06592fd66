"""Memory estimates from sizes alone, checked before a fit or build starts (--max-memory)."""

from __future__ import annotations

import math
import os

from ... import count_candidates, latent_dimension, power_sum_indices


def fit_terms(n: int, d: int, degree: int, refined: bool = False) -> int:
    """Number of candidate terms (columns of the design matrix) of a least-squares fit."""
    latent = latent_dimension(n, d, "continuous-refined" if refined else "continuous")
    if latent > 10**6:
        return 10**18  # far beyond any budget: refused before listing the power sums
    return count_candidates(d, power_sum_indices(n, d, refined=refined), degree)


#: Resident memory of the process before a fit starts (the interpreter, numpy, scipy, sympy and the
#: numeric layer): 122 MiB measured before the fits of benchmarks/bench_estimate.py.
PROCESS_BYTES = 128_000_000


def fit_bytes(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> tuple[int, int]:
    """(estimated peak resident bytes, candidate terms) of a process running continuous.approximate: the
    process before the fit (``PROCESS_BYTES``) and the fit's own peak (``continuous.fit_memory_bytes``, with
    the library's default budget and solver), from the sizes alone."""
    terms = fit_terms(n, d, degree, refined)
    latent = latent_dimension(n, d, "continuous-refined" if refined else "continuous")
    if terms >= 10**18:
        return 10**18, terms
    samples = max(4000, math.ceil(2 * terms / n)) if samples is None else samples
    from constructions.continuous import fit_memory_bytes  # numpy loads only when a fit is estimated

    return PROCESS_BYTES + fit_memory_bytes(terms, samples, n, d, degree, latent), terms


def discontinuous_bytes(n: int, d: int, k: int, evaluations: int) -> int:
    """Bytes of the exact codes: up to min(cells, evaluations x n) distinct powers (n+1)^iota, of
    about cells log2(n+1) / 2 bits on average, plus each sequence's code."""
    cells = k**d
    bits = cells * math.log2(n + 1)
    return int(min(cells, evaluations * n) * bits / 16 + evaluations * bits / 8)


#: Time model of a least-squares fit, in CPU seconds: FIT_OVERHEAD_SECONDS + FIT_SECONDS_PER_UNIT x units,
#: where the units are the work units the fit reports to its progress callback (estimated
#: multiply-adds weighted by stage so that they track time; see constructions/_sumformers/least_squares.py).
#: Fitted (smallest largest ratio error) to the median CPU seconds of continuous.approximate, each in a
#: fresh process, 3 runs, gaussian-kernel-sum, default samples, on this project's 2-core machine at load
#: 5-8 (benchmarks/bench_estimate.py): (n, d, D) = (3, 1, 3) 0.036 s, (3, 2, 4) 1.03 s, (4, 2, 6) 1.50 s,
#: (4, 3, 5) 2.97 s, (5, 2, 8) 7.29 s, (6, 3, 6) 12.0 s; the model is within a factor 1.8 of each. A
#: later run (2 repetitions, the test suite running beside it) measured 1.62, 2.21, 3.38, 7.60, 13.3 s CPU
#: for the last five: model / measured 0.39-1.69, and wall estimate / measured wall 0.22-2.03. CPU time
#: itself grows with contention on this shared machine, small fits most: read the estimate as a factor-3
#: indication, not a prediction.
FIT_SECONDS_PER_UNIT = 2.28e-10
FIT_OVERHEAD_SECONDS = 0.05


#: Wall seconds per CPU second per unit of load per core: measured wall / CPU of the fits above 2.8-4.1
#: at 1-minute load 9-10 on 2 cores (load per core 4.5-5): about 0.75 x load per core.
WALL_PER_LOAD = 0.75


def load_factor() -> float:
    """Wall seconds per CPU second to expect now: WALL_PER_LOAD x the 1-minute load average per core, at least 1."""
    try:
        return max(1.0, WALL_PER_LOAD * os.getloadavg()[0] / (os.cpu_count() or 1))
    except OSError:  # pragma: no cover - no load average on this platform
        return 1.0


def fit_units(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> tuple[int, int, int]:
    """(work units, candidate terms, training sequences) of continuous.approximate, from the sizes alone:
    the route it takes (SVD of the design matrix when that needs at most 64 MB, else the normal
    equations), its work, then the exact expansion and the evaluation on the training and test sets."""
    from constructions.continuous import fit_work_units  # numpy loads only when a fit is estimated

    terms = fit_terms(n, d, degree, refined)
    samples = max(4000, math.ceil(2 * terms / n)) if samples is None else samples
    return fit_work_units(terms, samples, n), terms, samples


def fit_cpu_seconds(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> float:
    """Estimated CPU seconds of continuous.approximate (the model above)."""
    units, _, _ = fit_units(n, d, degree, samples, refined)
    return FIT_OVERHEAD_SECONDS + FIT_SECONDS_PER_UNIT * units


def fit_seconds(n: int, d: int, degree: int, samples: int | None, refined: bool = False) -> float:
    """Estimated wall seconds of continuous.approximate now: the CPU model times load_factor()."""
    return fit_cpu_seconds(n, d, degree, samples, refined) * load_factor()


#: Time model of build discontinuous, in CPU seconds: DISCONTINUOUS_OVERHEAD_SECONDS + DISCONTINUOUS_SECONDS
#: x f_calls x n x bits^1.7, bits = k^d log2(n + 1) the size of a code; f_calls (distinct multisets the
#: error search meets) ~ 1.1 x samples, at most the number of multisets. Decoding a code takes n exact
#: divisions and powers of bits-long integers (between linear and quadratic in bits). Fitted to the
#: median CPU seconds of the whole CLI command (benchmarks/bench_estimate.py, 3 runs, gaussian-kernel-sum,
#: 4096 samples, load ~8): (n, d, k) = (3, 3, 20) 2.63 s, (4, 3, 20) 4.10 s (4474 calls), less the
#: start-up of the command (imports, about 1.2-1.9 s CPU), which is over when the estimate is printed. In a
#: later run (start-up measured and added): CPU model / measured 1.18-1.44, wall estimate / wall 0.89-1.12.
DISCONTINUOUS_SECONDS = 8.1e-12
DISCONTINUOUS_OVERHEAD_SECONDS = 0.3


#: Default work budget of build discontinuous, in the units of discontinuous_work (about 13 CPU minutes).
DISCONTINUOUS_MAX_WORK = 10**14


def discontinuous_work(n: int, d: int, k: int, samples: int) -> float:
    """Work units of build discontinuous: f_calls x n x bits^1.7 (the time model's units, from the sizes)."""
    cells = k**d
    multisets = math.comb(cells + n - 1, n) if cells < 10**6 else 10**18
    calls = min(multisets, 1.1 * samples)
    bits = cells * math.log2(n + 1)
    return calls * n * bits**1.7


def discontinuous_cpu_seconds(n: int, d: int, k: int, samples: int) -> float:
    """Estimated CPU seconds of build discontinuous (build, then the sampled error search)."""
    return DISCONTINUOUS_OVERHEAD_SECONDS + DISCONTINUOUS_SECONDS * discontinuous_work(n, d, k, samples)


def discontinuous_seconds(n: int, d: int, k: int, samples: int) -> float:
    """Estimated wall seconds of build discontinuous now: the CPU model times load_factor()."""
    return discontinuous_cpu_seconds(n, d, k, samples) * load_factor()
