"""Numeric monomial and power-sum features, built incrementally (theory/latent).

Each monomial x^alpha is computed as x^(alpha - e_c) * x_c from a lower one, so a
feature map of d' monomials costs d' vectorised multiplications, never a power.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from polyapprox.internal import PolyapproxError

from .._common.monomial_plan import downward_closure, parent
from .._common.validate import as_sequences

MultiIndex = tuple[int, ...]


class MonomialFeatures:
    """The map x -> (x^alpha)_{alpha in indices} on tokens, and its token sums.

    The plan closes ``indices`` under 'remove one unit from the last non-zero
    coordinate' and evaluates each monomial as its parent times one coordinate.

    Shapes: x (..., d) -> (..., d'), d' = len(indices).

    Parameters
    ----------
    indices : sequence of tuple of int
        The exponents alpha, in the order of the output columns.

    Examples
    --------
    >>> f = MonomialFeatures([(1, 0), (0, 1), (2, 1)])
    >>> f(np.array([[2.0, 3.0]]))
    array([[ 2.,  3., 12.]])
    """

    def __init__(self, indices: Sequence[MultiIndex]) -> None:
        indices = [tuple(int(a) for a in alpha) for alpha in indices]
        if not indices:
            raise PolyapproxError("MonomialFeatures needs at least one multi-index")
        d = len(indices[0])
        if d < 1 or any(len(a) != d or min(a) < 0 or sum(a) < 1 for a in indices):
            raise PolyapproxError(
                f"multi-indices must all have the same length d >= 1, entries >= 0, degree >= 1; got {indices}"
            )
        self.indices = indices
        self.d = d
        # plan: every alpha needed, in order of degree, with (parent slot or -1, coordinate)
        order = downward_closure(indices)
        slot = {alpha: i for i, alpha in enumerate(order)}
        self._steps: list[tuple[int, int]] = []
        for alpha in order:
            up, c = parent(alpha)
            self._steps.append((slot[up] if sum(up) else -1, c))
        self._select = np.array([slot[a] for a in indices])

    def __len__(self) -> int:
        return len(self.indices)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Monomials of tokens: x of shape (..., d) -> (..., d')."""
        return np.moveaxis(self._columns(x)[self._select], 0, -1)

    def _columns(self, x: np.ndarray) -> np.ndarray:
        """Every planned monomial, feature axis first: (..., d) -> (steps, ...)."""
        x = np.asarray(x, dtype=float)
        if x.ndim < 1 or x.shape[-1] != self.d:
            raise PolyapproxError(f"tokens must have last axis d = {self.d}; got shape {x.shape}")
        columns = np.empty((len(self._steps),) + x.shape[:-1])
        coords = np.moveaxis(x, -1, 0)
        for j, (up, c) in enumerate(self._steps):
            if up < 0:
                columns[j] = coords[c]
            else:
                np.multiply(columns[up], coords[c], out=columns[j])
        return columns

    def sums(self, X: np.ndarray) -> np.ndarray:
        """Power sums P_alpha(X) = sum_j x_j^alpha.

        Shapes: X (..., n, d) -> (..., d').
        """
        X = np.asarray(X, dtype=float)
        if X.ndim < 2:
            raise PolyapproxError(f"sequences must have shape (..., n, {self.d}); got {X.shape}")
        return np.moveaxis(self._columns(X).sum(axis=-1)[self._select], 0, -1)


def power_sum_features(X: object, indices: Sequence[MultiIndex]) -> tuple[np.ndarray, np.ndarray]:
    """Monomial features and their sums for sequences X of shape (n, d) or (b, n, d).

    Shapes: X (n, d) -> (n, d'), (d',); X (b, n, d) -> (b, n, d'), (b, d').

    Parameters
    ----------
    X : array_like
        Sequences.
    indices : sequence of tuple of int
        The exponents alpha.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        ``(features, sums)`` of shapes (b, n, d') and (b, d') (without the batch axis for a
        single sequence), features[..., j, :] = x_j^alpha.

    Examples
    --------
    >>> feats, sums = power_sum_features([[1.0], [2.0]], [(1,), (2,)])
    >>> sums
    array([3., 5.])
    """
    features_map = MonomialFeatures(indices)
    X3, batched = as_sequences(X, None, features_map.d)
    features = features_map(X3)
    sums = features.sum(axis=-2)
    return (features, sums) if batched else (features[0], sums[0])
