"""Orbit coordinates, products of power sums and the degree-block solver of the representation engine."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy
from _dense_reference import dense_block_solver

from polyapprox import SizeError, multi_indices, power_sum_indices, power_sums
from polyapprox.exact._candidates import candidate_terms
from polyapprox.exact._poly import expr_to_terms, token_gens
from polyapprox.exact._semi_invariant import (
    MAX_SOLVE_WORK,
    NotRepresentableError,
    _candidates_from,
    _exponent_tuples,
    block_shapes,
    count_orbit_rows,
    estimate_solve_work,
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
        solve([{}], 6, 3, multi_indices(3, 6), 6, method="dense-expansion")
    from polyapprox.exact import _semi_invariant

    old = _semi_invariant.MAX_BLOCK_NONZEROS
    _semi_invariant.MAX_BLOCK_NONZEROS = 100
    try:
        with pytest.raises(SizeError, match="largest degree block"):
            solve([{}], 3, 2, power_sum_indices(3, 2), 3)
    finally:
        _semi_invariant.MAX_BLOCK_NONZEROS = old


@pytest.mark.parametrize(
    "case",
    [(2, 1, 4, True), (3, 2, 4, True), (4, 2, 4, False), (3, 3, 3, True), (5, 1, 6, True), (3, 2, 5, False)],
    ids=str,
)
def test_nonzero_estimate_bounds_every_block(case):
    """The guard's estimate is an upper bound on the nonzeros of each degree block's columns."""
    from polyapprox.exact._semi_invariant import estimate_block_nonzeros, power_sum_products

    n, d, degree, own = case
    parts = n - 1 if own else n
    indices = power_sum_indices(n, d)
    products = power_sum_products(d, indices, degree, parts, own)
    weights = [sum(g) for g in indices]
    actual: dict[int, int] = {}
    betas = multi_indices(d, degree, min_degree=0) if own else [(0,) * d]
    for beta in betas:
        for m, vec in products.items():
            e = sum(beta) + sum(w * x for w, x in zip(weights, m))
            if e <= degree:
                actual[e] = actual.get(e, 0) + len(vec)
    estimate = estimate_block_nonzeros(d, indices, degree, parts, own)
    assert set(actual) == set(estimate)
    assert all(actual[e] <= estimate[e] for e in actual)
    assert sum(estimate.values()) <= 3 * sum(actual.values())  # and not a dense-size overestimate


def test_sparse_guard_admits_what_fits_and_refuses_oversized_before_allocating():
    import tracemalloc

    from polyapprox.exact._semi_invariant import MAX_BLOCK_NONZEROS, _check_sizes

    # (4, 4, 6) was refused by the dense rows x columns bound (140,919,160 entries); its nonzeros fit
    assert 0 < _check_sizes(4, power_sum_indices(4, 4), 6, 3, True, "orbit-blocks", 16) < MAX_BLOCK_NONZEROS
    tracemalloc.start()
    try:
        with pytest.raises(SizeError, match=r"largest degree block would have up to [0-9,]+ nonzero"):
            solve([{(12,) + (0,) * 23: Fraction(1)}], 12, 2, power_sum_indices(12, 2), 12)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # refused from the counts alone (its blocks would need gigabytes)


def test_elimination_budget_refuses_fill_in():
    from polyapprox.exact._linalg import sparse_solve

    columns = [{r: 1 + (r * c) % 7 for r in range(12)} for c in range(12)]
    pivots, _ = sparse_solve(columns, [], max_nonzeros=10_000)
    assert len(pivots) > 1
    with pytest.raises(SizeError, match="more than 20 nonzero"):
        sparse_solve(columns, [], max_nonzeros=20)


@pytest.mark.parametrize("n, d", [(1, 1), (2, 1), (3, 2), (4, 3), (5, 1), (2, 3)])
@pytest.mark.parametrize("own", [True, False])
def test_orbit_coordinates_are_the_representatives_of_orbit_key(n, d, own):
    """The sort-based reader keeps exactly the monomials orbit_key calls canonical, in the same order."""
    import random

    from polyapprox.exact._semi_invariant import orbit_coordinates, orbit_key

    rng = random.Random(n * 10 + d)
    terms = {tuple(rng.randint(0, 2) for _ in range(n * d)): Fraction(rng.randint(1, 5)) for _ in range(300)}
    expected = {}
    for monom, c in terms.items():
        key = orbit_key(monom, n, d, own)
        if key is not None:
            expected[key] = c
    got = orbit_coordinates(terms, n, d, own)
    assert got == expected and list(got) == list(expected)


# -- the elimination budget (hostile-input issue: cost before work) -------------------------------


@pytest.mark.parametrize(
    "n, d, D, own", [(3, 1, 7, True), (4, 1, 9, True), (3, 2, 5, True), (2, 3, 4, True), (3, 2, 4, False)]
)
def test_block_shapes_equal_the_blocks_the_solver_receives(n, d, D, own):
    """The closed-form (rows, columns) per block equal the sizes of the sparse systems actually built."""
    indices = power_sum_indices(n, d)
    seen = []

    def recording_solver(columns, rhs, **kwargs):
        rows = set().union(*columns)
        seen.append((len(rows), len(columns)))
        from polyapprox.exact._linalg import sparse_solve

        return sparse_solve(columns, rhs, **kwargs)

    target = {(0,) * (n * d): Fraction(1)}  # the constant 1: solvable, every block is still reduced
    solve([target], n, d, indices, D, first_token_apart=own, block_solver=recording_solver)
    assert sorted(seen) == sorted(block_shapes(d, indices, D, n - 1 if own else n, own).values())


def test_block_shapes_by_enumeration():
    """Columns and rows per multidegree, counted by listing candidates and orbit rows (n = 3, d = 2, D = 4)."""
    n, d, D = 3, 2, 4
    indices = power_sum_indices(n, d)
    cols: dict = {}
    for beta, m in candidate_terms(d, indices, D):
        V = tuple(b + sum(mj * g[c] for mj, g in zip(m, indices)) for c, b in enumerate(beta))
        cols[V] = cols.get(V, 0) + 1
    rows: dict = {}
    nonzero = multi_indices(d, D)
    for k in range(n):  # lambda: a multiset of k <= n - 1 nonzero vectors, plus beta
        for lam in itertools.combinations_with_replacement(nonzero, k) if k < n else []:
            for beta in multi_indices(d, D, min_degree=0):
                V = tuple(b + sum(u[c] for u in lam) for c, b in enumerate(beta))
                if sum(V) <= D:
                    rows[V] = rows.get(V, 0) + 1
    expected = {V: (rows[V], c) for V, c in cols.items()}
    assert block_shapes(d, indices, D, n - 1, True) == expected


def _never_called(*args, **kwargs):
    raise AssertionError("the elimination started: the refusal must come from the work estimate")


def test_solve_work_budget_refuses_before_building():
    """Refused by the work estimate, before any block is reduced (no wall-clock assert)."""
    for n, D in ((4, 24), (3, 60)):  # x1_1**24 at n = 4 and x2_1**60 + x3_1**60 at n = 3 ran for minutes
        monom = (D,) + (0,) * (n - 1)
        with pytest.raises(
            SizeError, match=r"estimated at .* work units.*SolveConfig\(max_work=\.\.\.\) \(CLI: --max-work\)"
        ):
            solve([{monom: Fraction(1)}], n, 1, power_sum_indices(n, 1), D, block_solver=_never_called)
    # the benchmark goal cases stay inside the default budget
    for n, d, D in ((12, 1, 12), (10, 2, 10), (7, 3, 7), (4, 4, 6), (10, 1, 10)):
        assert estimate_solve_work(d, power_sum_indices(n, d), D, n - 1, True) < MAX_SOLVE_WORK
    small = {(2, 0): Fraction(1)}  # x1_1**2 at n = 2, d = 1: block 2 has 3 rows and 4 columns
    assert estimate_solve_work(1, power_sum_indices(2, 1), 2, 1, True) == 2**2 * (4 - 3) * 3**2
    with pytest.raises(SizeError, match="budget of 35"):
        solve([small], 2, 1, power_sum_indices(2, 1), 2, max_work=35)
    solution, _ = solve([small], 2, 1, power_sum_indices(2, 1), 2, max_work=36)
    # p_2/2 - p_1^2/2 + y p_1 = x1^2 at y = x1, p = (x1 + x2, x1^2 + x2^2), expanded by hand
    assert solution[0] == {
        ((0,), (0, 1)): Fraction(1, 2),
        ((0,), (2, 0)): Fraction(-1, 2),
        ((1,), (1, 0)): Fraction(1),
    }
