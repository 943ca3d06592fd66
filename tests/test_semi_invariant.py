"""Orbit coordinates, products of power sums and the exact solvers (sparse, dense flint, DomainMatrix)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import sympy

from polyapprox import SizeError, multi_indices, power_sum_indices, power_sums
from polyapprox._candidates import candidate_terms
from polyapprox._poly import expr_to_terms, token_gens
from polyapprox._semi_invariant import (
    NotRepresentableError,
    _candidates_from,
    _exponent_tuples,
    count_orbit_rows,
    invariant_candidates,
    orbit_coordinates,
    orbit_key,
    power_sum_products,
    rref_flint_or_domainmatrix,
    solve,
    sparse_solve,
)


@pytest.mark.parametrize("n, d, own", [(3, 1, True), (3, 2, True), (4, 1, True), (2, 2, False), (3, 2, False)])
def test_products_match_expansion(n, d, own):
    """prod P_gamma^m in orbit coordinates == canonical monomials of the sympy expansion."""
    indices = power_sum_indices(n, d)
    degree = 3
    products = power_sum_products(d, indices, degree, n - 1 if own else n, own)
    P = power_sums(n, d)
    gens = token_gens(n, d)
    for m, coords in products.items():
        expr = sympy.expand(sympy.Mul(*[P[g] ** e for g, e in zip(indices, m)]))
        expected = orbit_coordinates(expr_to_terms(expr, gens, "P"), n, d, own)
        assert coords == expected, m


def test_orbit_key():
    assert orbit_key((1, 0, 1, 1, 0, 2), 3, 2, True) == ((1, 0), ((1, 1), (0, 2)))
    assert orbit_key((1, 0, 0, 2, 1, 1), 3, 2, True) is None
    assert orbit_key((1, 0, 0, 2, 1, 1), 3, 2, False) is None
    assert orbit_key((1, 1, 1, 0, 0, 0), 3, 2, False) == ((0, 0), ((1, 1), (1, 0)))


@pytest.mark.parametrize("n, d, own", [(3, 2, True), (4, 1, True), (2, 3, True), (3, 2, False)])
def test_count_orbit_rows_against_enumeration(n, d, own):
    degree = 4
    parts = n - 1 if own else n
    counts = [0] * (degree + 1)
    for monom in itertools.product(range(degree + 1), repeat=n * d):
        if sum(monom) <= degree and orbit_key(monom, n, d, own) is not None:
            counts[sum(monom)] += 1
    assert count_orbit_rows(d, degree, parts, own) == counts


def test_candidate_orders_agree():
    for n, d, D in [(3, 2, 4), (2, 3, 3), (4, 1, 5)]:
        indices = power_sum_indices(n, d)
        exps = list(_exponent_tuples([sum(g) for g in indices], D))
        assert _candidates_from(exps, d, indices, D, True) == candidate_terms(d, indices, D)
        assert _candidates_from(exps, d, indices, D, False) == invariant_candidates(indices, D, d)


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


def test_solve_errors():
    gens = token_gens(2, 1)
    target = expr_to_terms(sympy.Symbol("x1_1") ** 3, gens, "t")
    with pytest.raises(NotRepresentableError):
        solve([target], 2, 1, power_sum_indices(2, 1), 2)
    with pytest.raises(NotRepresentableError):  # not semi-invariant: no solution at this degree
        solve([expr_to_terms(sympy.Symbol("x2_1"), gens, "t")], 2, 1, [], 1, linalg="dense")


def test_size_guards():
    with pytest.raises(SizeError, match="candidate space"):
        solve([{}], 8, 4, multi_indices(4, 8), 12)
    with pytest.raises(SizeError, match="dense matrix"):
        solve([{}], 6, 3, multi_indices(3, 6), 6, method="reference")
    from polyapprox import _semi_invariant

    old = _semi_invariant.MAX_BLOCK_ENTRIES
    _semi_invariant.MAX_BLOCK_ENTRIES = 100
    try:
        with pytest.raises(SizeError, match="largest degree block"):
            solve([{}], 3, 2, power_sum_indices(3, 2), 3)
    finally:
        _semi_invariant.MAX_BLOCK_ENTRIES = old
