"""Implementation of :mod:`constructions.targets` (private; import from there)."""

from __future__ import annotations

from dataclasses import replace
from math import e, sqrt

import numpy as np

from polyapprox.internal import check_choice

from .intervals import INTERVALS as _INTERVALS
from .intervals import softmax_attention_weights as _softmax_attention_weights
from .target import Target


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
