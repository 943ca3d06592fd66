"""Numeric checks of a user's target: its values on a batch, and equivariance f(sigma X) = sigma f(X).

The exact layer checks symbolic maps exactly; a numeric target (any callable on (b, n, d))
can only be probed: :func:`check_equivariant` tests random permutations on random sequences
and names the permutation that fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from polyapprox import NotEquivariantError
from polyapprox.internal import DomainError, PolyapproxError, ShapeError, check_int, check_nonnegative, check_seed

from .._common.validate import Domain


def target_values(f: Callable, X: np.ndarray, what: str, d_out: int | None = None) -> np.ndarray:
    """f(X) on a float batch X (b, n, d), checked: a finite (b, n, d_out) array ((b, n) reads as d_out = 1).

    ``what`` names the batch in the messages ("training samples"); ``d_out``, when given, is the
    output width f must have. Every failure is a one-line ``PolyapproxError``.
    """
    b, n = X.shape[:2]
    try:
        Y = np.asarray(f(X))
    except PolyapproxError:
        raise
    except Exception as exc:  # a user callable failed: say on which batch
        raise PolyapproxError(f"the target raised {type(exc).__name__} on the {what} {X.shape}: {exc}") from exc
    if np.iscomplexobj(Y):  # casting would drop the imaginary part silently
        raise PolyapproxError(f"the target returned complex values on the {what}; it must return real numbers")
    if Y.dtype.kind not in "biuf":
        raise PolyapproxError(
            f"the target returned an array of dtype {Y.dtype} on the {what}; it must return real numbers"
        )
    Y = Y.astype(float, copy=False)
    if Y.ndim == 2 and Y.shape == (b, n):
        Y = Y[..., None]
    if Y.ndim != 3 or Y.shape[:2] != (b, n) or (d_out is not None and Y.shape[2] != d_out):
        raise ShapeError(
            f"the target must map (b, n, d) = {X.shape} to (b, n, d_out) = ({b}, {n}, {d_out or 'd_out'}) "
            f"(f must return that shape, or (b, n) for d_out = 1); got {Y.shape} on the {what}"
        )
    if not np.all(np.isfinite(Y)):
        i = int(np.argwhere(~np.isfinite(Y))[0][0])
        raise DomainError(
            f"the target returned NaN or inf on the {what}: a non-finite value at sample {i} (input {X[i].tolist()})"
        )
    return Y


def check_equivariant(
    f: Callable, n: int, d: int, *, domain: Domain = (0.0, 1.0), trials: int = 6, rtol: float = 1e-8, seed: int = 0
) -> None:
    """Raise ``NotEquivariantError`` (with the witness permutation) if f(sigma X) != sigma f(X) numerically.

    sigma is tested on random sequences; the witness tuple sends token j to position sigma[j].
    ``rtol`` must be a finite number >= 0 (NaN would silently turn the check off).

    Shapes: f maps X (b, n, d) to (b, n, d_out).

    Parameters
    ----------
    f : callable
        The map to check.
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    domain : tuple of float, default (0.0, 1.0)
        Box [lo, hi] the random sequences are drawn from.
    trials : int, default 6
        Random permutations tried.
    rtol : float, default 1e-08
        Relative tolerance, finite and >= 0.
    seed : int, default 0
        Seed of every random choice (reproducible).

    Raises
    ------
    NotEquivariantError
        With the witness permutation.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import targets
    >>> check_equivariant(targets.get("centered"), 3, 2)       # passes silently
    >>> try:                                                     # every row is x_1
    ...     check_equivariant(lambda X: X[..., :1, :] * np.ones_like(X), 2, 1)
    ... except NotEquivariantError as error:
    ...     print(error.witness)
    (1, 0)
    """
    rtol = check_nonnegative("equivariance_rtol", rtol)
    seed = check_seed(seed)
    trials = check_int("trials", trials)
    if n == 1:
        return
    rng = np.random.default_rng(seed)
    X = rng.uniform(*domain, size=(4, n, d))
    Y = target_values(f, X, "equivariance check")
    scale = max(1.0, float(np.abs(Y).max()))
    for _ in range(trials):
        perm = rng.permutation(n)  # (sigma X)_i = x_{perm[i]}, so sigma^{-1} = perm
        moved = target_values(f, X[:, perm], "equivariance check")
        gap = np.abs(moved - Y[:, perm])
        if gap.max() > rtol * scale:
            _b, i, c = np.unravel_index(int(gap.argmax()), gap.shape)
            sigma = tuple(int(v) for v in np.argsort(perm))
            raise NotEquivariantError(
                sigma,
                f"the target is not equivariant: output ({i}, {c}) differs by "
                f"{gap.max():.3g} (tolerance {rtol:g} x {scale:.3g}); a Sumformer "
                "can only approximate equivariant maps",
            )
