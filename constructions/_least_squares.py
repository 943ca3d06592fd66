"""Least squares in Sumformer form: fit Psi of weighted degree <= D to a numeric equivariant target.

Rows are (sequence, token) pairs, columns the candidate terms T_{beta,m}(x_i, P(X)) in
canonical order; every variable is mapped affinely onto [-1, 1] for conditioning; the exact
core turns the float64 solution into an exact rational representation (Alberti et al. 2023,
continuous theorem: only the degree of psi grows as the error falls).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.linalg

from polyapprox import EquivariantRepresentation, candidate_terms, power_sum_indices
from polyapprox.internal import PolyapproxError, check_int

from ._features import MonomialFeatures
from ._polynomial_sumformer import PolynomialSumformer
from ._target_checks import check_equivariant, target_values
from ._validate import Domain


@dataclass(frozen=True)
class ApproximationReport:
    """What :func:`approximate` did and how well the fit does (sup and RMS errors over all entries)."""

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
    condition_number: float  # largest / smallest retained singular value, after column scaling
    fit_sup_error: float
    fit_rms_error: float
    test_sup_error: float
    test_rms_error: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return "\n".join(f"{key:>17}: {value:.3g}" if isinstance(value, float) else f"{key:>17}: {value}"
                         for key, value in self.to_dict().items())


def _design(X: np.ndarray, indices: tuple[tuple[int, ...], ...], exponents: list[tuple[int, ...]],
            scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Rows (sequence, token): candidate values T(z'), z' = scale * [x_i, P(X)] + shift (in [-1, 1])."""
    b, n, d = X.shape
    y = X.reshape(b * n, d)
    if indices:
        s = np.repeat(MonomialFeatures(indices).sums(X), n, axis=0)
        z = np.concatenate([y, s], axis=1)
    else:
        z = y
    z = z * scale + shift
    varying = [e for e in exponents if sum(e) > 0]
    columns = MonomialFeatures(varying)(z)
    return np.concatenate([np.ones((len(z), 1)), columns], axis=1)  # exponents[0] is the constant


def approximate(
    f: Callable[[np.ndarray], np.ndarray],
    n: int,
    d: int,
    degree: int,
    *,
    domain: Domain = (0.0, 1.0),
    samples: int | None = None,
    test_samples: int | None = None,
    seed: int = 0,
    refined: bool = False,
    rcond: float = 1e-13,
    equivariance_rtol: float = 1e-8,
) -> tuple[PolynomialSumformer, ApproximationReport]:
    """Fit an equivariant polynomial of total degree ``degree`` to f, in exact Sumformer form.

    theory/continuous, "least squares in Sumformer form": rows are (sequence, token) pairs,
    columns the candidates T_{beta,m}(x_i, P_{<=K}(X)) of weighted degree <= ``degree``
    (canonical order of section 4), K = n (or n - 1 if ``refined``). Each variable is first
    mapped affinely onto [-1, 1] (range over the training set) for conditioning; the system is
    solved by SVD with relative cutoff ``rcond`` after column scaling. The coefficients are
    then made exact rationals (exact binary values of the float64 fit) and mapped back to the
    original variables exactly, so the result is an :class:`EquivariantRepresentation` and
    saving is lossless. ``f`` is checked for equivariance first (``NotEquivariantError``).

    ``samples`` (default max(4000, 2 x coefficients / n)) training and ``test_samples``
    (default = samples) independent test sequences are drawn uniformly from the box, seeded.

    >>> from constructions import targets
    >>> S, report = approximate(targets.get("poly-mean-field"), n=3, d=1, degree=2, samples=200)
    >>> report.coefficients, report.test_sup_error < 1e-12        # the target is a degree-2 polynomial
    (7, True)
    """
    n, d = check_int("n", n), check_int("d", d)
    degree = check_int("degree", degree)
    lo, hi = (float(v) for v in domain)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise PolyapproxError(f"domain must be (lo, hi) with lo < hi; got {domain!r}")
    if not callable(f):
        raise PolyapproxError(f"f must be a callable (b, n, d) -> (b, n, d_out); got {type(f).__name__}")
    start = time.perf_counter()
    check_equivariant(f, n, d, domain=(lo, hi), rtol=equivariance_rtol, seed=seed)

    indices = tuple(power_sum_indices(n, d, refined=refined))
    candidates = candidate_terms(d, indices, degree)
    exponents = [beta + m for beta, m in candidates]
    count = len(candidates)
    samples = max(4000, math.ceil(2 * count / n)) if samples is None else check_int("samples", samples)
    test_samples = samples if test_samples is None else check_int("test_samples", test_samples)
    if samples * n < count:
        raise PolyapproxError(f"underdetermined fit: {count} coefficients but only {samples} x {n} = "
                              f"{samples * n} (sequence, token) rows; use samples >= {math.ceil(count / n)}")

    rng = np.random.default_rng(seed)
    X_train = rng.uniform(lo, hi, size=(samples, n, d))
    X_test = rng.uniform(lo, hi, size=(test_samples, n, d))
    Y_train = target_values(f, X_train, n, "training samples")
    d_out = Y_train.shape[2]

    # affine map of every variable (y_1..y_d, s_gamma) onto [-1, 1], exact rationals
    z_lo, z_hi = _variable_ranges(X_train, indices)
    width = np.where(z_hi > z_lo, z_hi - z_lo, 1.0)
    scale = np.array([float(Fraction(2.0) / Fraction(float(w))) for w in width])
    shift = np.array([float(-Fraction(float(a)) * Fraction(float(s)) - 1) for a, s in zip(z_lo, scale)])

    A = _design(X_train, indices, exponents, scale, shift)
    B = Y_train.reshape(samples * n, d_out)
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    solution, _, rank, singular = scipy.linalg.lstsq(A / norms, B, cond=rcond, lapack_driver="gelsd")
    coefficients = solution / norms[:, None]
    # condition number of the retained subspace (columns are exactly dependent when K = n)
    condition = float(singular[0] / singular[rank - 1]) if rank else math.inf

    rep = _exact_representation(n, d, d_out, indices, refined, exponents, coefficients, scale, shift)
    model = PolynomialSumformer(rep, domain=(lo, hi),
                                description=f"least-squares fit of degree {degree} to {_name(f)}")
    model.target = f
    fit = np.abs(model(X_train) - Y_train)
    test = np.abs(model(X_test) - target_values(f, X_test, n, "test samples"))
    report = ApproximationReport(
        target=_name(f), n=n, d=d, d_out=d_out, degree=degree, refined=refined, latent_dim=len(indices),
        coefficients=count, samples=samples, test_samples=test_samples, rank=int(rank),
        condition_number=condition, fit_sup_error=float(fit.max()), fit_rms_error=float(np.sqrt((fit**2).mean())),
        test_sup_error=float(test.max()), test_rms_error=float(np.sqrt((test**2).mean())),
        seconds=time.perf_counter() - start)
    return model, report


def _variable_ranges(X: np.ndarray, indices: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    y_lo, y_hi = X.min(axis=(0, 1)), X.max(axis=(0, 1))
    if not indices:
        return y_lo, y_hi
    s = MonomialFeatures(indices).sums(X)
    return np.concatenate([y_lo, s.min(axis=0)]), np.concatenate([y_hi, s.max(axis=0)])


def _exact_representation(n, d, d_out, indices, refined, exponents, coefficients, scale, shift):
    """Psi(z) = sum_t c_t prod_k (scale_k z_k + shift_k)^{e_tk}, expanded exactly over Q by the exact core."""
    def exact(value: float) -> Fraction:
        return Fraction(float(value))  # the exact binary value of the float64

    psi_terms = [{e: exact(c) for e, c in zip(exponents, coefficients[:, out]) if c != 0} for out in range(d_out)]
    return EquivariantRepresentation.from_terms(n, d, psi_terms, refined=refined, method="least-squares",
                                                affine=([exact(a) for a in scale], [exact(b) for b in shift]))


def _name(f: Callable) -> str:
    return str(getattr(f, "name", None) or getattr(f, "__name__", None) or type(f).__name__)
