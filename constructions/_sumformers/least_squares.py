"""Least squares in Sumformer form: fit Psi of weighted degree <= D to a numeric equivariant target.

Rows are (sequence, token) pairs, columns the candidate terms T_{beta,m}(x_i, P(X)) in
canonical order (Alberti et al. 2023, continuous theorem: only the degree of psi grows as the
error falls). Every variable is mapped affinely onto [-1, 1] and the columns are products of
Chebyshev polynomials T_{beta}(y') T_{m}(s') there: the candidate exponent set is closed under
lowering any exponent, so this basis spans exactly the same functions as the monomials, with
far better conditioning. The normal equations are accumulated without the design matrix: the
row of (sequence s, token i) is Y(x_i) (x) S(P(X_s)) restricted to the candidates, so
A^T A = sum_s (sum_i Y_i Y_i^T) (x) S_s S_s^T, assembled block by block over pairs of beta
(tokens summed first: n times fewer operations than forming A^T A from A). They are solved by
pivoted Cholesky (rank revealing: dependent columns when K = n) after column scaling; when
the retained part is too ill-conditioned for normal equations the fit falls back to an SVD of
the design matrix, if it fits the memory budget. The exact core turns the float64 solution
into an exact rational representation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from typing import Any, cast

import numpy as np
import scipy.linalg

from polyapprox import EquivariantRepresentation, candidate_terms, count_candidates, multi_indices, power_sum_indices
from polyapprox.internal import DomainError, PolyapproxError, SizeError, check_choice, check_int, check_nonnegative

from .._common.blas import one_blas_thread
from .._common.validate import Domain
from .features import MonomialFeatures
from .polynomial import PolynomialSumformer, _PolynomialEvaluator
from .target_checks import check_equivariant, target_values


@dataclass(frozen=True)
class ApproximationReport:
    """What :func:`approximate` did and how well the fit does (sup and RMS errors over all entries).

    Parameters
    ----------
    target : str
        Name of the target.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    d_out : int
        Output dimension per token.
    degree : int
        Total degree of the fit.
    refined : bool
        Whether the power sums stop at degree n - 1.
    latent_dim : int
        Latent dimension d' of the fit: the power sums its candidates range over (the model carries
        those its Psi reads: ``model.latent_dim``).
    coefficients : int
        Number of fitted coefficients (candidate terms).
    samples : int
        Training sequences.
    test_samples : int
        Test sequences.
    rank : int
        Numerical rank of the least-squares problem.
    condition_number : float
        Condition number of the kept columns.
    fit_sup_error : float
        Largest error on the training set.
    fit_rms_error : float
        RMS error on the training set.
    test_sup_error : float
        Largest error on the test set.
    test_rms_error : float
        RMS error on the test set.
    seconds : float
        Wall-clock time of the fit.

    Examples
    --------
    >>> from constructions import targets
    >>> _, report = approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    >>> report.coefficients, report.rank, report.test_sup_error < 1e-12
    (3, 3, True)
    """

    target: str
    n: int
    d: int
    d_out: int
    degree: int
    refined: bool
    latent_dim: int
    coefficients: int
    samples: int
    test_samples: int
    rank: int  # numerical rank of the design matrix (dependent columns: theory/representation)
    condition_number: float  # largest / smallest retained singular value after column scaling (normal eqs.: estimated)
    fit_sup_error: float
    fit_rms_error: float
    test_sup_error: float
    test_rms_error: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return "\n".join(
            f"{key:>17}: {value:.3g}" if isinstance(value, float) else f"{key:>17}: {value}"
            for key, value in self.to_dict().items()
        )


#: Largest |target value| a fit accepts (its squares must stay far inside float64).
MAX_TARGET_VALUE = 1e150
#: Default memory budget of a fit (MB): the estimate is checked before anything large is allocated.
MEMORY_MB = 1024.0
#: Largest condition number (sigma_max / sigma_min of the retained scaled columns, estimated from the
#: Cholesky factor) accepted from the normal equations; beyond it the fit is recomputed by SVD of the
#: design matrix when that fits the budget (normal equations square the condition number, and their
#: estimate reads high: rounding in A^T A lifts the smallest singular values). Measured at
#: (n, d, D) = (4, 2, 8): estimate 3.5e7, SVD ratio 4.1e6, test errors 6.0565e-4 (normal equations)
#: and 6.0575e-4 (SVD).
NORMAL_EQUATIONS_MAX_CONDITION = 1e8
SOLVERS = ("auto", "normal", "svd")
#: ``solver="auto"`` takes the SVD route directly when it needs at most this many bytes.
AUTO_SVD_BYTES = 64e6


#: Progress units per step, relative to one multiply-add of A^T A (stage times profiled on this
#: project's 2-core machine; (n, d, D) = (6, 3, 6), 4828 columns, 4000 sequences: A^T A 11.5 s for
#: 4.7e10 multiply-adds, pivoted Cholesky and condition estimate 5.7 s for count^3 = 1.1e11, the exact
#: expansion 0.8 s, evaluating the model on 2 x 4000 x 6 rows 1.8 s; (4, 2, 6), 820 columns: A^T A
#: 0.28 s, solve 0.13 s, evaluation 0.67 s).
SOLVE_UNITS = 0.2  # x count^3
SVD_UNITS = 10  # x rows x count^2 (gelsd; (n, d, D) = (3, 2, 4), 12000 rows x 141 columns: about 1 s)
EXPANSION_UNITS = 600_000  # x count
EVALUATION_UNITS = 60  # x rows x count, for each of the training and test sets


def _tail_units(count: int, sequences: int, n: int) -> int:
    """Progress units after the solve: the exact expansion and both evaluations."""
    return int(EXPANSION_UNITS * count + EVALUATION_UNITS * sequences * n * count)


def fit_work_units(terms: int, samples: int, n: int) -> int:
    """Work units of :func:`approximate` on ``samples`` sequences of length ``n`` with ``terms`` candidates.

    The fit takes the SVD route when the design matrix and its copies need at most
    ``AUTO_SVD_BYTES``, else the normal equations; then come the exact expansion of Psi and
    the evaluations on the training and test sets. The progress bar of :func:`approximate`
    counts the same units.

    Parameters
    ----------
    terms : int
        Candidate terms (columns of the design matrix).
    samples : int
        Training sequences.
    n : int
        Sequence length.

    Returns
    -------
    int
        The work units.

    Examples
    --------
    >>> fit_work_units(10, 100, 2) > fit_work_units(10, 50, 2)
    True
    """
    rows = samples * n
    if 8 * (3 * rows * terms + 3 * samples * terms) <= AUTO_SVD_BYTES:
        work = SVD_UNITS * rows * terms**2
    else:
        work = samples * terms * (terms + 1) // 2 + SOLVE_UNITS * terms**3
    return int(work) + _tail_units(terms, 2 * samples, n)


#: Bytes per candidate term and output held by the exact expansion of Psi (Chebyshev products to
#: monomials as Python ints, then exact rationals): measured with the peaks below.
EXPANSION_BYTES = 6_000
#: Bytes the fit needs besides the arrays :func:`fit_memory_bytes` counts (allocator slack, modules
#: loaded on first use, small temporaries): set so that the estimate is at least 0.95 of every
#: measured peak of benchmarks/bench_estimate.py.
FIT_OVERHEAD_BYTES = 16e6


@dataclass(frozen=True)
class _Sizes:
    """The sizes that decide a fit's route and chunks (one place for :func:`_fit` and the estimate)."""

    svd_bytes: int  # the SVD route: design matrix, its scaled copy, workspace, features
    fixed: int  # the normal equations: A^T A, right-hand side, solution
    per_sequence: int  # the normal equations: features and block temporaries per sequence
    chunk: int  # the normal equations: sequences per chunk

    @staticmethod
    def of(samples: int, n: int, terms: int, betas: int, ms: int, d_out: int, memory_mb: float) -> _Sizes:
        rows = samples * n
        per_sequence = 8 * (n * betas + ms + 3 * terms + betas * d_out)
        fixed = 8 * (terms * terms + 2 * terms * d_out)
        svd_bytes = 8 * (3 * rows * terms + 2 * rows * d_out) + per_sequence * samples
        # sequences per chunk: the per-chunk temporaries stay near 32 MB each (GEMMs stay large enough)
        chunk = max(
            1, min(samples, int((memory_mb * 1e6 - fixed) / 2 / per_sequence), max(64, int(32e6 / (8 * terms))))
        )
        return _Sizes(svd_bytes, fixed, per_sequence, chunk)

    def route(self, solver: str) -> str:
        """The route ``solver`` takes first: ``"svd"`` or ``"normal"``."""
        return "svd" if solver == "svd" or (solver == "auto" and self.svd_bytes <= AUTO_SVD_BYTES) else "normal"


def fit_memory_bytes(
    terms: int,
    samples: int,
    n: int,
    d: int,
    degree: int,
    latent: int,
    *,
    d_out: int = 1,
    config: FitConfig | None = None,
) -> int:
    """Estimated peak bytes :func:`approximate` allocates (above what the process held before), from the sizes alone.

    Deterministic (nothing is measured at run time). The samples and target values stay alive
    throughout; on top of them the largest of: the power-sum monomials of every training token
    (the ranges of the Chebyshev map); the route's own peak (SVD: the design matrix, the copy
    LAPACK factorises and the features; normal equations: A^T A with one chunk's temporaries,
    then A^T A and its pivoted Cholesky factor, copied when the rank is deficient); the exact
    expansion of Psi with the evaluation of the model (monomial features in chunks of about
    64 MB), on top of one chunk's arrays, which stay in the allocator's heap. :func:`approximate`
    refuses a fit whose estimate exceeds ``config.memory_mb``; the normal equations fall back to the
    SVD route only when that route's bytes fit the budget too. Measured against the peak
    resident memory of fits in fresh processes above the memory at the call
    (``benchmarks/bench_estimate.py``, (n, d, degree) = (3, 2, 4) ... (6, 3, 6)): 0.96-1.54x
    (1.54x at the smallest, 54 MB estimated for 35 MB).

    Parameters
    ----------
    terms : int
        Candidate terms (columns of the design matrix).
    samples : int
        Training sequences.
    n : int
        Sequence length.
    d : int
        Token dimension.
    degree : int
        Degree of the fit.
    latent : int
        Number of power sums the fit ranges over.
    d_out : int, default 1
        Outputs per token.
    config : FitConfig or None, default None
        The fit's test set size, solver and budget (the normal equations' chunk size follows it);
        None: ``FitConfig()``.

    Returns
    -------
    int
        Estimated peak bytes.

    Examples
    --------
    >>> fit_memory_bytes(820, 4000, 4, 2, 6, 14) > 8 * 820**2    # more than A^T A alone
    True
    """
    config = FitConfig() if config is None else config
    return _memory_bytes(terms, samples, n, d, degree, latent, d_out, config, terms)


def _memory_bytes(
    terms: int, samples: int, n: int, d: int, degree: int, latent: int, d_out: int, config: FitConfig, ms: int
) -> int:
    """:func:`fit_memory_bytes` with ``ms`` distinct products of power sums among the candidates (at most ``terms``)."""
    test_samples = samples if config.test_samples is None else config.test_samples
    solver, memory_mb = config.solver, float(config.memory_mb)
    rows = samples * n
    betas = math.comb(d + degree, d)
    sizes = _Sizes.of(samples, n, terms, betas, ms, d_out, memory_mb)
    data = 8 * (samples + test_samples) * n * (d + d_out)
    ranges = 8 * rows * latent
    tail = (
        EXPANSION_BYTES * terms * d_out + 2 * min(_PolynomialEvaluator.CHUNK_BYTES, 8 * rows * terms) + 8 * rows * d_out
    )
    if sizes.route(solver) == "svd":
        route = 8 * (2 * rows * terms + samples * (n * betas + ms + terms))
    else:
        chunk = sizes.chunk
        route = max(sizes.fixed + 8 * chunk * (ms + 2 * terms + n * betas) + 8 * terms * terms // 4, 16 * terms * terms)
        tail += 8 * chunk * terms
    return int(FIT_OVERHEAD_BYTES + data + max(ranges, route, tail))


class _Progress:
    """Reports ``callback(done, total)`` in work units; ``done`` only grows and ends equal to ``total``."""

    def __init__(self, callback: Callable[[int, int], None] | None, tail: int) -> None:
        self.callback, self.tail = callback, int(tail)
        self.done, self.total = 0, int(tail)

    def plan(self, units: float) -> None:
        """The route of the fit is known: ``units`` of fit work remain, then the tail."""
        self.total = self.done + int(units) + self.tail

    def add(self, units: float) -> None:
        self.done = min(self.done + int(units), self.total)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        self.done = self.total
        if self.callback is not None:
            self.callback(self.done, self.total)


def _chebyshev_tables(z: np.ndarray, degree: int) -> np.ndarray:
    """T_0..T_degree of every entry of z (in [-1, 1]): shape (degree + 1, *z.shape)."""
    out = np.empty((degree + 1,) + z.shape)
    out[0] = 1.0
    if degree >= 1:
        out[1] = z
    for k in range(2, degree + 1):
        np.multiply(2.0 * z, out[k - 1], out=out[k])
        out[k] -= out[k - 2]
    return out


def _products(tables: np.ndarray, exponents: list[tuple[int, ...]]) -> np.ndarray:
    """prod_k T_{e_k}(z_k) for every exponent e: tables (degree+1, ..., width) -> (..., len(exponents))."""
    out = np.ones(tables.shape[1:-1] + (len(exponents),))
    for j, e in enumerate(exponents):
        for k, ek in enumerate(e):
            if ek:
                out[..., j] *= tables[ek, ..., k]
    return out


def _chebyshev_to_monomials(degree: int) -> list[list[int]]:
    """Integer coefficients of T_0..T_degree in the monomial basis."""
    coeffs = [[1], [0, 1]]
    for k in range(2, degree + 1):
        prev, prev2 = coeffs[k - 1], coeffs[k - 2]
        new = [0] * (k + 1)
        for i, c in enumerate(prev):
            new[i + 1] += 2 * c
        for i, c in enumerate(prev2):
            new[i] -= c
        coeffs.append(new)
    return coeffs[: degree + 1]


class _Plan:
    """The candidate columns grouped by beta: T_beta(y') times T_m(s') for the m allowed with beta."""

    def __init__(self, candidates: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> None:
        self.betas: list[tuple[int, ...]] = []
        self.ms: list[tuple[int, ...]] = []
        beta_slot: dict = {}
        m_slot: dict = {}
        columns: dict[int, list[int]] = {}
        m_of: dict[int, list[int]] = {}
        for j, (beta, m) in enumerate(candidates):
            if beta not in beta_slot:
                beta_slot[beta] = len(self.betas)
                self.betas.append(beta)
            if m not in m_slot:
                m_slot[m] = len(self.ms)
                self.ms.append(m)
            b = beta_slot[beta]
            columns.setdefault(b, []).append(j)
            m_of.setdefault(b, []).append(m_slot[m])
        self.columns = [np.array(columns[b]) for b in range(len(self.betas))]
        # candidate_terms lists the candidates beta by beta: each beta's columns form one range
        if any(
            int(c[0]) != int(sum(len(x) for x in self.columns[:k])) or len(c) != c[-1] - c[0] + 1
            for k, c in enumerate(self.columns)
        ):  # pragma: no cover - the canonical order guarantees it
            raise PolyapproxError("internal: candidate columns are not grouped by beta")
        self.m_index = [np.array(m_of[b]) for b in range(len(self.betas))]
        self.count = len(candidates)

    def gram_units(self) -> int:
        """Multiply-adds of the block upper triangle of A^T A per sequence (as _normal_equations forms it)."""
        widths = [len(m) for m in self.m_index]
        starts = np.concatenate([[0], np.cumsum(widths)])
        return int(sum(w * (self.count - int(lo)) for w, lo in zip(widths, starts)))

    def features(self, X: np.ndarray, indices, scale: np.ndarray, shift: np.ndarray, degree: int):
        """(Y, S): Y (b, n, #betas) = T_beta(y'), S (b, #m) = T_m(s') for sequences X (b, n, d)."""
        b, _, d = X.shape
        y = X * scale[:d] + shift[:d]
        Y = _products(_chebyshev_tables(y, degree), self.betas)
        if indices:
            s = MonomialFeatures(indices).sums(X) * scale[d:] + shift[d:]
            S = _products(_chebyshev_tables(s, degree), self.ms)
        else:
            S = np.ones((b, 1))
        return Y, S

    def design(self, Y: np.ndarray, S: np.ndarray) -> np.ndarray:
        """The design matrix rows (sequence, token) x candidates (used by the SVD route only)."""
        b, n, _ = Y.shape
        A = np.empty((b * n, self.count))
        for k, (cols, ms) in enumerate(zip(self.columns, self.m_index)):
            A[:, cols] = (Y[:, :, k, None] * S[:, None, ms]).reshape(b * n, len(ms))
        return A


def _normal_equations(
    plan: _Plan,
    Y: np.ndarray,
    S: np.ndarray,
    B: np.ndarray,
    G: np.ndarray,
    R: np.ndarray,
    advance: Callable[[int], None] | None = None,
) -> None:
    """Add the upper triangle of A^T A to G and A^T B to R for one chunk of sequences.

    Y: (b, n, #betas), S: (b, #m), B: (b, n, d_out). The columns of each beta are contiguous
    (candidates are listed beta by beta), so block row beta_1 of A^T A is one product
    S_{beta_1}^T [h_{beta_1 beta_2} S_{beta_2}]_{beta_2 >= beta_1}, h = sum over tokens of
    T_{beta_1}(x_i) T_{beta_2}(x_i).
    """
    nb = len(plan.betas)
    S_all = S[:, np.concatenate(plan.m_index)]  # the S part of every column, in column order
    sizes = np.array([len(m) for m in plan.m_index])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    YB = np.einsum("snk,sno->sko", Y, B)  # sum over tokens of T_beta(x_i) f_i
    buffer = np.empty_like(S_all)
    for k1 in range(nb):
        lo, hi = starts[k1], starts[k1 + 1]
        S1 = S_all[:, lo:hi]
        R[lo:hi] += S1.T @ YB[:, k1, :]
        h = np.einsum("sn,snl->sl", Y[:, :, k1], Y[:, :, k1:])  # (b, nb - k1)
        Z = buffer[:, : starts[-1] - lo]
        for k2 in range(k1, nb):  # Z = [h_{k1 k2} S_{k2}]_{k2 >= k1}, written in place
            a, b = starts[k2] - lo, starts[k2 + 1] - lo
            np.multiply(S_all[:, lo + a : lo + b], h[:, k2 - k1, None], out=Z[:, a:b])
        G[lo:hi, lo:] += S1.T @ Z
        if advance is not None:
            advance(len(S) * (hi - lo) * (starts[-1] - lo))  # the multiply-adds of this block row


def _triangular_condition(U: np.ndarray, iterations: int = 30) -> float:
    """sigma_max / sigma_min of the upper triangle of U (= of the kept, scaled columns of A), estimated.

    Power iteration on U^T U for sigma_max and inverse iteration (two triangular solves per
    step) for sigma_min, from a fixed start: O(iterations r^2), no extra r x r matrix.
    """
    r = U.shape[0]
    if r == 0:
        return math.inf
    rng = np.random.default_rng(0)
    v = rng.normal(size=r)
    w = v.copy()
    big = small = 0.0
    for _ in range(iterations):
        v /= np.linalg.norm(v)
        Uv = np.triu(U) @ v if r <= 64 else scipy.linalg.blas.dtrmv(U, v)  # pyright: ignore[reportAttributeAccessIssue]  # BLAS wrappers are generated at import
        big = float(np.linalg.norm(Uv))
        v = scipy.linalg.blas.dtrmv(U, Uv, trans=1)  # pyright: ignore[reportAttributeAccessIssue]  # generated BLAS wrapper if r > 64 else np.triu(U).T @ Uv
        w /= np.linalg.norm(w)
        x = scipy.linalg.solve_triangular(U, w, trans="T", lower=False, check_finite=False)  # pyright: ignore[reportArgumentType]  # "T" is documented; type inferred from default 0
        small = 1.0 / max(float(np.linalg.norm(x)), 1e-300)
        w = scipy.linalg.solve_triangular(U, x, lower=False, check_finite=False)
    return big / small if small > 0 else math.inf


def _solve_normal(G: np.ndarray, R: np.ndarray, count: int) -> tuple[np.ndarray, int, float]:
    """Pivoted Cholesky of the column-scaled normal equations: (solution, rank, condition of A's kept columns)."""
    norms = np.sqrt(np.diag(G).copy())
    norms[norms == 0] = 1.0
    G /= norms[:, None]
    G /= norms[None, :]
    Rs = R / norms[:, None]
    tol = max(count, 10) * np.finfo(float).eps * 10
    factor, piv, rank, info = scipy.linalg.lapack.dpstrf(G, tol=tol, lower=0, overwrite_a=1)  # pyright: ignore[reportAttributeAccessIssue]  # generated LAPACK wrapper; in place (G is F-order)
    if info < 0:  # pragma: no cover - LAPACK argument error
        raise PolyapproxError(f"pivoted Cholesky failed (LAPACK info {info})")
    piv = piv[:rank] - 1
    U = factor if rank == count else np.asfortranarray(factor[:rank, :rank])  # only the upper triangle is read
    del factor
    condition = _triangular_condition(U)
    rhs = Rs[piv]
    z = scipy.linalg.solve_triangular(U, rhs, trans="T", lower=False, check_finite=False)  # pyright: ignore[reportArgumentType]  # "T" is documented
    z = scipy.linalg.solve_triangular(U, z, lower=False, check_finite=False)
    solution = np.zeros((count, R.shape[1]))
    solution[piv] = z
    return solution / norms[:, None], int(rank), condition


@dataclass(frozen=True)
class FitConfig:
    """How a least-squares fit runs: test set, power sums, solver, tolerances, memory, progress (checked).

    Parameters
    ----------
    test_samples : int or None, default None
        Independent test sequences; default the number of training sequences.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.
    rcond : float, default 1e-13
        Relative singular-value cutoff of the SVD route (after column scaling).
    equivariance_rtol : float, default 1e-08
        Tolerance of the numeric equivariance check of the target.
    solver : str, default 'auto'
        ``"auto"``: SVD of the design matrix when it is under 64 MB, else the normal equations
        accumulated blockwise (tokens summed first) and solved by rank-revealing pivoted
        Cholesky, redone by SVD if the kept columns' condition number exceeds 1e8 and the SVD
        route fits ``memory_mb``. ``"normal"`` and ``"svd"`` force one route.
    memory_mb : float, default 1024.0
        Memory budget, checked before anything large is allocated.
    progress : callable or None, default None
        Called as ``progress(done, total)`` after each step of the work (each block row of
        A^T A in each chunk of sequences, the solve, the exact expansion, the evaluations);
        ``done`` grows to ``total`` at the end. The units are estimated multiply-adds, weighted
        to track time; ``total`` can grow once, if the normal equations are redone by SVD. The
        library never prints: a caller draws its own bar.

    Examples
    --------
    >>> FitConfig(solver="svd").memory_mb
    1024.0
    >>> FitConfig(solver="qr")
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.UnknownNameError: unknown solver 'qr'; allowed: 'auto', 'normal', 'svd'
    """

    test_samples: int | None = None
    refined: bool = False
    rcond: float = 1e-13
    equivariance_rtol: float = 1e-8
    solver: str = "auto"
    memory_mb: float = MEMORY_MB
    progress: Callable[[int, int], None] | None = None

    def __post_init__(self) -> None:
        if self.test_samples is not None:
            check_int("test_samples", self.test_samples)
        if not isinstance(self.refined, bool):
            raise PolyapproxError(f"refined must be True or False; got {self.refined!r:.60}")
        check_nonnegative("rcond", self.rcond)
        check_nonnegative("equivariance_rtol", self.equivariance_rtol)
        check_choice("solver", self.solver, SOLVERS)
        memory_mb = self.memory_mb
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float)) or not 0 < memory_mb < math.inf:
            raise PolyapproxError(f"memory_mb must be a positive number of megabytes; got {memory_mb!r:.60}")
        if self.progress is not None and not callable(self.progress):
            raise PolyapproxError(f"progress must be None or a callable (done, total); got {self.progress!r:.60}")


def approximate(
    f: Callable[[np.ndarray], np.ndarray],
    n: int,
    d: int,
    degree: int,
    *,
    domain: Domain = (0.0, 1.0),
    samples: int | None = None,
    seed: int = 0,
    config: FitConfig | None = None,
) -> tuple[PolynomialSumformer, ApproximationReport]:
    """Fit an equivariant polynomial of total degree ``degree`` to f, in exact Sumformer form.

    Least squares in Sumformer form (Alberti et al. 2023, continuous theorem): rows are
    (sequence, token) pairs, columns the candidates T_{beta,m}(x_i, P_{<=K}(X)) of weighted
    degree <= ``degree`` (canonical order), K = n (or n - 1 with refined power sums). Each variable is
    first mapped affinely onto [-1, 1] (range over the training set) and the columns are the
    products of Chebyshev polynomials there (same span as the monomials, better conditioned).
    The coefficients are then made exact rationals (exact binary values of the float64 fit) and
    mapped back to monomials in the original variables exactly, so the result is an
    :class:`EquivariantRepresentation` and saving is lossless.

    Shapes: f maps X (b, n, d) to (b, n, d_out); the model maps (n, d) or (b, n, d) likewise.

    Parameters
    ----------
    f : callable
        The equivariant target; checked for equivariance first.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    degree : int
        Total degree of the fitted polynomial.
    domain : tuple of float, default (0.0, 1.0)
        Box [lo, hi] that every coordinate is drawn from.
    samples : int or None, default None
        Training sequences, drawn uniformly (seeded); default max(4000, 2 x coefficients / n).
    seed : int, default 0
        Seed of every random choice (reproducible).
    config : FitConfig or None, default None
        Test set size, refined power sums, solver, tolerances, memory budget, progress callback;
        None: ``FitConfig()``.

    Returns
    -------
    model : PolynomialSumformer
        The fitted polynomial, in exact Sumformer form.
    report : ApproximationReport
        Sizes, rank, condition number and the fit and test errors.

    Raises
    ------
    NotEquivariantError
        When f is not equivariant (numerically).
    SizeError
        When the fit's memory estimate exceeds ``config.memory_mb``.

    Examples
    --------
    >>> from constructions import targets
    >>> S, report = approximate(targets.get("poly-mean-field"), n=3, d=1, degree=2, samples=200)
    >>> report.coefficients, report.test_sup_error < 1e-12        # the target is a degree-2 polynomial
    (7, True)
    """
    n, d, degree, (lo, hi) = check_int("n", n), check_int("d", d), check_int("degree", degree), _checked_box(domain)
    if not callable(f):
        raise PolyapproxError(f"f must be a callable (b, n, d) -> (b, n, d_out); got {type(f).__name__}")
    config = FitConfig() if config is None else config
    if not isinstance(config, FitConfig):
        raise PolyapproxError(f"config must be a FitConfig; got {type(config).__name__}")
    refined, rcond, solver, memory_mb = config.refined, config.rcond, config.solver, float(config.memory_mb)
    start = time.perf_counter()
    samples, test_samples = _checked_sample_counts(n, d, degree, samples, config)
    check_equivariant(f, n, d, domain=(lo, hi), rtol=config.equivariance_rtol, seed=seed)
    indices = tuple(power_sum_indices(n, d, refined=refined))
    candidates = candidate_terms(d, indices, degree)
    count = len(candidates)
    _check_power_sums_finite(lo, hi, n, indices)
    rng = np.random.default_rng(seed)
    X_train = rng.uniform(lo, hi, size=(samples, n, d))
    X_test = rng.uniform(lo, hi, size=(test_samples, n, d))
    Y_train = target_values(f, X_train, "training samples")
    d_out = Y_train.shape[2]
    _check_fit_values(Y_train)
    plan = _Plan(candidates)
    _check_fit_memory(plan, samples, n, d, degree, len(indices), d_out, replace(config, test_samples=test_samples))
    scale, shift = _chebyshev_scaling(X_train, indices)
    tracker = _Progress(config.progress, _tail_units(count, samples + test_samples, n))
    with one_blas_thread():  # the same coefficients on any machine, whatever its core count
        coefficients, rank, condition = _fit(
            plan, X_train, Y_train, indices, scale, shift, degree, rcond, solver, memory_mb, tracker
        )
    _check_fit_values(Y_train, coefficients)
    rep = _exact_representation(n, d, d_out, indices, refined, candidates, coefficients, scale, shift, degree)
    tracker.add(EXPANSION_UNITS * count)
    model = PolynomialSumformer(rep, domain=(lo, hi), description=f"least-squares fit of degree {degree} to {_name(f)}")
    model.target = f
    fit = np.abs(model(X_train) - Y_train)
    tracker.add(EVALUATION_UNITS * samples * n * count)
    test = np.abs(model(X_test) - target_values(f, X_test, "test samples"))
    tracker.finish()
    report = ApproximationReport(
        target=_name(f),
        n=n,
        d=d,
        d_out=d_out,
        degree=degree,
        refined=refined,
        latent_dim=len(indices),
        coefficients=len(candidates),
        samples=samples,
        test_samples=test_samples,
        rank=int(rank),
        condition_number=condition,
        fit_sup_error=float(fit.max()),
        fit_rms_error=float(np.sqrt((fit**2).mean())),
        test_sup_error=float(test.max()),
        test_rms_error=float(np.sqrt((test**2).mean())),
        seconds=time.perf_counter() - start,
    )
    return model, report


def _check_fit_values(Y: np.ndarray, coefficients: np.ndarray | None = None) -> None:
    """Refuse target values whose squares leave float64 (1e308, exp(709)), and non-finite fitted coefficients."""
    top = float(np.abs(Y).max(initial=0.0))
    if top > MAX_TARGET_VALUE:  # the fit squares residuals and values: past float64 (warnings, then inf)
        raise DomainError(
            f"the target's values reach {top:.3g}, more than {MAX_TARGET_VALUE:.0e}, past what a least-squares fit "
            "in float64 can square; the fitted coefficients would overflow float64: rescale the target"
        )
    if coefficients is not None and not np.all(np.isfinite(coefficients)):
        raise DomainError(
            f"the fitted coefficients overflow float64 (target values up to {top:.3g}); rescale the target"
        )


def _checked_box(domain: Domain) -> tuple[float, float]:
    """The domain (lo, hi) as floats, finite with lo < hi and a finite width hi - lo."""
    lo, hi = (float(v) for v in domain)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and math.isfinite(hi - lo)):
        raise PolyapproxError(f"domain must be (lo, hi) with lo < hi and a finite width hi - lo; got {domain!r}")
    return lo, hi


def _check_sample_sizes(sequences: int, n: int, d: int, memory_mb: float, monomials: int = 0) -> None:
    """Refuse, before allocating, sample arrays (training + test, float64) and the monomial columns of the
    training samples (``monomials`` = latent dimension x training sequences, n values each, for the
    power-sum ranges) larger than the memory budget."""
    megabytes = (sequences * d + monomials) * n * 8 / 1e6  # MB of 10^6 bytes, as the fit's own estimate in _fit
    if megabytes > memory_mb:
        raise SizeError(
            f"the training and test samples alone ({sequences:,} sequences of {n} x {d}) with their power-sum monomials take "
            f"{megabytes:,.0f} MB, more than memory_mb = {memory_mb:,.0f}; use fewer samples or a larger memory_mb"
        )


def _check_fit_memory(
    plan: _Plan, samples: int, n: int, d: int, degree: int, latent: int, d_out: int, config: FitConfig
) -> None:
    """Refuse, before the large arrays, a fit whose memory estimate (:func:`fit_memory_bytes`) exceeds the budget."""
    need = _memory_bytes(plan.count, samples, n, d, degree, latent, d_out, config, len(plan.ms))
    solver, memory_mb = config.solver, float(config.memory_mb)
    if need > memory_mb * 1e6:
        raise SizeError(
            f"the least-squares fit needs about {need / 1e6:,.0f} MB ({plan.count:,} coefficients, {samples:,} x {n} "
            f"rows, solver {solver!r}), more than memory_mb = {memory_mb:,.0f}; lower the degree or "
            "the samples, or raise memory_mb"
        )


def _check_power_sums_finite(lo: float, hi: float, n: int, indices: tuple[tuple[int, ...], ...]) -> None:
    """Refuse a domain on which the power sums P_gamma (|gamma| <= n) overflow float64."""
    top = max((sum(g) for g in indices), default=1)
    radius = max(abs(lo), abs(hi), 1.0)
    if top * math.log10(radius) + math.log10(n) > 300:
        raise DomainError(
            f"on the domain ({lo:g}, {hi:g}) the power sums of degree up to {top} reach about "
            f"10^{top * math.log10(radius) + math.log10(n):.0f}, past float64; rescale the inputs to a smaller box"
        )


def _checked_sample_counts(n: int, d: int, degree: int, samples: int | None, config: FitConfig) -> tuple[int, int]:
    """Training and test sequence counts, their sizes checked in closed form before anything is enumerated.

    At huge n the power sums alone would take seconds to enumerate; the candidates involve only
    those of degree <= ``degree``, so their count comes from those.
    """
    top = n - 1 if config.refined else n  # the largest |alpha| of a power sum
    latent = math.comb(top + d, d) - 1
    count = count_candidates(d, multi_indices(d, min(top, degree)) if top >= 1 else [], degree)
    samples, test_samples = _sample_counts(samples, config.test_samples, count, n)
    _check_sample_sizes(samples + test_samples, n, d, float(config.memory_mb), latent * samples)
    return samples, test_samples


def _sample_counts(samples: int | None, test_samples: int | None, count: int, n: int) -> tuple[int, int]:
    """Training and test sequence counts (defaults in :func:`approximate`); refuses an underdetermined fit."""
    samples = max(4000, math.ceil(2 * count / n)) if samples is None else check_int("samples", samples)
    test_samples = samples if test_samples is None else check_int("test_samples", test_samples)
    if samples * n < count:
        raise PolyapproxError(
            f"underdetermined fit: {count} coefficients but only {samples} x {n} = "
            f"{samples * n} (sequence, token) rows; use samples >= {math.ceil(count / n)}"
        )
    return samples, test_samples


def _chebyshev_scaling(X: np.ndarray, indices: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) mapping every variable (y_1..y_d, s_gamma) affinely onto [-1, 1] over X's range.

    Both are floats that are exact binary rationals, so the map back to monomials stays exact.
    """
    z_lo, z_hi = _variable_ranges(X, indices)
    width = np.where(z_hi > z_lo, z_hi - z_lo, 1.0)
    scale = np.array([float(Fraction(2.0) / Fraction(float(w))) for w in width])
    shift = np.array([float(-Fraction(float(a)) * Fraction(float(s)) - 1) for a, s in zip(z_lo, scale)])
    return scale, shift


def _variable_ranges(X: np.ndarray, indices: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    y_lo, y_hi = X.min(axis=(0, 1)), X.max(axis=(0, 1))
    if not indices:
        return y_lo, y_hi
    s = MonomialFeatures(indices).sums(X)
    return np.concatenate([y_lo, s.min(axis=0)]), np.concatenate([y_hi, s.max(axis=0)])


def _exact_representation(n, d, d_out, indices, refined, candidates, coefficients, scale, shift, degree):
    """Psi(z) = sum_t c_t prod_k T_{e_tk}(scale_k z_k + shift_k), expanded exactly over Q.

    The Chebyshev products are expanded into monomials of z' with integer arithmetic here,
    then the exact core substitutes z' = scale z + shift (``from_terms(affine=...)``).
    """

    def exact(value: float) -> Fraction:
        return Fraction(float(value))  # the exact binary value of the float64

    cheb = _chebyshev_to_monomials(degree)
    expansions: dict[tuple[int, ...], dict[tuple[int, ...], int]] = {}

    def expand(e: tuple[int, ...]) -> dict[tuple[int, ...], int]:
        """prod_k T_{e_k}(z'_k) in monomials of z' (integers)."""
        if e not in expansions:
            terms = {(0,) * len(e): 1}
            for k, ek in enumerate(e):
                if ek:
                    new: dict[tuple[int, ...], int] = {}
                    for mono, c in terms.items():
                        for power, a in enumerate(cheb[ek]):
                            if a:
                                key = mono[:k] + (power,) + mono[k + 1 :]
                                new[key] = new.get(key, 0) + c * a
                    terms = new
            expansions[e] = terms
        return expansions[e]

    psi_terms = []
    for out in range(d_out):
        total: dict[tuple[int, ...], Fraction] = {}
        for (beta, m), c in zip(candidates, coefficients[:, out]):
            if c != 0:
                value = exact(c)
                for mono, a in expand(beta + m).items():
                    total[mono] = total.get(mono, 0) + a * value
        psi_terms.append({mono: c for mono, c in total.items() if c})
    return EquivariantRepresentation.from_terms(
        n,
        d,
        psi_terms,
        refined=refined,
        method="least-squares",
        affine=([exact(a) for a in scale], [exact(b) for b in shift]),
    )


def _fit(
    plan: _Plan,
    X: np.ndarray,
    Y: np.ndarray,
    indices,
    scale,
    shift,
    degree: int,
    rcond: float,
    solver: str,
    memory_mb: float,
    tracker: _Progress | None = None,
) -> tuple[np.ndarray, int, float]:
    """Coefficients (count x d_out) in the Chebyshev basis, numerical rank, condition number."""
    tracker = tracker or _Progress(None, 0)
    b, n, _ = X.shape
    d_out = Y.shape[2]
    count = plan.count
    sizes = _Sizes.of(b, n, count, len(plan.betas), len(plan.ms), d_out, memory_mb)
    budget = memory_mb * 1e6
    if solver == "auto" and sizes.route(solver) == "svd":
        solver = "svd"  # small: the SVD of the design matrix is cheap and the most accurate
    if solver != "svd":
        tracker.plan(b * plan.gram_units() + SOLVE_UNITS * count**3)
        chunk = sizes.chunk
        G = np.zeros((count, count), order="F")
        R = np.zeros((count, d_out))
        for start in range(0, b, chunk):
            Yf, Sf = plan.features(X[start : start + chunk], indices, scale, shift, degree)
            _normal_equations(plan, Yf, Sf, Y[start : start + chunk], G, R, tracker.add)
        coefficients, rank, condition = _solve_normal(G, R, count)
        tracker.add(SOLVE_UNITS * count**3)
        del G  # factorised in place
        if solver == "normal" or condition <= NORMAL_EQUATIONS_MAX_CONDITION or sizes.svd_bytes > budget:
            return coefficients, rank, condition
    tracker.plan(SVD_UNITS * b * n * count**2)
    Yf, Sf = plan.features(X, indices, scale, shift, degree)
    A = plan.design(Yf, Sf)
    del Yf, Sf
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    A /= norms
    solution, _, rank, singular = cast(
        "tuple[np.ndarray, np.ndarray, int, np.ndarray]",  # untyped scipy source
        scipy.linalg.lstsq(A, Y.reshape(b * n, d_out), cond=rcond, lapack_driver="gelsd", overwrite_a=True),
    )
    # condition number of the retained subspace (columns are exactly dependent when K = n)
    condition = float(singular[0] / singular[rank - 1]) if rank else math.inf
    tracker.add(SVD_UNITS * b * n * count**2)
    return solution / norms[:, None], int(rank), condition


def _name(f: Callable) -> str:
    return str(getattr(f, "name", None) or getattr(f, "__name__", None) or type(f).__name__)
