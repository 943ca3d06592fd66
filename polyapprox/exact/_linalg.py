"""Exact linear algebra over Q: sparse elimination with the pivots of the RREF.

:func:`sparse_solve` returns the pivot columns of the RREF (the leftmost columns
independent of those before them) and the solution with every free unknown set to 0, which
is what makes the representation engine's Psi canonical. python-flint is used when present (probed once, in
:mod:`polyapprox.exact._flint`); the fallbacks say so in their names.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ._errors import NotRepresentableError, SizeError
from ._flint import HAVE_FLINT
from ._flint import flint as _flint


def sparse_solve(
    columns: list[dict], rhs: list[dict], *, use_flint: bool | None = None, max_nonzeros: int | None = None
) -> tuple[list[int], list[dict[int, Fraction]]]:
    """Leftmost independent columns and the solutions with free unknowns 0, by sparse exact elimination.

    ``columns``: sparse vectors {row: int}; ``rhs``: one sparse vector {row: rational} per
    target. Columns are taken left to right; each is reduced against the pivots found so
    far (in the order they were found, so earlier pivot rows stay zero), and becomes a
    new pivot iff a nonzero remainder is left, so the pivots are exactly those of the RREF.
    Arithmetic is exact: python-flint ``fmpq`` when available (or ``use_flint``), else
    ``fractions.Fraction``. Returns (pivot columns, per target {column: coefficient}); raises
    ``NotRepresentableError`` if some target is not in the column span, and ``SizeError``
    as soon as the reduced basis (fill-in included) would store more than ``max_nonzeros``
    entries, so memory stays bounded by that budget.

    >>> sparse_solve([{0: 1, 1: 2}, {0: 2, 1: 4}, {1: 1}], [{0: Fraction(1), 1: Fraction(3)}])
    ([0, 2], [{0: Fraction(1, 1), 2: Fraction(1, 1)}])
    """
    if use_flint is None:
        use_flint = HAVE_FLINT
    number: Callable[..., Any] = _flint.fmpq if use_flint else Fraction  # one exact type for the whole solve
    basis: list[tuple[Any, dict]] = []  # (pivot row, vector with 1 at the pivot row)
    index_of_row: dict = {}
    order_of_row: dict = {}
    pivots: list[int] = []
    history: list[tuple[Any, list[tuple[int, Any]]]] = []  # (scale s_j, [(i, u_ji)])

    def reduce(v: dict) -> list[tuple[int, Any]]:
        heap = [index_of_row[r] for r in v if r in index_of_row]
        heapq.heapify(heap)
        used = []
        while heap:
            j = heapq.heappop(heap)
            row_j, vec_j = basis[j]
            t = v.get(row_j)
            if not t:
                continue
            used.append((j, t))
            for r, x in vec_j.items():
                old = v.get(r)
                new = -t * x if old is None else old - t * x
                if new:
                    if old is None and r in index_of_row:
                        heapq.heappush(heap, index_of_row[r])
                    v[r] = new
                elif old is not None:
                    del v[r]
        return used

    remaining = Counter(r for vec in columns for r, c in vec.items() if c)  # columns still to come, per row
    stored = 0
    for col, vec in enumerate(columns):
        for r, c in vec.items():
            if c:
                remaining[r] -= 1
        v: dict[Any, Any] = {r: number(c) for r, c in vec.items() if c}  # values: fmpq or Fraction
        used = reduce(v)
        if v:
            stored += len(v) + len(used)
            if max_nonzeros is not None and stored > max_nonzeros:
                raise SizeError(
                    f"the sparse elimination would store more than {max_nonzeros:,} nonzero entries "
                    f"(fill-in after {len(basis):,} pivots of {len(columns):,} columns); "
                    "choose a smaller n, d or degree"
                )
            for r in v:
                order_of_row.setdefault(r, len(order_of_row))
            # any nonzero row may be the pivot (the pivot columns and the solution do not depend on
            # it); the one fewest later columns touch is eliminated least often (less fill-in)
            row = min(v, key=lambda r: (remaining[r], order_of_row[r]))
            scale = v[row]
            inv = 1 / scale
            basis.append((row, {r: x * inv for r, x in v.items()}))
            index_of_row[row] = len(basis) - 1
            pivots.append(col)
            history.append((scale, used))
    solutions = []
    for target in rhs:
        v = {r: number(c.numerator, c.denominator) if use_flint else Fraction(c) for r, c in target.items() if c}
        used = reduce(v)
        if v:
            raise NotRepresentableError("the target is not in the span of the candidate columns")
        T = dict(used)
        solution: dict[int, Fraction] = {}
        for j in range(len(basis) - 1, -1, -1):
            t = T.get(j)
            if not t:
                continue
            scale, mults = history[j]
            coef = t / scale
            solution[pivots[j]] = Fraction(int(coef.numerator), int(coef.denominator)) if use_flint else coef
            for i, u in mults:
                T[i] = T.get(i, 0) - coef * u
        solutions.append(dict(sorted(solution.items())))
    return pivots, solutions
