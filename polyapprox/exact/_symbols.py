"""The sympy symbols of the symbolic layer (the naming conventions of theory/index).

Token variables ``x{i}_{k}`` (token i, coordinate k, both 1-based); Psi's own-token
variables ``y_{k}``; power-sum variables ``p_{a1}_{a2}...`` for alpha = (a1, a2, ...).
Every function here returns the same sympy ``Symbol`` objects (no assumptions), so
expressions built anywhere in the package share variables.
"""

from __future__ import annotations

import sympy

from ._indices import MultiIndex
from ._validate import check_int, check_size

#: Most token variables n * d the exact core creates (sympy symbols; 10^5 take about a second).
MAX_TOKEN_VARIABLES = 100_000


def token_symbol(i: int, k: int) -> sympy.Symbol:
    """The variable x{i}_{k}: coordinate k of token i (both 1-based).

    Parameters
    ----------
    i : int
        Token, 1-based.
    k : int
        Coordinate, 1-based.

    Returns
    -------
    sympy.Symbol
        The symbol named ``x{i}_{k}``.

    Examples
    --------
    >>> token_symbol(2, 1)
    x2_1
    """
    return sympy.Symbol(f"x{check_int('i', i)}_{check_int('k', k)}")


def own_symbols(d: int) -> list[sympy.Symbol]:
    """The own-token variables y_1, ..., y_d of Psi.

    Parameters
    ----------
    d : int
        Token dimension d.

    Returns
    -------
    list of sympy.Symbol
        The symbols ``y_1`` ... ``y_d``.

    Examples
    --------
    >>> own_symbols(2)
    [y_1, y_2]
    """
    d = check_int("d", d)
    return [sympy.Symbol(f"y_{k}") for k in range(1, d + 1)]


def power_sum_symbol(alpha: MultiIndex) -> sympy.Symbol:
    """The power-sum variable of alpha: p_2_1 for alpha = (2, 1).

    Parameters
    ----------
    alpha : tuple of int
        A multi-index.

    Returns
    -------
    sympy.Symbol
        The symbol ``p_{alpha_1}_{alpha_2}...``.

    Examples
    --------
    >>> power_sum_symbol((2, 1))
    p_2_1
    """
    return sympy.Symbol("p_" + "_".join(str(check_int("alpha entry", a, 0)) for a in alpha))


def sequence_symbols(n: int, d: int) -> sympy.Matrix:
    """The n x d sympy Matrix of token variables; row i is token i+1.

    Parameters
    ----------
    n : int
        Number of tokens n.
    d : int
        Token dimension d.

    Returns
    -------
    sympy.Matrix
        Entry (i-1, k-1) is ``token_symbol(i, k)``.

    Examples
    --------
    >>> sequence_symbols(2, 2)
    Matrix([
    [x1_1, x1_2],
    [x2_1, x2_2]])
    """
    n = check_int("n", n)
    d = check_int("d", d)
    check_size(f"sequence_symbols(n={n}, d={d})", n * d, limit=MAX_TOKEN_VARIABLES)  # before any symbol
    return sympy.Matrix(n, d, lambda i, k: token_symbol(i + 1, k + 1))  # no-eval: entries are sympy objects built here
