"""Candidate terms T_{beta,m}(y, s) = y^beta prod_gamma s_gamma^{m_gamma} (theory/representation, step 3).

The canonical order: beta in graded-lex order starting with beta = 0; for fixed beta,
the exponent tuples m = (m_{gamma_1}, m_{gamma_2}, ...) in increasing lexicographic
order (m_{gamma_1} most significant). Weighted degree |beta| + sum_gamma m_gamma |gamma| <= D.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ._indices import MultiIndex, multi_indices
from ._validate import check_int, check_size

Candidate = tuple[MultiIndex, tuple[int, ...]]  # (beta, m)


def _exponent_tuples(weights: Sequence[int], budget: int) -> Iterator[tuple[int, ...]]:
    """All m in N^len(weights) with sum m_j weights_j <= budget, increasing lexicographic order.

    Iterative (an odometer), so the number of power sums may be any size: increment the last
    position that still fits the budget, resetting the positions after it.
    """
    k = len(weights)
    m, used = [0] * k, 0
    while True:
        yield tuple(m)
        j = k - 1
        while j >= 0:
            if used + weights[j] <= budget:
                m[j] += 1
                used += weights[j]
                break
            used -= m[j] * weights[j]
            m[j] = 0
            j -= 1
        if j < 0:
            return


def power_sum_products_by_degree(indices: Sequence[MultiIndex], degree: int) -> list[int]:
    """ways[t] = number of m with sum_gamma m_gamma |gamma| = t, t = 0..degree (coin-change recursion).

    >>> power_sum_products_by_degree([(1,), (2,)], 4)   # s_1^a s_2^b with a + 2b = t
    [1, 1, 2, 2, 3]
    """
    ways = [1] + [0] * degree
    for gamma in indices:
        w = sum(gamma)
        for t in range(w, degree + 1):
            ways[t] += ways[t - w]
    return ways


def count_candidates(d: int, indices: Sequence[MultiIndex], degree: int) -> int:
    """Number of candidate terms, by dynamic programming (no enumeration).

    Parameters
    ----------
    d : int
        Token dimension d.
    indices : sequence of tuple of int
        The power-sum alphas Gamma, e.g. ``power_sum_indices(n, d)``.
    degree : int
        Largest weighted degree of a candidate.

    Returns
    -------
    int
        The length of ``candidate_terms(d, indices, degree)``.

    Examples
    --------
    >>> from polyapprox import power_sum_indices
    >>> count_candidates(2, power_sum_indices(2, 2), 3)   # theory/representation: (n,d,D,K) = (2,2,3,2)
    50
    """
    d = check_int("d", d)
    degree = check_int("degree", degree, minimum=0)
    # the counting itself takes len(indices) * degree steps: refuse absurd degrees before it
    check_size(f"count_candidates(d={d}, degree={degree:,}, {len(indices):,} power sums)", len(indices) * degree)
    ways = power_sum_products_by_degree(indices, degree)
    from itertools import accumulate
    from math import comb

    # betas of degree b: C(b+d-1, d-1); m of weighted degree <= degree - b
    prefix = list(accumulate(ways))
    return sum(comb(b + d - 1, d - 1) * prefix[degree - b] for b in range(degree + 1))


def candidate_terms(d: int, indices: Sequence[MultiIndex], degree: int) -> list[Candidate]:
    """The candidate terms (beta, m) of weighted degree <= ``degree``, in canonical order.

    Parameters
    ----------
    d : int
        Token dimension d.
    indices : sequence of tuple of int
        The power-sum alphas Gamma (graded-lex), e.g. ``power_sum_indices(n, d)``.
    degree : int
        Largest weighted degree of a candidate.

    Returns
    -------
    list of (beta, m)
        A list whose length is :func:`count_candidates`.

    Raises
    ------
    SizeError
        When the list would exceed ten million terms.

    Examples
    --------
    >>> candidate_terms(1, [(1,), (2,)], 2)
    [((0,), (0, 0)), ((0,), (0, 1)), ((0,), (1, 0)), ((0,), (2, 0)), ((1,), (0, 0)), ((1,), (1, 0)), ((2,), (0, 0))]
    """
    check_size(f"candidate_terms(d={d}, degree={degree})", count_candidates(d, indices, degree))
    weights = [sum(gamma) for gamma in indices]
    return [
        (beta, m)
        for beta in multi_indices(d, degree, min_degree=0)
        for m in _exponent_tuples(weights, degree - sum(beta))
    ]


def weighted_degree(candidate: Candidate, indices: Sequence[MultiIndex]) -> int:
    """|beta| + sum_gamma m_gamma |gamma|: the degree of T_{beta,m}(x_1, P(X))."""
    beta, m = candidate
    return sum(beta) + sum(mj * sum(gamma) for mj, gamma in zip(m, indices))
