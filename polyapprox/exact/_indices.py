"""Multi-indices in graded-lex order (theory/index, theory/latent)."""

from __future__ import annotations

from collections.abc import Iterator
from math import comb, lgamma, log

from ._errors import SizeError
from ._validate import check_int, check_size

MultiIndex = tuple[int, ...]


def count_multi_indices(d: int, max_degree: int, min_degree: int = 1) -> int:
    """Number of alpha in N^d with min_degree <= |alpha| <= max_degree (stars and bars).

    >>> count_multi_indices(2, 2)
    5
    """
    d = check_int("d", d)
    max_degree = check_int("max_degree", max_degree, minimum=0)
    min_degree = check_int("min_degree", min_degree, minimum=0)
    if min_degree > max_degree:
        return 0
    if max_degree + d > 2**50:  # beyond float range for the estimate below (and any buildable size)
        raise SizeError(
            f"multi_indices with d + max_degree of {(max_degree + d).bit_length()} bits; choose a smaller d or degree"
        )
    small = min(d, max_degree)  # refuse from the size of C(max_degree + d, d) before computing it
    log10 = (lgamma(max_degree + d + 1) - lgamma(small + 1) - lgamma(max_degree + d - small + 1)) / log(10)
    if log10 > 18:
        raise SizeError(
            f"multi_indices(d={d}, max_degree={max_degree}) would have about 10^{log10:.0f} "
            "entries; choose a smaller d or degree"
        )
    below = comb(min_degree - 1 + d, d) if min_degree > 0 else 0
    return comb(max_degree + d, d) - below


def _compositions(total: int, parts: int) -> Iterator[MultiIndex]:
    """All alpha in N^parts with |alpha| = total, lexicographically descending (iterative: any d).

    The successor of alpha moves the last entry's mass, plus one unit taken from the rightmost
    other non-zero entry, to the position after that entry.
    """
    alpha = [total] + [0] * (parts - 1)
    while True:
        yield tuple(alpha)
        tail, alpha[-1] = alpha[-1], 0
        i = next((j for j in range(parts - 2, -1, -1) if alpha[j] > 0), -1)
        if i < 0:
            return
        alpha[i] -= 1
        alpha[i + 1] = tail + 1


def multi_indices(d: int, max_degree: int, min_degree: int = 1) -> list[MultiIndex]:
    """All alpha in N^d with min_degree <= |alpha| <= max_degree, in graded-lex order.

    Graded-lex: by total degree ascending, then lexicographically descending
    (theory/index). ``multi_indices(d, K)`` is I_{d,K}, which has
    C(K+d, d) - 1 entries.

    Parameters
    ----------
    d : int
        Token dimension d.
    max_degree : int
        Largest total degree |alpha|.
    min_degree : int, default 1
        Smallest total degree |alpha|.

    Returns
    -------
    list of tuple of int
        The multi-indices, graded-lex.

    Raises
    ------
    PolyapproxError
        For d < 1, negative degrees, non-integers, or a list with more than ten million entries.

    Examples
    --------
    >>> multi_indices(2, 2)
    [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    >>> multi_indices(1, 3, min_degree=0)
    [(0,), (1,), (2,), (3,)]
    """
    count = count_multi_indices(d, max_degree, min_degree)
    check_size(f"multi_indices(d={d}, max_degree={max_degree})", count)
    return [alpha for degree in range(min_degree, max_degree + 1) for alpha in _compositions(degree, d)]


def power_sum_indices(n: int, d: int, refined: bool = False) -> list[MultiIndex]:
    """The alphas of the power sums of the continuous construction.

    |alpha| <= n: latent dimension C(n+d, d) - 1 (theory/latent); refined, |alpha| <= n - 1:
    C(n-1+d, d) - 1 (empty for n = 1).

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
    list of tuple of int
        ``multi_indices(d, n)``, or ``multi_indices(d, n - 1)`` when ``refined``.

    Examples
    --------
    >>> power_sum_indices(2, 1)
    [(1,), (2,)]
    >>> power_sum_indices(3, 2, refined=True)
    [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    """
    n = check_int("n", n)
    d = check_int("d", d)
    return multi_indices(d, n - 1 if refined else n)


def degree(alpha: MultiIndex) -> int:
    """|alpha|, the total degree of a multi-index."""
    return sum(alpha)
