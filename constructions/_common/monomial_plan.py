"""How every evaluator here builds monomials: x^alpha = x^parent(alpha) * x_c, one product each.

``parent(alpha)`` removes one unit from the last non-zero coordinate c. Closing a set of
exponents under ``parent`` and sorting by degree gives an evaluation order in which every
parent comes before its children: the float features, the Yarotsky ReLU networks and the
interval bounds all follow it, so they share lower-degree products the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

Exponent = tuple[int, ...]


def parent(alpha: Exponent) -> tuple[Exponent, int]:
    """(alpha - e_c, c) with c the last non-zero coordinate of alpha (degree >= 1).

    >>> parent((2, 1, 0))
    ((2, 0, 0), 1)
    """
    c = max(i for i, a in enumerate(alpha) if a > 0)
    return alpha[:c] + (alpha[c] - 1,) + alpha[c + 1 :], c


def downward_closure(exponents: Iterable[Exponent], *, min_degree: int = 1) -> list[Exponent]:
    """``exponents`` and all their ancestors under :func:`parent` of degree >= ``min_degree``, by degree.

    Within one degree the order is first appearance (deterministic for a given input order).

    >>> downward_closure([(2, 1)])
    [(1, 0), (2, 0), (2, 1)]
    """
    needed: dict[Exponent, None] = {}
    for alpha in exponents:
        chain = []
        alpha = tuple(int(a) for a in alpha)
        while sum(alpha) >= min_degree and sum(alpha) >= 1 and alpha not in needed:
            chain.append(alpha)
            alpha = parent(alpha)[0]
        for a in reversed(chain):
            needed[a] = None
    return sorted(needed, key=sum)
