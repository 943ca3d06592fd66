"""Certified sup error of the discontinuous Sumformer (through ``verify.certified_sup_error``): closed forms,
dense sampling, the Lipschitz bound."""

import itertools

import numpy as np
import pytest

from constructions import discontinuous, targets
from constructions.verify import CertificationBudget
from constructions.verify import certified_sup_error as certified_discontinuous_error
from polyapprox import PolyapproxError
from polyapprox.internal import SizeError


def _dense_max(S, f, n: int, k: int, seed: int = 0) -> float:
    """Independent reference: random points plus points just inside the far corner of every cell product."""
    rng = np.random.default_rng(seed)
    X = [rng.uniform(size=(30_000, n, 1))]
    inside = np.array([1e-9, 0.5, 1 - 1e-9])
    for cells in itertools.product(range(k), repeat=n):
        pts = (np.array(cells)[None, :] + np.array(list(itertools.product(inside, repeat=n)))) / k
        X.append(pts[..., None])
    X = np.concatenate(X)
    return float(np.abs(S(X) - f(X)).max())


@pytest.mark.parametrize("n,k,representative", [(2, 2, "corner"), (2, 4, "center"), (3, 3, "corner"), (3, 4, "center")])
def test_closed_form_for_the_centred_target(n, k, representative):
    # S - f = (x_i - r_i) - mean_j (x_j - r_j); each x_j - r_j ranges over [0, 1/k) (corner) or
    # [-1/(2k), 1/(2k)) (centre), so the sup is (n - 1) / (n k) in both cases, approached but not attained
    S = discontinuous.build(targets.get("centered"), n, 1, k, representative=representative)
    r = certified_discontinuous_error(S, "centered", CertificationBudget(ratio=1 + 1e-3))
    true = (n - 1) / (n * k)
    assert r.lower <= true <= r.upper <= true * (1 + 1e-3) and r.reached
    assert true - r.lower < 1e-6


def _sizes(name: str) -> list:
    """Every target at (3, 2, centre) and (3, 4, corner); (2, 3, corner), the same checks at n = 2 (where the
    centred target's closed form also runs), by default for the gaussian kernel, for the others in the slow stage."""
    slow = [pytest.mark.slow] if name != "gaussian-kernel-sum" else []
    return [pytest.param(name, 2, 3, "corner", marks=slow), (name, 3, 2, "center"), (name, 3, 4, "corner")]


@pytest.mark.parametrize(
    "name,n,k,representative",
    [c for name in ("gaussian-kernel-sum", "times-mean", "poly-mean-field", "max-inner") for c in _sizes(name)],
)
def test_bound_holds_dense_sampling_and_beats_the_lipschitz_bound(name, n, k, representative):
    t = targets.get(name)
    S = discontinuous.build(t, n, 1, k, representative=representative)
    r = certified_discontinuous_error(S, name, CertificationBudget(ratio=1.05))
    dense = _dense_max(S, t, n, k)
    assert r.reached and r.lower <= r.upper <= 1.05 * r.lower
    assert dense <= r.upper
    assert np.isclose(float(np.abs(S(r.witness) - t(r.witness)).max()), r.lower, rtol=1e-9, atol=1e-15)
    L = t.lipschitz_constant(n, 1)
    assert r.upper <= discontinuous.error_bound(L, k, representative) * (1 + 1e-12)


def test_budget_exhaustion_keeps_a_rigorous_bound():
    t = targets.get("gaussian-kernel-sum")
    S = discontinuous.build(t, 3, 1, 4)
    short = certified_discontinuous_error(S, t, CertificationBudget(ratio=1 + 1e-4, max_boxes=30))
    full = certified_discontinuous_error(S, t, CertificationBudget(ratio=1.01))
    assert not short.reached and short.pending > 0
    assert short.upper >= full.lower and short.upper >= _dense_max(S, t, 3, 4)


def test_bad_input():
    t = targets.get("times-mean")
    S = discontinuous.build(t, 2, 1, 3)
    with pytest.raises(PolyapproxError, match="not a model of a registered kind"):
        certified_discontinuous_error(lambda X: X, t)
    with pytest.raises(PolyapproxError, match="another function"):
        certified_discontinuous_error(S, "centered")
    plain = targets.Target("no-interval", "x", lambda X: X, lambda d: d)
    with pytest.raises(PolyapproxError, match="no interval evaluation"):
        certified_discontinuous_error(discontinuous.build(plain, 2, 1, 3), plain)
    with pytest.raises(SizeError, match=r"C\(30 \+ 3 - 1, 3\) = 4,960 exceeds the work budget of 1,000 cells"):
        certified_discontinuous_error(discontinuous.build(t, 3, 1, 30), t, CertificationBudget(max_boxes=1000))
    with pytest.raises(PolyapproxError, match="ratio"):
        certified_discontinuous_error(S, t, CertificationBudget(ratio=float("inf")))
