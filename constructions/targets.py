"""Named equivariant benchmark functions (the benchmark targets of Alberti et al. 2023 and theory/continuous).

Each :class:`Target` is a vectorised map (n, d) or (b, n, d) -> (.., n, d_out) on the
domain [0, 1]^{n x d}, with its Lipschitz constant from (max-norm) to (max-norm)
where known, so that error bounds omega_f(t) <= L t can be stated.

>>> from constructions import targets
>>> f = targets.get("centered")
>>> f(np.array([[0.0], [1.0]]))
array([[-0.5],
       [ 0.5]])
>>> sorted(targets.names())[:3]
['centered', 'gaussian-kernel-sum', 'max-inner']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from math import e, sqrt

import numpy as np
from numpy.typing import ArrayLike

from polyapprox.internal import PolyapproxError, check_choice, check_int

from ._validate import as_sequences, real_array

__all__ = [
    "FORMULAS",
    "REGISTRY",
    "ExpressionTarget",
    "Target",
    "estimate_lipschitz",
    "formula",
    "from_callable",
    "from_expression",
    "from_spec",
    "get",
    "names",
    "resolve",
    "to_spec",
]


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
    interval: Callable[[object], object] | None = field(default=None, repr=False)

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


def _gaussian_kernel_sum(X: np.ndarray) -> np.ndarray:
    diff = X[:, :, None, :] - X[:, None, :, :]
    return np.exp(-(diff**2).sum(-1)).sum(-1, keepdims=True)


def _times_mean(X: np.ndarray) -> np.ndarray:
    return X * X.mean(axis=1, keepdims=True)


def _centered(X: np.ndarray) -> np.ndarray:
    return X - X.mean(axis=1, keepdims=True)


def _poly_mean_field(X: np.ndarray) -> np.ndarray:
    return X**2 - X / 2 + (X**2).mean(axis=1, keepdims=True)


def _max_inner(X: np.ndarray) -> np.ndarray:
    return np.einsum("bic,bjc->bij", X, X).max(axis=-1, keepdims=True)


def _softmax_attention_weights(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234 + d)  # fixed weights per d (seeded)
    W_Q, W_K, W_V = (rng.normal(scale=1 / sqrt(d), size=(d, d)) for _ in range(3))
    return W_Q, W_K, W_V


def _softmax_attention(X: np.ndarray) -> np.ndarray:
    W_Q, W_K, W_V = _softmax_attention_weights(X.shape[-1])
    scores = (X @ W_Q) @ np.swapaxes(X @ W_K, 1, 2)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ (X @ W_V)


def _rank(X: np.ndarray) -> np.ndarray:
    x = X[..., 0]
    return (x[:, None, :] < x[:, :, None]).sum(axis=-1, keepdims=True).astype(float)


_TARGETS = [
    Target(
        "gaussian-kernel-sum",
        "f(X)_i = sum_j exp(-|x_i - x_j|^2) (theory/continuous reference)",
        _gaussian_kernel_sum,
        lambda d: 1,
        # each pair: |grad g|_1 <= sqrt(d) sqrt(2/e), x_i - x_j moves by <= 2t per coordinate
        lambda n, d: 2 * (n - 1) * sqrt(d) * sqrt(2 / e),
    ),
    Target(
        "softmax-attention",
        "f(X)_i = sum_j softmax_j(<x_i W_Q, x_j W_K>) x_j W_V, fixed seeded weights",
        _softmax_attention,
        lambda d: d,
    ),
    Target(
        "times-mean",
        "f(X)_i = x_i * mean_j x_j (coordinate-wise)",
        _times_mean,
        lambda d: d,
        lambda n, d: 2.0,
        polynomial_degree=2,
    ),
    Target("centered", "f(X)_i = x_i - mean_j x_j", _centered, lambda d: d, lambda n, d: 2.0, polynomial_degree=1),
    Target(
        "poly-mean-field",
        "f(X)_i = x_i^2 - x_i/2 + mean_j x_j^2 (token-wise polynomial + mean field)",
        _poly_mean_field,
        lambda d: d,
        lambda n, d: 3.5,
        polynomial_degree=2,
    ),
    Target("max-inner", "f(X)_i = max_j <x_i, x_j>", _max_inner, lambda d: 1, lambda n, d: 2.0 * d),
    Target("rank", "f(X)_i = #{j : x_j < x_i} (discontinuous, d = 1)", _rank, lambda d: 1, continuous=False, dims=(1,)),
]

# interval evaluations (certified error bounds), attached by name to the table above
from ._target_intervals import INTERVALS as _INTERVALS  # noqa: E402

_TARGETS = [replace(t, interval=_INTERVALS.get(t.name, t.interval)) for t in _TARGETS]

REGISTRY: dict[str, Target] = {t.name: t for t in _TARGETS}


def names() -> list[str]:
    """List the names of the registered targets.

    Returns
    -------
    list of str
        In registration order.

    Examples
    --------
    >>> "centered" in names()
    True
    """
    return list(REGISTRY)


def get(name: str) -> Target:
    """The registered target called ``name``.

    Parameters
    ----------
    name : str
        A registered name (see :func:`names`).

    Returns
    -------
    Target
        The target.

    Raises
    ------
    UnknownNameError
        Listing the registered names.

    Examples
    --------
    >>> get("centered").description
    'f(X)_i = x_i - mean_j x_j'
    """
    return REGISTRY[check_choice("target", name, REGISTRY)]


#: Target-expression formulas of the registered targets that the expression language can write
#: (``from_expression(FORMULAS[name])`` computes the same map; tests check it against the
#: hand-written numpy above). softmax-attention (fixed random weights) and rank (a comparison)
#: have none.
FORMULAS: dict[str, str] = {
    "gaussian-kernel-sum": "sum_j(exp(-norm2(x_i - x_j)))",
    "times-mean": "x_i * mean_j(x_j)",
    "centered": "x_i - mean_j(x_j)",
    "poly-mean-field": "x_i**2 - x_i/2 + mean_j(x_j**2)",
    "max-inner": "max_j(dot(x_i, x_j))",
}


def formula(name: str) -> str:
    """The formula of a registered target: its target expression if it has one, else its description.

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    str
        The formula.

    Examples
    --------
    >>> formula("centered")
    'x_i - mean_j(x_j)'
    """
    target = get(name)
    return FORMULAS.get(target.name, target.description)


from ._expression import ExpressionTarget as ExpressionTarget  # noqa: E402  (needs Target above)
from ._expression import estimate_lipschitz as estimate_lipschitz  # noqa: E402
from ._expression import from_expression as from_expression  # noqa: E402
from ._resolve import from_callable as from_callable  # noqa: E402
from ._resolve import from_spec as from_spec  # noqa: E402
from ._resolve import resolve as resolve  # noqa: E402
from ._resolve import to_spec as to_spec  # noqa: E402
