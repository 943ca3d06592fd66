"""The numeric equivariance check models, targets and users' new kinds all call (as e3nn ships one)."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyapprox import NotEquivariantError
from polyapprox.internal import PolyapproxError, ShapeError, check_int

from .._common.validate import Domain


def _permutations(n: int) -> list[np.ndarray]:
    """Every transposition (0 i) (they generate S_n), then the n-cycle, as index arrays ``perm``."""
    perms = []
    for i in range(1, n):
        perm = np.arange(n)
        perm[0], perm[i] = i, 0
        perms.append(perm)
    if n > 2:
        perms.append(np.roll(np.arange(n), 1))
    return perms


def assert_equivariant(
    model: Any,
    n: int,
    d: int,
    *,
    samples: int = 16,
    seed: int = 0,
    atol: float = 1e-9,
    domain: Domain = (0.0, 1.0),
) -> float:
    """Check f(sigma X) = sigma f(X) on seeded random sequences for every transposition (1 i) and the n-cycle.

    The transpositions (1 i) generate the symmetric group, so a map that passes is equivariant
    up to ``atol`` on the sampled sequences (the n-cycle is tried too, as the other usual
    generator). Tokens are rows: sigma moves token j to position sigma[j].

    Parameters
    ----------
    model : callable or str
        A map (b, n, d) -> (b, n, d_out): any model or ``Target``; a string is resolved as a
        registered target name or a target expression.
    n : int
        Number of tokens.
    d : int
        Token dimension.
    samples : int, default 16
        Random sequences drawn uniformly from ``domain``^(n x d).
    seed : int, default 0
        Seed of the sequences.
    atol : float, default 1e-9
        Largest absolute deviation |f(sigma X) - sigma f(X)| accepted.
    domain : tuple of float, default (0.0, 1.0)
        Every coordinate is drawn from [lo, hi].

    Returns
    -------
    float
        The largest deviation found (<= ``atol``).

    Raises
    ------
    NotEquivariantError
        With ``witness`` the first permutation sigma whose deviation exceeds ``atol`` (or is
        NaN); the message gives the deviation and where it occurs.

    Examples
    --------
    >>> assert_equivariant("centered", n=3, d=2) < 1e-15                # equal up to the order of a sum
    True
    >>> try:                                       # every token gets token 1: not equivariant
    ...     assert_equivariant(lambda X: X[:, :1, :] + 0 * X, n=3, d=1)
    ... except NotEquivariantError as error:
    ...     print(error.witness)
    (1, 0, 2)
    """
    if isinstance(model, str):
        from .._targets.resolve import resolve

        model = resolve(model)
    if not callable(model):
        raise PolyapproxError(
            f"assert_equivariant needs a callable (b, n, d) -> (b, n, d_out); got {type(model).__name__}"
        )
    n, d = check_int("n", n), check_int("d", d)
    samples = check_int("samples", samples)
    atol = float(atol)
    if not atol >= 0:
        raise PolyapproxError(f"atol must be >= 0; got {atol}")
    lo, hi = (float(v) for v in domain)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise PolyapproxError(f"domain must be finite with lo < hi; got {domain!r}")
    X = np.random.default_rng(seed).uniform(lo, hi, size=(samples, n, d))
    base = np.asarray(model(X), dtype=float)
    if base.ndim != 3 or base.shape[:2] != (samples, n):
        raise ShapeError(f"the model must map (b, n, d) = {X.shape} to (b, n, d_out); got {base.shape}")
    worst = 0.0
    for perm in _permutations(n):
        deviation = np.abs(np.asarray(model(X[:, perm]), dtype=float) - base[:, perm])
        largest = float(np.max(deviation)) if not np.isnan(deviation).any() else float("nan")
        if not largest <= atol:
            where = np.argmax(np.where(np.isnan(deviation), np.inf, deviation))
            s, i, c = (int(v) for v in np.unravel_index(where, deviation.shape))
            sigma = tuple(int(v) for v in np.argsort(perm))
            raise NotEquivariantError(
                sigma, f"max deviation {largest:.3g} > atol {atol:g} at output ({i}, {c}) of random sequence {s}"
            )
        worst = max(worst, largest)
    return worst
