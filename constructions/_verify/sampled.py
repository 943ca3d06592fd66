"""Implementation of :mod:`constructions.verify` (private; import from there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from polyapprox.internal import DomainError, PolyapproxError, ShapeError, check_int, check_seed, check_size

from .._common.validate import Domain

Model = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SupErrorResult:
    """Estimated sup-norm error: ``error`` attained at the sequence ``argmax``.

    Shapes: ``argmax`` is (n, d).

    Parameters
    ----------
    error : float
        Largest error max abs(model(X) - f(X)) found.
    argmax : numpy.ndarray
        The sequence attaining it.
    evaluations : int
        Sequences evaluated (each costs one model and one f evaluation).
    by_stage : dict of str to float
        Largest error each stage (random, grid, local) found.
    equivariance_error : float
        The model's relative equivariance error (:func:`equivariance_error`).

    Examples
    --------
    >>> from constructions import targets
    >>> f = targets.get("centered")
    >>> result = sup_error(lambda X: f(X) + 0.25 * X[..., :1] ** 2, f, n=2, d=1, search=SearchConfig(samples=64))
    >>> sorted(result.by_stage), result.argmax.shape, result.evaluations > 64
    (['grid', 'local', 'random'], (2, 1), True)
    """

    error: float
    argmax: np.ndarray = field(repr=False)
    evaluations: int
    by_stage: dict[str, float]
    equivariance_error: float


@dataclass(frozen=True)
class SearchConfig:
    """How hard :func:`sup_error` searches (every field checked when constructed).

    Parameters
    ----------
    samples : int, default 4096
        Random sequences of the first stage (>= 1).
    grid_budget : int, default 4096
        Most sequences of the grid stage (0: no grid).
    local_starts : int, default 8
        Worst points the local maximisation starts from (0: no local stage).
    local_maxiter : int, default 100
        Iterations of each L-BFGS-B run.
    batch : int, default 4096
        Sequences per model evaluation.
    equivariance_trials : int, default 8
        Permutations tried for ``equivariance_error``.

    Examples
    --------
    >>> SearchConfig(samples=64, local_starts=0).grid_budget
    4096
    >>> SearchConfig(samples=0)
    Traceback (most recent call last):
    ...
    polyapprox.exact._errors.PolyapproxError: samples must be an integer >= 1; got 0
    """

    samples: int = 4096
    grid_budget: int = 4096
    local_starts: int = 8
    local_maxiter: int = 100
    batch: int = 4096
    equivariance_trials: int = 8

    def __post_init__(self) -> None:
        check_int("samples", self.samples, minimum=1)
        check_int("grid_budget", self.grid_budget, minimum=0)
        check_int("local_starts", self.local_starts, minimum=0)
        check_int("local_maxiter", self.local_maxiter, minimum=1)
        check_int("batch", self.batch)
        check_int("equivariance_trials", self.equivariance_trials, minimum=1)


def _check_domain(domain: Domain) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise PolyapproxError(f"domain must be a pair (lo, hi); got {domain!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi and np.isfinite(hi - lo)):
        raise PolyapproxError(f"domain must be finite with lo < hi (and a finite width hi - lo); got {domain!r}")
    return lo, hi


class _ErrorOracle:
    """Evaluates max_{i,c} |model(X) - f(X)| per sequence in batches, counting evaluations."""

    def __init__(self, model: Model, f: Model, n: int, d: int, batch: int) -> None:
        self.model, self.f, self.n, self.d, self.batch = model, f, n, d, batch
        self.evaluations = 0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        out = np.empty(len(X))
        for start in range(0, len(X), self.batch):
            chunk = X[start : start + self.batch]
            got = np.asarray(self.model(chunk), dtype=float)
            want = np.asarray(self.f(chunk), dtype=float)
            if got.shape != want.shape or got.shape[:2] != chunk.shape[:2]:
                raise ShapeError(
                    f"model returns shape {got.shape} but f returns {want.shape} for a batch of shape {chunk.shape}"
                )
            if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
                which = "model" if not np.all(np.isfinite(got)) else "f"
                raise DomainError(f"{which} returned NaN or inf")
            out[start : start + len(chunk)] = np.abs(got - want).reshape(len(chunk), -1).max(axis=1)
        self.evaluations += len(X)
        return out


def _grid(n: int, d: int, lo: float, hi: float, budget: int) -> np.ndarray:
    per_axis = int(np.floor(budget ** (1.0 / (n * d)) + 1e-9))
    if per_axis < 2:
        return np.empty((0, n, d))
    axis = np.linspace(lo, hi, per_axis)
    mesh = np.stack(np.meshgrid(*([axis] * (n * d)), indexing="ij"), axis=-1)
    return mesh.reshape(-1, n, d)


def _local_maximise(
    oracle: _ErrorOracle, start: np.ndarray, lo: float, hi: float, maxiter: int
) -> tuple[float, np.ndarray]:
    shape = start.shape
    size = start.size
    h = 1e-6 * (hi - lo)

    def negative_error_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        # one batch: the point and 2*size central-difference neighbours (clipped into the box)
        steps = np.concatenate([np.zeros((1, size)), h * np.eye(size), -h * np.eye(size)])
        points = np.clip(flat[None, :] + steps, lo, hi)
        values = oracle(points.reshape((-1,) + shape))
        width = points[1 : size + 1].diagonal() - points[size + 1 :].diagonal()
        with np.errstate(invalid="ignore", divide="ignore"):
            gradient = np.where(width > 0, (values[1 : size + 1] - values[size + 1 :]) / width, 0.0)
        return -values[0], -gradient

    result = scipy.optimize.minimize(
        negative_error_and_gradient,
        start.ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(lo, hi)] * size,
        options={"maxiter": maxiter},
    )
    best = np.clip(result.x, lo, hi).reshape(shape)
    return float(oracle(best[None])[0]), best


def sup_error(
    model: Model,
    f: Model,
    n: int,
    d: int,
    *,
    domain: Domain = (0.0, 1.0),
    search: SearchConfig | None = None,
    seed: int | np.random.Generator = 0,
) -> SupErrorResult:
    """Estimated sup_X ||model(X) - f(X)||_max over the box ``domain``^(n x d).

    Three stages: random sequences, a grid (skipped when fewer than 2 points per axis fit), then
    L-BFGS-B from the worst points.

    Shapes: model and f map X (b, n, d) to (b, n, d_out); ``argmax`` is (n, d).

    Parameters
    ----------
    model : callable
        The model to check.
    f : callable
        The target.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    domain : tuple of float, default (0.0, 1.0)
        Every coordinate is drawn from [lo, hi].
    search : SearchConfig or None, default None
        Sizes of the three stages; default ``SearchConfig()``.
    seed : int | np.random.Generator, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    SupErrorResult
        The largest error found, where, and how many evaluations it took.

    Examples
    --------
    >>> from constructions import targets
    >>> f = targets.get("centered")
    >>> model = lambda X: f(X) + 0.25 * X[..., :1] ** 2      # differs by x^2 / 4, largest at x = 1
    >>> result = sup_error(model, f, n=2, d=1, search=SearchConfig(samples=64), seed=0)
    >>> round(result.error, 6), float(result.argmax.max())
    (0.25, 1.0)
    """
    n, d = check_int("n", n), check_int("d", d)
    search = SearchConfig() if search is None else search
    if not isinstance(search, SearchConfig):
        raise PolyapproxError(f"search must be a SearchConfig; got {type(search).__name__}")
    samples = search.samples
    check_size(f"sup_error's {samples:,} random sequences of shape ({n}, {d})", samples * n * d)
    lo, hi = _check_domain(domain)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_seed(seed))
    oracle = _ErrorOracle(model, f, n, d, search.batch)

    candidates = [rng.uniform(lo, hi, size=(samples, n, d)), _grid(n, d, lo, hi, search.grid_budget)]
    stage_names = ["random", "grid"]
    by_stage: dict[str, float] = {}
    points, errors = [], []
    for name, X in zip(stage_names, candidates):
        if len(X):
            e = oracle(X)
            by_stage[name] = float(e.max())
            points.append(X)
            errors.append(e)
    points_all = np.concatenate(points)
    errors_all = np.concatenate(errors)
    best_index = int(errors_all.argmax())
    best_error, best_point = float(errors_all[best_index]), points_all[best_index]

    if search.local_starts:
        local_best = -np.inf
        for index in np.argsort(errors_all)[::-1][: search.local_starts]:
            value, point = _local_maximise(oracle, points_all[index], lo, hi, search.local_maxiter)
            local_best = max(local_best, value)
            if value > best_error:
                best_error, best_point = value, point
        by_stage["local"] = float(local_best)

    eq = equivariance_error(model, n, d, domain=(lo, hi), trials=search.equivariance_trials, seed=rng)
    return SupErrorResult(best_error, best_point.copy(), oracle.evaluations, by_stage, eq)


def equivariance_error(
    model: Model,
    n: int,
    d: int,
    *,
    domain: Domain = (0.0, 1.0),
    trials: int = 8,
    batch: int = 16,
    seed: int | np.random.Generator = 0,
) -> float:
    """Relative equivariance error max |model(sigma X) - sigma model(X)| / max(1, max |model(X)|).

    Tokens are rows; 0.0 for n = 1.

    Shapes: model maps X (b, n, d) to (b, n, d_out).

    Parameters
    ----------
    model : callable
        The model to check.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    domain : tuple of float, default (0.0, 1.0)
        Every coordinate is drawn from [lo, hi].
    trials : int, default 8
        Random permutations tried.
    batch : int, default 16
        Random sequences per permutation.
    seed : int | np.random.Generator, default 0
        Seed of every random choice (reproducible).

    Returns
    -------
    float
        The largest relative error; 0.0 means equivariant to rounding.

    Examples
    --------
    >>> from constructions import targets
    >>> equivariance_error(targets.get("gaussian-kernel-sum"), n=4, d=2) < 1e-15
    True
    """
    n, d = check_int("n", n), check_int("d", d)
    trials = check_int("trials", trials, minimum=0)
    lo, hi = _check_domain(domain)
    if n == 1 or trials == 0:
        return 0.0
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_seed(seed))
    X = rng.uniform(lo, hi, size=(check_int("batch", batch), n, d))
    base = np.asarray(model(X), dtype=float)
    scale = max(1.0, float(np.abs(base).max()))
    worst = 0.0
    for _ in range(trials):
        perm = rng.permutation(n)
        moved = np.asarray(model(X[:, perm]), dtype=float)
        worst = max(worst, float(np.abs(moved - base[:, perm]).max()) / scale)
    return worst
