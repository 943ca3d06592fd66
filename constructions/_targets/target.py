"""The :class:`Target` type: a named, vectorised equivariant map with its Lipschitz constant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from polyapprox.internal import PolyapproxError, check_int

from .._common.validate import as_sequences, real_array


@dataclass(frozen=True)
class Target:
    """An equivariant benchmark function f: [0,1]^{n x d} -> R^{n x d_out}.

    Lipschitz constants are for the max norm: ||f(X) - f(Y)||_max <= L ||X - Y||_max.

    Shapes: X (n, d) -> (n, d_out); X (b, n, d) -> (b, n, d_out).

    Parameters
    ----------
    name : str
        Registry name.
    description : str
        The formula in words.
    fn : callable
        The vectorised map (b, n, d) -> (b, n, d_out).
    d_out : callable
        d -> output dimension per token.
    lipschitz : callable or None, default None
        (n, d) -> L with max-norm Lipschitz bound L on [0,1]^{n x d}, or None if not known.
    continuous : bool, default True
        False for discontinuous targets.
    dims : tuple of int or None, default None
        The token dimensions d the target accepts (None: any).
    polynomial_degree : int or None, default None
        Total degree when f is a polynomial, else None.
    interval : callable or None, default None
        Interval evaluation for certified bounds, or None.

    Examples
    --------
    >>> import numpy as np
    >>> from constructions import targets
    >>> f = targets.get("centered")
    >>> f(np.array([[0.0], [1.0]])), f.lipschitz(2, 1)
    (array([[-0.5],
           [ 0.5]]), 2.0)
    """

    name: str
    description: str
    fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    d_out: Callable[[int], int] = field(repr=False)
    lipschitz: Callable[[int, int], float] | None = field(default=None, repr=False)
    continuous: bool = True
    dims: tuple[int, ...] | None = None  # allowed d (None: any)
    polynomial_degree: int | None = None  # total degree if f is an equivariant polynomial
    # interval evaluation for certified bounds: (b, n, d) Interval/Jet -> (b, n, d_out) enclosure (None: none)
    interval: Callable[[Any], Any] | None = field(default=None, repr=False)

    def check_d(self, d: int) -> int:
        d = check_int("d", d)
        if self.dims is not None and d not in self.dims:
            raise PolyapproxError(f"target {self.name!r} is defined for d in {self.dims}; got d = {d}")
        return d

    def output_dim(self, d: int) -> int:
        """d_out of this target for token dimension d."""
        return self.d_out(self.check_d(d))

    def lipschitz_constant(self, n: int, d: int) -> float | None:
        """L in ||f(X) - f(Y)||_max <= L ||X - Y||_max, or None if unknown."""
        return None if self.lipschitz is None else float(self.lipschitz(check_int("n", n), self.check_d(d)))

    def __call__(self, X: ArrayLike) -> np.ndarray:
        """f(X) for X of shape (n, d) or (b, n, d); inputs must be finite (any real box)."""
        X = real_array(X)
        shape = X.shape
        X3, batched = as_sequences(X, None, shape[-1] if len(shape) in (2, 3) else 1)
        self.check_d(X3.shape[-1])
        out = self.fn(X3)
        return out if batched else out[0]
