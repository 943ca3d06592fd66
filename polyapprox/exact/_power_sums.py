"""Symbolic multisymmetric power sums P_alpha(X) = sum_j x_j^alpha (theory/latent)."""

from __future__ import annotations

import sympy

from ._indices import MultiIndex, power_sum_indices
from ._symbols import sequence_symbols


def monomial(x: sympy.Matrix | list, alpha: MultiIndex) -> sympy.Expr:
    """x^alpha = prod_k x_k^alpha_k for one token x (a row of symbols or numbers)."""
    return sympy.Mul(*[x[k] ** a for k, a in enumerate(alpha)])  # pyright: ignore[reportOperatorIssue]  # sympy types Matrix[k] as element-or-list


def power_sums(n: int, d: int, refined: bool = False) -> dict[MultiIndex, sympy.Expr]:
    """Map alpha -> P_alpha(X) = sum_j prod_k x{j}_{k}^alpha_k, for the continuous construction.

    Keys are ``power_sum_indices(n, d, refined)`` in graded-lex order.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.
    refined : bool, default False
        Use the power sums of degree at most n - 1 instead of n.

    Returns
    -------
    dict of tuple of int to sympy.Expr
        Every value is invariant under permuting the tokens (rows of
        ``sequence_symbols(n, d)``).

    Examples
    --------
    >>> power_sums(2, 1)
    {(1,): x1_1 + x2_1, (2,): x1_1**2 + x2_1**2}
    """
    X = sequence_symbols(n, d)
    return {
        alpha: sympy.Add(*[monomial(X.row(j), alpha) for j in range(X.rows)])
        for alpha in power_sum_indices(n, d, refined)
    }
