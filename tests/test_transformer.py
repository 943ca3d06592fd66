import numpy as np
import pytest
from _networks import fitted, hand_made

from constructions import transformer
from constructions.verify import assert_equivariant


@pytest.mark.parametrize("random_query", [False, True])
def test_exact_equals_sumformer_t1(random_query, rng):
    """MATH.md T1: n=5, d=2, d'=20, d_out=2, W_Q = W_K = 0 or random W_Q: <= 1e-13."""
    S = fitted()
    T = transformer.from_sumformer(S, 5, random_query=random_query, seed=3)
    X = rng.uniform(size=(50, 5, 2))
    assert np.abs(T(X) - S(X)).max() <= 1e-13
    assert T(X[0]).shape == (5, 2)


def test_exact_with_non_polynomial_sumformer(rng):
    S = hand_made()
    T = transformer.from_sumformer(S, 7)
    X = rng.uniform(size=(10, 7, 3))
    assert np.abs(T(X) - S(X)).max() <= 1e-13


@pytest.mark.parametrize("m", [2, 4, 6])
def test_relu_network_within_proven_bound(m, rng):
    S = fitted(n=3, d=1, degree=3)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
    X = rng.uniform(size=(2000, 3, 1))
    measured = np.abs(T(X) - S(X)).max()
    assert 0 < measured <= T.error_bound
    assert T.details["eta1"] == (3 - 1) * 2.0 ** (-2 * m - 1)


def test_relu_bound_tightens_with_m(rng):
    S = fitted(n=3, d=1, degree=3)
    bounds = [transformer.from_sumformer(S, 3, ff="relu", m_relu=m).error_bound for m in (2, 4, 6)]
    assert bounds[0] > 10 * bounds[1] > 100 * bounds[2]


def test_network_equivariance(rng):
    S = fitted()
    for ff in ("exact", "relu"):
        T = transformer.from_sumformer(S, 5, ff=ff, m_relu=3)
        assert_equivariant(T, 5, 2, atol=1e-12)
