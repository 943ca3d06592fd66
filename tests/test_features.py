from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructions import MonomialFeatures, power_sum_features
from polyapprox import PolyapproxError, ShapeError, multi_indices, power_sums, sequence_symbols
from polyapprox.exact._errors import DomainError


def _exact_power_sums(points, n, d, K):
    """Reference: the sympy power sums evaluated exactly at rational points."""
    import sympy

    X = sequence_symbols(n, d)
    out = []
    for seq in points:
        subs = {X[i, c]: sympy.Rational(seq[i][c].numerator, seq[i][c].denominator) for i in range(n) for c in range(d)}
        out.append([p.xreplace(subs) for p in power_sums(n, d).values()])
    return out


@pytest.mark.parametrize("n, d", [(2, 1), (3, 2), (2, 3), (4, 2)])
def test_numeric_equals_exact_at_rational_points(n, d):
    rnd = np.random.default_rng(3)
    points = [[[Fraction(int(a), 64) for a in rnd.integers(-64, 65, size=d)] for _ in range(n)] for _ in range(5)]
    exact = _exact_power_sums(points, n, d, n)
    X = np.array([[[float(v) for v in tok] for tok in seq] for seq in points])
    _, sums = power_sum_features(X, multi_indices(d, n))
    for row, exact_row in zip(sums, exact):
        for value, reference in zip(row, exact_row):
            reference = float(reference)
            assert abs(value - reference) <= 1e-12 * max(1.0, abs(reference))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_incremental_equals_naive_powers(d, K, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, size=(3, 4, d))
    indices = multi_indices(d, K)
    naive = np.stack([np.prod(X ** np.array(a), axis=-1) for a in indices], axis=-1)
    np.testing.assert_allclose(MonomialFeatures(indices)(X), naive, rtol=1e-13, atol=1e-14)


def test_arbitrary_index_subset_and_order():
    indices = [(0, 3), (2, 1), (1, 0)]  # not closed downward, not in graded-lex order
    x = np.array([[2.0, 3.0], [0.5, -1.0]])
    np.testing.assert_allclose(MonomialFeatures(indices)(x), [[27.0, 12.0, 2.0], [-1.0, -0.25, 0.5]])


def test_shapes_batched_and_single(rng):
    indices = multi_indices(2, 3)
    feats, sums = power_sum_features(rng.uniform(size=(7, 5, 2)), indices)
    assert feats.shape == (7, 5, 9) and sums.shape == (7, 9)
    feats1, sums1 = power_sum_features(rng.uniform(size=(5, 2)), indices)
    assert feats1.shape == (5, 9) and sums1.shape == (9,)


def test_permutation_invariance_of_sums(rng):
    X = rng.uniform(size=(4, 6, 2))
    _, sums = power_sum_features(X, multi_indices(2, 4))
    _, sums_perm = power_sum_features(X[:, rng.permutation(6)], multi_indices(2, 4))
    np.testing.assert_allclose(sums, sums_perm, rtol=1e-14)


@pytest.mark.parametrize(
    "X, indices, error",
    [
        (np.zeros((2, 3)), [(1, 0)], ShapeError),  # d mismatch
        (np.zeros((2,)), [(1,)], ShapeError),  # 1-D
        (np.full((2, 1), np.nan), [(1,)], DomainError),  # NaN
        (np.zeros((2, 2)), [], PolyapproxError),  # no indices
        (np.zeros((2, 2)), [(1, 0), (1,)], PolyapproxError),  # ragged indices
        (np.zeros((2, 2)), [(0, 0)], PolyapproxError),  # degree 0
        ([["a", "b"]], [(1, 0)], ShapeError),  # not numeric
    ],
)
def test_bad_input(X, indices, error):
    with pytest.raises(error):
        power_sum_features(X, indices)
