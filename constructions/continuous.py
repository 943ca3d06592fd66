"""Continuous Sumformer: numeric phi/psi from exact representations, and least-squares approximation.

MATH.md section 5 (continuous universal approximation; a reconstruction of [A]'s theorem):
phi(x) = (x^alpha)_{alpha in I_{d,K}} is fixed, and psi = Psi is a polynomial with
F_i(X) = Psi(x_i, P_{<=K}(X)). :func:`from_representation` turns an exact
:class:`polyapprox.EquivariantRepresentation` into a vectorised :class:`PolynomialSumformer`;
:func:`approximate` fits Psi by least squares in Sumformer form ("main route" of section 5)
to any numeric equivariant target and returns the exact rational representation of the fit.

Saved models (:func:`save`, :func:`load`) are JSON::

    {"format": "polyapprox.sumformer/1", "kind": "continuous",
     "representation": rep.to_dict(),      # Psi as exact rationals, read back by the safe parser
     "domain": [lo, hi], "meta": {...}}

Loading never executes anything from the file: JSON is data, and Psi goes through the safe
polynomial parser of :meth:`polyapprox.EquivariantRepresentation.from_dict`.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.linalg

from polyapprox import EquivariantRepresentation, NotEquivariantError, PolyapproxError, ShapeError
from polyapprox._candidates import candidate_terms
from polyapprox.internal import DomainError
from polyapprox._indices import MultiIndex, power_sum_indices
from polyapprox._poly import psi_gens, terms_to_expr, to_fraction
from polyapprox.internal import check_int

from ._features import MonomialFeatures
from ._sumformer import Sumformer
from ._validate import Domain, as_sequences

FORMAT = "polyapprox.sumformer/1"


class _PolynomialEvaluator:
    """Vectorised evaluation of sum_t c_t z^{e_t} (one column per output) on rows z of shape (m, v)."""

    def __init__(self, exponents: list[tuple[int, ...]], coefficients: np.ndarray, width: int) -> None:
        self.width = width
        constant = [j for j, e in enumerate(exponents) if sum(e) == 0]
        varying = [j for j, e in enumerate(exponents) if sum(e) > 0]
        self.constant = coefficients[constant].sum(axis=0) if constant else np.zeros(coefficients.shape[1])
        self.features = MonomialFeatures([exponents[j] for j in varying]) if varying else None
        self.matrix = coefficients[varying]

    def __call__(self, z: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(self.constant, (len(z), len(self.constant))).copy()
        if self.features is not None:
            out += self.features(z) @ self.matrix
        return out


def _compile_psi(rep: EquivariantRepresentation) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """psi(y, s) = Psi(y, s) evaluated from the exact coefficients (as float64), no sympy at call time."""
    per_output = rep.coefficients()
    exponents = sorted({beta + m for terms in per_output for beta, m in terms})
    slot = {e: j for j, e in enumerate(exponents)}
    C = np.zeros((max(len(exponents), 1), rep.d_out))
    for out, terms in enumerate(per_output):
        for (beta, m), c in terms.items():
            C[slot[beta + m], out] = float(c)
    evaluator = _PolynomialEvaluator(exponents or [(0,) * (rep.d + rep.latent_dim)], C, rep.d + rep.latent_dim)

    def psi(y: np.ndarray, s: np.ndarray) -> np.ndarray:
        return evaluator(np.concatenate([y, s], axis=1))

    return psi


class PolynomialSumformer(Sumformer):
    """A Sumformer whose phi are the power-sum monomials and psi an exact polynomial Psi.

    S(X)_i = Psi(x_i, P_{<=K}(X)) (MATH.md section 4, Theorem; section 5). ``representation``
    holds the exact Psi; ``indices`` the power-sum alphas (latent dimension d' = len(indices)).
    Inputs must have exactly ``n`` tokens and lie in ``domain`` (pass ``extrapolate=True`` to a
    call to evaluate outside it).
    """

    def __init__(self, representation: EquivariantRepresentation, *, domain: Domain = (0.0, 1.0),
                 description: str = "") -> None:
        if not isinstance(representation, EquivariantRepresentation):
            raise PolyapproxError("representation must be a polyapprox.EquivariantRepresentation; "
                                  f"got {type(representation).__name__}")
        rep = representation
        indices = tuple(rep.indices)
        if indices:
            features = MonomialFeatures(indices)
            phi = features
        else:  # n = 1, refined: no power sums at all
            phi = lambda x: np.zeros((len(x), 0))  # noqa: E731
        super().__init__(phi, _compile_psi(rep), len(indices), rep.d, rep.d_out, n=rep.n, domain=domain,
                         description=description or f"phi = power sums |alpha| <= {rep.K}, psi = exact Psi "
                                                    f"({sum(len(t) for t in rep.coefficients())} terms)")
        self.representation = rep
        self.indices = indices
        self.target = None  # the target a fit approximates (set by approximate; model files record it)


def from_representation(rep: EquivariantRepresentation, *, domain: Domain = (0.0, 1.0)) -> PolynomialSumformer:
    """The Sumformer of an exact representation: phi = power sums of ``rep.indices``, psi = ``rep.Psi``.

    MATH.md section 4 Theorem: S(X)_i = Psi(x_i, P(X)) equals F_i(X) exactly; numerically up to
    float64 rounding. psi is evaluated from the exact coefficients, vectorised over all tokens.

    >>> from polyapprox import represent_equivariant, sequence_symbols
    >>> X = sequence_symbols(2, 1)
    >>> S = from_representation(represent_equivariant(X.applyfunc(lambda xi: xi * sum(X)), 2, 1))
    >>> S(np.array([[0.5], [0.25]]))        # F_i = x_i (x_1 + x_2)
    array([[0.375 ],
           [0.1875]])
    """
    return PolynomialSumformer(rep, domain=domain)


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
    rank: int  # numerical rank of the design matrix (dependent columns: MATH.md section 4)
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


def _target_values(f: Callable, X: np.ndarray, n: int, what: str) -> np.ndarray:
    try:
        Y = np.asarray(f(X), dtype=float)
    except PolyapproxError:
        raise
    except Exception as exc:  # a user callable failed: say which call
        raise PolyapproxError(f"the target raised {type(exc).__name__} on a batch of shape {X.shape}: {exc}") from exc
    if Y.ndim != 3 or Y.shape[:2] != X.shape[:2]:
        raise ShapeError(f"the target must map (b, n, d) = {X.shape} to (b, {n}, d_out); got {Y.shape} ({what})")
    if not np.all(np.isfinite(Y)):
        raise DomainError(f"the target returned NaN or inf ({what})")
    return Y


def check_equivariant(f: Callable, n: int, d: int, *, domain: Domain = (0.0, 1.0), trials: int = 6,
                      rtol: float = 1e-8, seed: int = 0) -> None:
    """Raise ``NotEquivariantError`` (with the witness permutation) if f(sigma X) != sigma f(X) numerically.

    sigma is tested on random sequences; the witness tuple sends token j to position sigma[j].
    """
    if n == 1:
        return
    rng = np.random.default_rng(seed)
    X = rng.uniform(*domain, size=(4, n, d))
    Y = _target_values(f, X, n, "equivariance check")
    scale = max(1.0, float(np.abs(Y).max()))
    for _ in range(trials):
        perm = rng.permutation(n)  # (sigma X)_i = x_{perm[i]}, so sigma^{-1} = perm
        moved = _target_values(f, X[:, perm], n, "equivariance check")
        gap = np.abs(moved - Y[:, perm])
        if gap.max() > rtol * scale:
            b, i, c = np.unravel_index(int(gap.argmax()), gap.shape)
            sigma = tuple(int(v) for v in np.argsort(perm))
            raise NotEquivariantError(sigma, f"the target is not equivariant: output ({i}, {c}) differs by "
                                             f"{gap.max():.3g} (tolerance {rtol:g} x {scale:.3g}); a Sumformer "
                                             "can only approximate equivariant maps")


def _design(X: np.ndarray, indices: tuple[MultiIndex, ...], exponents: list[tuple[int, ...]],
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

    MATH.md section 5, "least squares in Sumformer form": rows are (sequence, token) pairs,
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
    Y_train = _target_values(f, X_train, n, "training samples")
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
    test = np.abs(model(X_test) - _target_values(f, X_test, n, "test samples"))
    report = ApproximationReport(
        target=_name(f), n=n, d=d, d_out=d_out, degree=degree, refined=refined, latent_dim=len(indices),
        coefficients=count, samples=samples, test_samples=test_samples, rank=int(rank),
        condition_number=condition, fit_sup_error=float(fit.max()), fit_rms_error=float(np.sqrt((fit**2).mean())),
        test_sup_error=float(test.max()), test_rms_error=float(np.sqrt((test**2).mean())),
        seconds=time.perf_counter() - start)
    return model, report


def _variable_ranges(X: np.ndarray, indices: tuple[MultiIndex, ...]) -> tuple[np.ndarray, np.ndarray]:
    y_lo, y_hi = X.min(axis=(0, 1)), X.max(axis=(0, 1))
    if not indices:
        return y_lo, y_hi
    s = MonomialFeatures(indices).sums(X)
    return np.concatenate([y_lo, s.min(axis=0)]), np.concatenate([y_hi, s.max(axis=0)])


def _exact_representation(n, d, d_out, indices, refined, exponents, coefficients, scale, shift):
    """Psi(z) = sum_t c_t prod_k (scale_k z_k + shift_k)^{e_tk}, expanded exactly over Q."""
    from sympy.polys.rings import ring
    from sympy import QQ

    def exact(value: float):
        q = Fraction(float(value))
        return QQ(q.numerator, q.denominator)

    gens = psi_gens(d, indices)
    R, *z = ring([g.name for g in gens], QQ)
    affine = [exact(a) * zk + exact(b) for a, b, zk in zip(scale, shift, z)]
    powers: dict[tuple[int, int], Any] = {}

    def power(k: int, e: int):
        if (k, e) not in powers:
            powers[(k, e)] = affine[k] ** e
        return powers[(k, e)]

    basis = []
    for e in exponents:
        term = R.one
        for k, ek in enumerate(e):
            if ek:
                term = term * power(k, ek)
        basis.append(term)
    Psi = []
    for out in range(d_out):
        poly = R.zero
        for c, term in zip(coefficients[:, out], basis):
            if c != 0:
                poly += exact(c) * term
        terms = {monom: to_fraction(c) for monom, c in poly.terms()}
        Psi.append(terms_to_expr(terms, gens))
    import sympy

    return EquivariantRepresentation(n, d, d_out, indices, sympy.Matrix([Psi]), refined=refined,  # no-eval: sympy objects built here
                                     method="least-squares")


def _name(f: Callable) -> str:
    return str(getattr(f, "name", None) or getattr(f, "__name__", None) or type(f).__name__)


def save(model: PolynomialSumformer, path: str | os.PathLike, *, meta: dict | None = None) -> None:
    """Write ``model`` as JSON (module docstring); exact, so :func:`load` gives an equal model.

    ``constructions.save`` writes the same model (and every other kind) as a safetensors file.
    """
    if not isinstance(model, PolynomialSumformer):
        raise PolyapproxError(f"only continuous PolynomialSumformer models can be saved; got {type(model).__name__}")
    from ._modelfile import write_atomic

    data = {"format": FORMAT, "kind": "continuous", "representation": model.representation.to_dict(),
            "domain": list(model.domain), "meta": dict(meta or {})}
    write_atomic(path, json.dumps(data, indent=1, default=str).encode("utf-8"))


def load(path: str | os.PathLike, *, max_bytes: int | None = None) -> PolynomialSumformer:
    """Read a model written by :func:`save`, validating everything; nothing in the file is executed.

    Also reads continuous models written by ``constructions.save``. Only regular files of at
    most ``max_bytes`` (default ``constructions.MAX_MODEL_BYTES``) are read; symlinks, FIFOs
    and devices are refused.
    """
    from ._modelfile import MAX_BYTES, _json, read, read_bytes

    path = os.fspath(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    data = read_bytes(path, limit)
    if data[:1] != b"{":  # a constructions.save file (safetensors)
        info = read(path, max_bytes=limit)
        if info.kind != "continuous":
            raise PolyapproxError(f"{path!r} holds a {info.kind} model; read it with constructions.load")
        return info.model
    return model_from_json(_json(data, path, "the file"), path)


def model_from_json(data: Any, path: str = "model") -> PolynomialSumformer:
    """The model of a parsed JSON document written by :func:`save` (validated field by field)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PolyapproxError(f"{str(path)!r} is not a polyapprox model file (expected format {FORMAT!r})")
    if data.get("kind") != "continuous":
        raise PolyapproxError(f"unsupported model kind {data.get('kind')!r}; this loader reads 'continuous'")
    unknown = sorted(set(data) - {"format", "kind", "representation", "domain", "meta"})
    if unknown:
        raise PolyapproxError(f"unexpected keys in model file: {unknown}")
    domain = data.get("domain")
    if (not isinstance(domain, list) or len(domain) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in domain)):
        raise PolyapproxError(f"model file: domain must be a list [lo, hi] of numbers; got {domain!r}")
    rep = EquivariantRepresentation.from_dict(data.get("representation"))
    return PolynomialSumformer(rep, domain=(float(domain[0]), float(domain[1])))
