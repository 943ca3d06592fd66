"""Exact linear algebra: RREF (flint and DomainMatrix) and sparse elimination against sympy's rref."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from _dense_reference import rref_flint_or_domainmatrix

from polyapprox.exact._errors import NotRepresentableError
from polyapprox.exact._linalg import sparse_solve


def _random_system(seed, rows=9, cols=12, rank=5):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(rows, rank)) @ rng.integers(-2, 3, size=(rank, cols))
    A[:, 3] = 0  # a zero column
    c = rng.integers(-3, 4, size=cols)
    b = A @ c
    return A.tolist(), [[Fraction(int(v), 3)] for v in b]


@pytest.mark.parametrize("seed", range(5))
def test_solvers_agree_with_sympy_rref(seed):
    A, B = _random_system(seed)
    M = sympy.Matrix([a + [sympy.Rational(b[0].numerator, b[0].denominator)] for a, b in zip(A, B)])
    R, pivots = M.rref()
    expected_pivots = list(pivots)
    expected = {p: Fraction(int(R[r, -1].p), int(R[r, -1].q)) for r, p in enumerate(pivots) if R[r, -1] != 0}
    for use_flint in (True, False):
        piv, values = rref_flint_or_domainmatrix(A, B, use_flint=use_flint)
        assert piv == expected_pivots
        assert {p: v[0] for p, v in zip(piv, values) if v[0]} == expected
        cols = [{r: A[r][j] for r in range(len(A)) if A[r][j]} for j in range(len(A[0]))]
        piv, sols = sparse_solve(cols, [{r: B[r][0] for r in range(len(B)) if B[r][0]}], use_flint=use_flint)
        assert piv == expected_pivots and sols[0] == expected


def test_inconsistent_systems_raise():
    A, B = [[1, 0], [0, 0]], [[Fraction(0)], [Fraction(1)]]
    for use_flint in (True, False):
        with pytest.raises(NotRepresentableError):
            rref_flint_or_domainmatrix(A, B, use_flint=use_flint)
        with pytest.raises(NotRepresentableError):
            sparse_solve([{0: 1}, {}], [{1: Fraction(1)}], use_flint=use_flint)
    assert rref_flint_or_domainmatrix([], []) == ([], [])
