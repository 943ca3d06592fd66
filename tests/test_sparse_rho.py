"""Assumption 2 (MATH.md 9.3, case S6): rho maps, thresholds, numerical demonstration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from constructions import sparse
from polyapprox import DomainError, PolyapproxError, UnknownNameError


def sparsemax_reference(v):
    """Projection onto the simplex by bisection on tau (independent of the sort-based code)."""
    lo, hi = min(v) - 1, max(v)
    for _ in range(200):
        tau = (lo + hi) / 2
        if sum(max(x - tau, 0) for x in v) > 1:
            lo = tau
        else:
            hi = tau
    return [max(x - tau, 0) for x in v]


def test_rho_maps_against_definitions(rng):
    V = rng.normal(size=(7, 5)) * 3
    e = np.exp(V)
    np.testing.assert_allclose(sparse.softmax(V), e / e.sum(axis=1, keepdims=True), rtol=1e-13)
    for v, p in zip(V, sparse.sparsemax(V)):
        np.testing.assert_allclose(p, sparsemax_reference(list(v)), atol=1e-12)
    assert sparse.hardmax(np.array([[1.0, 3.0, 3.0]])).tolist() == [[0, 0.5, 0.5]]
    np.testing.assert_allclose(sparse.normalised_relu(np.array([1.0, 0.5, -2.0])), [2 / 3, 1 / 3, 0])
    assert sparse.normalised_relu(np.array([-1.0, -2.0])).tolist() == [0.5, 0.5]


def test_thresholds_are_the_math_md_formulas():
    assert sparse.rho_threshold("softmax", 7, 0.25, 0.01) == pytest.approx(math.log(6 / 0.01) / 0.25, rel=1e-15)
    assert sparse.rho_threshold("sparsemax", 7, 0.25, 0.01) == 4.0
    assert sparse.rho_threshold("hardmax", 7, 0.25, 0.01) == 0.0
    assert sparse.rho_threshold("normalised-relu", 7, 0.25, 0.01) == math.inf
    assert sparse.rho_threshold("softmax", 2, 1.0, 1.0) == 0.0


@pytest.mark.parametrize("n, zeta, eta", [(3, 0.5, 0.1), (8, 0.125, 1e-3), (13, 2.0, 1e-6)])
def test_softmax_bound_is_sufficient_and_nearly_tight(n, zeta, eta):
    t = sparse.rho_threshold("softmax", n, zeta, eta)
    worst = np.array([0.0] + [-zeta] * (n - 1))
    off = 1 - sparse.softmax(t * worst)[0]
    assert off <= eta
    # the bound is not loose by more than a factor 2 in t: at t/2 the worst-case mass exceeds eta
    assert 1 - sparse.softmax(0.5 * t * worst)[0] > eta


def test_sparsemax_one_hot_exactly_from_threshold():
    zeta = 0.3
    v = np.array([0.0, -zeta, -zeta, -5.0])
    assert sparse.sparsemax(sparse.rho_threshold("sparsemax", 4, zeta, 0.5) * v).tolist() == [1, 0, 0, 0]
    assert sparse.sparsemax(0.9 / zeta * v)[0] < 1


@pytest.mark.parametrize("name", ["softmax", "sparsemax", "hardmax"])
def test_check_rho_holds(name):
    r = sparse.check_rho(name, n=9, zeta=0.25, eta=1e-4, seed=3)
    assert r.holds and r.at_threshold <= 1e-4 and r.witness is None
    assert r.off_mass[-1] <= r.off_mass[0]


def test_normalised_relu_fails_with_witness():
    r = sparse.check_rho("normalised-relu", n=5)
    assert not r.holds and r.threshold == math.inf and r.at_threshold is None
    assert r.witness["rho(t v)"] == pytest.approx([2 / 3, 1 / 3]) and r.witness["t"] == 1000
    assert max(r.off_mass) - min(r.off_mass) < 1e-12  # scale invariant: the mass never shrinks


def test_margin_vectors_have_the_margin():
    from constructions.sparse._rho import margin_vectors

    V = margin_vectors(6, 0.4, count=50, seed=2)
    top = np.sort(V, axis=1)
    np.testing.assert_allclose(top[:, -1] - top[:, -2], 0.4, atol=1e-12)


def test_bad_input():
    with pytest.raises(UnknownNameError, match="unknown rho 'relu'"):
        sparse.check_rho("relu")
    with pytest.raises(DomainError, match="zeta .score margin. must be > 0; got 0.0"):
        sparse.rho_threshold("softmax", 4, 0, 0.1)
    with pytest.raises(DomainError, match="eta must lie in .0, 1.; got 1.5"):
        sparse.rho_threshold("softmax", 4, 1, 1.5)
    with pytest.raises(PolyapproxError, match="n must be an integer >= 2; got 1"):
        sparse.check_rho("softmax", n=1)


def test_simplex_projection_is_exact_on_fractions(rng):
    """The shared sparsemax kernel on an object array of Fractions: exactly on the simplex, and
    the KKT conditions of the Euclidean projection hold exactly (p_i = v_i - tau on the support,
    v_i <= tau off it)."""
    from fractions import Fraction

    from constructions.sparse._rho import simplex_projection

    for _ in range(20):
        v = np.array([Fraction(int(x), 7) for x in rng.integers(-20, 20, size=6)], dtype=object)
        p = simplex_projection(v, Fraction(0))
        assert all(isinstance(x, Fraction) for x in p)
        assert sum(p) == 1 and all(x >= 0 for x in p)
        support = [i for i in range(6) if p[i] > 0]
        tau = v[support[0]] - p[support[0]]
        assert all(v[i] - p[i] == tau for i in support)
        assert all(v[i] <= tau for i in range(6) if i not in support)
        np.testing.assert_allclose(p.astype(float), sparsemax_reference([float(x) for x in v]), atol=1e-12)
