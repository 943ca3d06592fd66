"""Certified |T - S| for the one-attention-layer ReLU Transformer: vs sampling, exact rationals, the a-priori bound."""

from fractions import Fraction

import numpy as np
import pytest

from constructions import continuous, targets, transformer
from constructions._common.interval import Interval
from constructions._verify.certify import box_upper
from constructions._verify.certify_relu import _down, _Linear, _NetworkBounder, _up
from constructions.verify import CertificationBudget, certified_network_error
from polyapprox import PolyapproxError
from polyapprox.internal import SizeError


def _fit(degree: int, name: str = "gaussian-kernel-sum", n: int = 3):
    S, _ = continuous.approximate(targets.get(name), n, 1, degree, samples=600, seed=0)
    return S


def _dense_max(T, S, n: int, samples: int = 40_000, seed: int = 1) -> float:
    """Independent reference: the network and the Sumformer evaluated on random points and a fine grid."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(samples, n, 1))
    g = np.linspace(0, 1, 41)
    grid = np.stack(np.meshgrid(*([g] * n), indexing="ij"), -1).reshape(-1, n, 1)
    X = np.concatenate([X, grid])
    return float(np.abs(T(X) - S(X)).max())


# -- rounding primitives -------------------------------------------------------------------------


def test_fast_directed_rounding_encloses_exact_results():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=2000) * 10.0 ** rng.integers(-300, 300, 2000), rng.normal(size=2000)
    for x, y in zip(a[:300], b[:300]):
        exact = Fraction(float(x)) * Fraction(float(y))
        p = np.array([x * y])
        assert Fraction(float(_down(p)[0])) <= exact <= Fraction(float(_up(p)[0]))
    tiny = np.array([5e-324, -5e-324, 0.0])
    assert np.all(_up(tiny) > tiny) and np.all(_down(tiny) < tiny)


@pytest.mark.parametrize("seed", range(3))
def test_midpoint_radius_product_encloses_exact_rational_product(seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(7, 5)) * np.array([1, 1e-8, 1e8, 3, 1 / 3])
    b = rng.normal(size=5)
    lo = rng.normal(size=(4, 7))
    hi = lo + rng.uniform(0, 1e-3, size=(4, 7)) * (rng.uniform(size=(4, 7)) < 0.5)
    out = _Linear(W, b)(Interval(lo[:, None, :], hi[:, None, :]), bias_rows=1)
    for row in range(4):
        for point in (lo[row], hi[row], (lo[row] + hi[row]) / 2):
            for col in range(5):
                exact = sum(Fraction(float(point[i])) * Fraction(float(W[i, col])) for i in range(7))
                exact += Fraction(float(b[col]))
                assert Fraction(float(out.lo[row, 0, col])) <= exact <= Fraction(float(out.hi[row, 0, col]))


# -- the certified bound -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "degree,m",
    [
        (2, 2),
        pytest.param(3, 2, marks=pytest.mark.slow),
        pytest.param(4, 2, marks=pytest.mark.slow),
        pytest.param(2, 4, marks=pytest.mark.slow),
    ],
)
def test_bound_holds_the_dense_sampled_maximum_and_beats_the_a_priori_bound(degree, m):
    S = _fit(degree)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=m)
    r = certified_network_error(T, S, CertificationBudget(ratio=1.5 if m == 2 else 3.0, max_boxes=40_000))
    dense = _dense_max(T, S, 3)
    assert r.lower <= r.upper
    assert dense <= r.upper * (1 + 1e-12)
    assert r.upper <= T.error_bound  # the a-priori bound L_psi n eta_1 + eta_2 is proven; ours must not exceed it
    assert np.isclose(float(np.abs(T(r.witness) - S(r.witness)).max()), r.lower, rtol=1e-9, atol=1e-15)
    if m == 2:
        assert r.reached and r.upper <= 1.5 * r.lower


def test_box_bounds_hold_pointwise_on_small_boxes():
    S = _fit(3)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=3)
    bounder = _NetworkBounder(T, S)
    rng = np.random.default_rng(4)
    c = rng.uniform(0.05, 0.95, size=(64, 3))
    for w in (0.2, 0.02, 0.002):
        lo, hi = np.clip(c - w, 0, 1), np.clip(c + w, 0, 1)
        ub = box_upper(bounder, lo, hi)
        X = lo[:, None, :] + (hi - lo)[:, None, :] * rng.uniform(size=(64, 200, 3))
        X = X.reshape(-1, 3, 1)
        err = np.abs(T(X) - S(X)).reshape(64, 200, -1).max(axis=(1, 2))
        assert np.all(err <= ub)


def test_budget_exhaustion_keeps_a_rigorous_bound():
    S = _fit(2)
    T = transformer.from_sumformer(S, 3, ff="relu", m_relu=2)
    short = certified_network_error(T, S, CertificationBudget(ratio=1.05, max_boxes=60), samples=256)
    assert not short.reached and short.pending > 0
    assert short.upper >= _dense_max(T, S, 3, samples=20_000)
    full = certified_network_error(T, S, CertificationBudget(max_boxes=20_000), samples=256)
    assert full.reached and short.upper >= full.lower and short.upper > 1.05 * short.lower


def test_exact_feed_forward_and_mismatched_sumformer_are_refused():
    S = _fit(2)
    with pytest.raises(PolyapproxError, match="ReLU"):
        certified_network_error(transformer.from_sumformer(S, 3), S)
    other = _fit(2, n=2)
    T2 = transformer.from_sumformer(other, 2, ff="relu", m_relu=2)
    with pytest.raises(PolyapproxError):
        certified_network_error(T2, lambda X: X)
    with pytest.raises(PolyapproxError, match="ratio"):
        certified_network_error(T2, other, CertificationBudget(ratio=-1))


def test_too_many_variables_are_refused_before_work():
    S, _ = continuous.approximate(targets.get("centered"), 7, 2, 1, samples=200, seed=0)
    T = transformer.from_sumformer(S, 7, ff="relu", m_relu=1)
    with pytest.raises(SizeError, match="n\\*d = 14"):
        certified_network_error(T, S)
