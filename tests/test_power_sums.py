import itertools
import random
from fractions import Fraction

import pytest
import sympy

from polyapprox import power_sum_indices, power_sums, sequence_symbols
from polyapprox.exact._symbols import own_symbols, power_sum_symbol, token_symbol


def test_symbol_names():
    X = sequence_symbols(3, 2)
    assert X.shape == (3, 2)
    assert str(X[2, 1]) == "x3_2" and X[2, 1] == token_symbol(3, 2)
    assert [str(s) for s in own_symbols(3)] == ["y_1", "y_2", "y_3"]
    assert str(power_sum_symbol((2, 1))) == "p_2_1" and str(power_sum_symbol((3,))) == "p_3"


def test_power_sums_small_by_hand():
    x11, x12, x21, x22 = sympy.symbols("x1_1 x1_2 x2_1 x2_2")
    P = power_sums(2, 2)
    assert list(P) == power_sum_indices(2, 2)
    assert sympy.expand(P[(1, 1)] - (x11 * x12 + x21 * x22)) == 0
    assert sympy.expand(P[(0, 2)] - (x12**2 + x22**2)) == 0
    assert power_sums(1, 3, refined=True) == {}


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("d", [1, 2])
def test_invariant_under_every_permutation(n, d):
    X = sequence_symbols(n, d)
    P = power_sums(n, d)
    for sigma in itertools.permutations(range(n)):
        swap = {X[j, c]: X[sigma[j], c] for j in range(n) for c in range(d)}
        for alpha, p in P.items():
            assert sympy.expand(p.xreplace(swap) - p) == 0, (sigma, alpha)


def _exact_value(alpha, point):
    total = Fraction(0)
    for token in point:
        term = Fraction(1)
        for x, a in zip(token, alpha):
            term *= x**a
        total += term
    return total


def test_values_equal_direct_evaluation():
    rnd = random.Random(1)
    n, d = 3, 2
    point = [[Fraction(rnd.randint(-9, 9), rnd.randint(1, 9)) for _ in range(d)] for _ in range(n)]
    X = sequence_symbols(n, d)
    subs = {X[i, c]: sympy.Rational(point[i][c].numerator, point[i][c].denominator) for i in range(n) for c in range(d)}
    for alpha, p in power_sums(n, d).items():
        assert p.xreplace(subs) == sympy.Rational(*_as_pair(_exact_value(alpha, point)))


def _as_pair(q: Fraction):
    return q.numerator, q.denominator


def _jacobian_rank(n, d, exprs, with_first_token=False, seed=0):
    X = sequence_symbols(n, d)
    variables = list(X)
    rows = list(exprs)
    if with_first_token:
        rows = list(X.row(0)) + rows
    J = sympy.Matrix([[sympy.diff(e, v) for v in variables] for e in rows])
    rnd = random.Random(seed)
    point = {v: sympy.Rational(rnd.randint(-50, 50), rnd.randint(1, 20)) for v in variables}
    return J.xreplace(point).rank()


@pytest.mark.parametrize("n, d", [(n, d) for n in (1, 2, 3) for d in (1, 2, 3)])
def test_generic_injectivity_full_power_sums(n, d):
    """MATH.md P4: the Jacobian of P_{<=n} has rank n*d at a random rational point."""
    assert _jacobian_rank(n, d, power_sums(n, d).values()) == n * d


@pytest.mark.parametrize("n, d, rank", [(3, 2, 5), (3, 3, 8), (2, 2, 2)])
def test_refined_power_sums_alone_lose_rank_but_not_with_own_token(n, d, rank):
    """P_{<=n-1} alone does not separate orbits for d >= 2; with x_1 it has rank n*d (MATH.md P4)."""
    refined = power_sums(n, d, refined=True).values()
    assert _jacobian_rank(n, d, refined) == rank < n * d
    assert _jacobian_rank(n, d, refined, with_first_token=True) == n * d
