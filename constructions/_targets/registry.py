"""Implementation of :mod:`constructions.targets` (private; import from there)."""

from __future__ import annotations

from collections.abc import Callable
from math import e, sqrt
from typing import Any

from polyapprox.internal import check_choice

from . import formulas as _f
from .number_systems import EnclosureForm, Formula, NumpyForm
from .target import Target


def _entry(name: str, description: str, formula: Formula, d_out: Callable[[int], int], **more: Any) -> Target:
    """A registered target from its formula, written once: numpy values and enclosures from the same text."""
    return Target(name, description, NumpyForm(formula), d_out, interval=EnclosureForm(formula), **more)


_TARGETS = [
    _entry(
        "gaussian-kernel-sum",
        "f(X)_i = sum_j exp(-|x_i - x_j|^2) (theory/continuous reference)",
        _f.gaussian_kernel_sum,
        lambda d: 1,
        # each pair: |grad g|_1 <= sqrt(d) sqrt(2/e), x_i - x_j moves by <= 2t per coordinate
        lipschitz=lambda n, d: 2 * (n - 1) * sqrt(d) * sqrt(2 / e),
    ),
    _entry(
        "softmax-attention",
        "f(X)_i = sum_j softmax_j(<x_i W_Q, x_j W_K>) x_j W_V, fixed seeded weights",
        _f.softmax_attention,
        lambda d: d,
    ),
    _entry(
        "times-mean",
        "f(X)_i = x_i * mean_j x_j (coordinate-wise)",
        _f.times_mean,
        lambda d: d,
        lipschitz=lambda n, d: 2.0,
        polynomial_degree=2,
    ),
    _entry(
        "centered",
        "f(X)_i = x_i - mean_j x_j",
        _f.centered,
        lambda d: d,
        lipschitz=lambda n, d: 2.0,
        polynomial_degree=1,
    ),
    _entry(
        "poly-mean-field",
        "f(X)_i = x_i^2 - x_i/2 + mean_j x_j^2 (token-wise polynomial + mean field)",
        _f.poly_mean_field,
        lambda d: d,
        lipschitz=lambda n, d: 3.5,
        polynomial_degree=2,
    ),
    _entry("max-inner", "f(X)_i = max_j <x_i, x_j>", _f.max_inner, lambda d: 1, lipschitz=lambda n, d: 2.0 * d),
    _entry(
        "rank", "f(X)_i = #{j : x_j < x_i} (discontinuous, d = 1)", _f.rank, lambda d: 1, continuous=False, dims=(1,)
    ),
]

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
#: (``from_expression(FORMULAS[name])`` evaluates the same operations in the same order: equal
#: values, enclosures and certified bounds, which the tests check). softmax-attention (fixed random
#: weights) and rank (a comparison) have none.
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
