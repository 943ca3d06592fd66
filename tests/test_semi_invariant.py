"""Orbit coordinates, products of power sums and the degree-block solver of the representation engine."""

from __future__ import annotations

import itertools

import pytest
import sympy
from _dense_reference import dense_block_solver

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
    solve,
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


def test_solve_errors():
    gens = token_gens(2, 1)
    target = expr_to_terms(sympy.Symbol("x1_1") ** 3, gens, "t")
    with pytest.raises(NotRepresentableError):
        solve([target], 2, 1, power_sum_indices(2, 1), 2)
    with pytest.raises(NotRepresentableError):  # not semi-invariant: no solution at this degree
        solve([expr_to_terms(sympy.Symbol("x2_1"), gens, "t")], 2, 1, [], 1, block_solver=dense_block_solver)


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
