"""Dense exact reference solvers, for tests only: the library solves sparsely.

:func:`rref_flint_or_domainmatrix` reduces a dense [A | B] (python-flint ``fmpz_mat.rref``
or sympy ``DomainMatrix``); :func:`dense_block_solver` plugs it into the representation
engine's degree blocks in place of :func:`polyapprox.exact._linalg.sparse_solve`, so the tests can
check that both give the same pivots and the same Psi.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import sympy

from polyapprox.exact._errors import NotRepresentableError
from polyapprox.exact._flint import HAVE_FLINT
from polyapprox.exact._flint import flint as _flint
from polyapprox.exact._poly import to_fraction


def rref_flint_or_domainmatrix(
    A: list[list[int]], B: list[list[Fraction]], *, use_flint: bool | None = None
) -> tuple[list[int], list[list[Fraction]]]:
    """Pivot columns of the RREF of [A | B] and, for each pivot row, its B part.

    ``A``: rows of ints (the candidate columns), ``B``: rows of exact rationals (the targets).
    python-flint ``fmpz_mat.rref`` (fraction free, after scaling each column of B to
    integers, which changes no pivot) when available or ``use_flint`` is True, else sympy
    ``DomainMatrix`` over QQ. Raises ``NotRepresentableError`` when a pivot falls in B.

    >>> rref_flint_or_domainmatrix([[1, 2], [2, 4]], [[Fraction(3)], [Fraction(6)]])
    ([0], [[Fraction(3, 1)]])
    """
    if use_flint is None:
        use_flint = HAVE_FLINT
    if not A:
        return [], []
    ncols, nrhs = len(A[0]), len(B[0])
    width = ncols + nrhs
    if use_flint:
        scales = [lcm(1, *(row[k].denominator for row in B)) for k in range(nrhs)]
        flat = []
        for a, b in zip(A, B):
            flat.extend(a)
            flat.extend(int(v * s) for v, s in zip(b, scales))
        R, den, rank = _flint.fmpz_mat(len(A), width, flat).rref()
        den = int(den)
        pivots, rhs, c = [], [], 0
        for r in range(int(rank)):
            while R[r, c] == 0:  # pivots increase: at most `width` probes in all
                c += 1
            pivots.append(c)
            if c >= ncols:
                break
            rhs.append([Fraction(int(R[r, ncols + k]), den * scales[k]) for k in range(nrhs)])
            c += 1
    else:
        from sympy.polys.matrices import DomainMatrix

        QQ = sympy.QQ
        M = DomainMatrix(
            [[QQ(v) for v in a] + [QQ(v.numerator, v.denominator) for v in b] for a, b in zip(A, B)],
            (len(A), width),
            QQ,
        )
        R, pivot_cols = M.rref()
        R = R.to_list()
        pivots, rhs = [], []
        for r, c in enumerate(pivot_cols):
            pivots.append(c)
            if c >= ncols:
                break
            rhs.append([to_fraction(R[r][ncols + k]) for k in range(nrhs)])
    if pivots and pivots[-1] >= ncols:
        raise NotRepresentableError("the linear system is inconsistent")
    return pivots, rhs


def dense_block_solver(
    columns: list[dict], rhs: list[dict], *, use_flint: bool | None = None, max_nonzeros: int | None = None
) -> tuple[list[int], list[dict[int, Fraction]]]:
    """The same contract as ``sparse_solve``, by densifying and one exact RREF (no budget: tests only)."""
    rows = sorted(set().union(*columns, *rhs), key=repr)
    row_index = {key: i for i, key in enumerate(rows)}
    A = [[0] * len(columns) for _ in rows]
    for j, vec in enumerate(columns):
        for key, c in vec.items():
            A[row_index[key]][j] = c
    B = [[Fraction(0)] * len(rhs) for _ in rows]
    for k, coords in enumerate(rhs):
        for key, c in coords.items():
            B[row_index[key]][k] = Fraction(c)
    pivots, values = rref_flint_or_domainmatrix(A, B, use_flint=use_flint)
    solutions: list[dict[int, Fraction]] = [{} for _ in rhs]
    for c, row in zip(pivots, values):
        for k, value in enumerate(row):
            if value:
                solutions[k][c] = value
    return pivots, solutions
