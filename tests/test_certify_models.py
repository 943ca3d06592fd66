"""``verify.certified_sup_error`` for every model kind: planted models with a known sup, bad input.

Known sups come from closed forms (the planted polynomial and linear models) or the grid
geometry (the sparse network equals f at cube centres), never from the certifier. Every result
is checked as rigorous: lower <= true sup <= upper, and the witness's float error agrees with
``lower``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from constructions import (
    NetworkConfig,
    continuous,
    discontinuous,
    linformer,
    masked,
    performer,
    sparse,
    targets,
    transformer,
    verify,
)
from constructions.verify import CertificationBudget, certified_sup_error
from polyapprox import EquivariantRepresentation, power_sum_symbol
from polyapprox.internal import DomainError, PolyapproxError, SizeError

Y, S1 = sympy.Symbol("y_1"), power_sum_symbol((1,))


def _zero_target() -> targets.Target:
    zero = lambda X: np.zeros(X.shape[:2] + (1,))
    return targets.Target("zero", "f = 0", zero, lambda d: 1, interval=lambda X: X[:, :, 0:1] * 0.0)


def _sumformer(psi) -> continuous.PolynomialSumformer:
    return continuous.from_representation(EquivariantRepresentation(2, 1, 1, ((1,), (2,)), sympy.Matrix([[psi]])))


def _networks(S, ff="exact"):
    """The same Sumformer as every one-attention-layer kind (Linformer: k = 2, exact weights, and k = 3)."""
    config = NetworkConfig(ff=ff, m_relu=2)
    return {
        "transformer": transformer.from_sumformer(S, 2, ff=ff, m_relu=2),
        "linformer-k2": linformer.from_sumformer(S, 2, 2, config=config),
        "linformer-k3": linformer.from_sumformer(S, 2, 3, config=config),
        "performer": performer.from_sumformer(S, 2, 4, config=config),
        "masked-transformer": masked.from_sumformer(S, 2, sparse.patterns.dense(2), config=config),
    }


def _witness_error(model, f, r) -> float:
    return float(np.abs(model(r.witness[None]) - f(r.witness[None])).max())


def _sampled_error(model, f, count=4000, seed=5) -> float:
    X = np.random.default_rng(seed).uniform(size=(count, model.n, model.d))
    return float(np.abs(model(X) - f(X)).max())


# -- planted models with a known sup -----------------------------------------------------------

EXACT = _networks(_sumformer(Y * S1 - Y**2 / 2))


@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_networks_reach_the_closed_form_sup(name):
    # T = S exactly (Linformer k = 3: psi(y, g s) with g = 1 - O(2^-53)); |S_1| = |x_1 x_2 + x_1^2 / 2| peaks at (1, 1): 3/2
    T = EXACT[name]
    r = certified_sup_error(T, _zero_target(), CertificationBudget(ratio=1 + 1e-3, max_boxes=50_000))
    assert r.reached and r.lower <= 1.5 <= r.upper <= 1.5 * 1.01
    assert r.lower == pytest.approx(1.5, rel=1e-9)
    assert _witness_error(T, _zero_target(), r) == pytest.approx(r.lower, rel=1e-12)


RELU = _networks(_sumformer(S1 - Y), ff="relu")


@pytest.mark.parametrize("name", sorted(RELU))
def test_relu_networks_reach_the_closed_form_sup_against_the_target(name):
    # psi = s - y is linear, so its ReLU realisation is exact: T(X)_i = x_j; against centered
    # (x_i - mean), T - f = (3 x_j - x_i) / 2, whose sup over [0, 1]^2 is 3/2 at x_j = 1, x_i = 0
    T = RELU[name]
    f = targets.get("centered")
    np.testing.assert_allclose(T(np.array([[0.25], [0.75]])), [[0.75], [0.25]], rtol=0, atol=1e-14)
    r = certified_sup_error(T, f, CertificationBudget(ratio=1 + 1e-3, max_boxes=20_000))
    assert r.reached and r.lower <= 1.5 <= r.upper <= 1.5 * 1.01
    assert _witness_error(T, f, r) == pytest.approx(r.lower, rel=1e-12)
    np.testing.assert_allclose(sorted(r.witness.ravel()), [0.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("target", ["gaussian-kernel-sum", "sum_j(exp(-norm2(x_i - x_j)))", "max-inner"])
def test_a_fitted_relu_network_is_bounded_against_registered_and_expression_targets(target):
    f = targets.resolve(target)
    S, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), n=2, d=1, degree=2, samples=200, seed=0)
    T = transformer.from_sumformer(S, 2, ff="relu", m_relu=3)
    r = certified_sup_error(T, target, CertificationBudget(ratio=1.5, max_boxes=20_000))
    assert r.lower <= r.upper
    assert _sampled_error(T, f) <= r.upper  # a sampled max is below the true sup
    assert _witness_error(T, f, r) == pytest.approx(r.lower, rel=1e-9, abs=1e-14)
    if target != "max-inner":  # a smooth target: the Taylor form closes the gap
        assert r.reached


def test_a_relu_network_against_a_polynomial_target_is_bracketed_by_brute_force():
    # the reference: the error's max over an exhaustive grid (step 1/400) on the sorted square and
    # 20,000 seeded points of the cube, lower-bounds the sup, so lower <= it <= sup <= upper; ratio 1.001
    # leaves upper within 0.1% of lower, so a bound that lost any rigour would fall below the grid
    f = targets.get("times-mean")
    S, _ = continuous.approximate(f, n=2, d=1, degree=2, samples=200)
    T = transformer.from_sumformer(S, 2, ff="relu", m_relu=3)
    r = certified_sup_error(T, f, CertificationBudget(ratio=1.001, max_boxes=20_000))
    g = np.linspace(0.0, 1.0, 401)
    a, b = np.meshgrid(g, g, indexing="ij")
    sorted_grid = np.stack([a[a <= b], b[a <= b]], axis=-1)[:, :, None]
    brute = max(float(np.abs(T(sorted_grid) - f(sorted_grid)).max()), _sampled_error(T, f, count=20_000, seed=11))
    assert r.reached and r.lower <= brute <= r.upper <= 1.001 * r.lower


@pytest.mark.parametrize(
    "target,path", [("gaussian-kernel-sum", "taylor"), ("softmax-attention", "jet"), ("max-inner", "plain")]
)
def test_every_per_box_form_of_a_relu_network_encloses_the_error_at_points_of_the_box(target, path):
    # the three per-box forms (Taylor model of f, f's jets, f's range) on boxes of widths 1e-3 to 1, each
    # checked against the float error at 200 seeded points and the corners of the box
    from constructions._verify.certify import _certifiable_target
    from constructions._verify.certify_networks import _TargetBounder

    f = targets.get(target)
    S, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), n=2, d=1, degree=2, samples=200, seed=0)
    T = transformer.from_sumformer(S, 2, ff="relu", m_relu=3)
    bounder = _TargetBounder(T, _certifiable_target(target, 1, 1), None)
    rng = np.random.default_rng(7)
    width = 10.0 ** rng.uniform(-3, 0, size=(40, 1))
    lo = rng.uniform(size=(40, 2)) * (1 - width)
    hi = lo + width * rng.uniform(0.5, 1.0, size=(40, 2))
    enclosure = bounder.enclosure(lo, hi)
    assert {"taylor": bounder.taylor, "jet": not bounder.taylor and bounder.smooth, "plain": not bounder.smooth}[path]
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    for k in range(len(lo)):
        u = np.concatenate([corners, rng.uniform(size=(200, 2))])
        X = (lo[k] + u * (hi[k] - lo[k]))[:, :, None]
        error = (T(X) - f(X)).reshape(len(X), 2)
        assert np.all(enclosure.lo[k] - 1e-13 <= error) and np.all(error <= enclosure.hi[k] + 1e-13), k


def test_the_direct_bound_is_tighter_than_the_triangle_inequality_through_the_sumformer():
    f = targets.get("gaussian-kernel-sum")
    S, _ = continuous.approximate(f, n=2, d=1, degree=2, samples=200, seed=0)
    T = transformer.from_sumformer(S, 2, ff="relu", m_relu=3)
    budget = CertificationBudget(ratio=1.05, max_boxes=50_000)
    direct = certified_sup_error(T, f, budget)
    triangle = verify.certified_network_error(T, S, budget).upper + certified_sup_error(S, f, budget).upper
    assert direct.reached and direct.upper < triangle


def test_the_discontinuous_sumformer_through_the_one_entry():
    S = discontinuous.build(targets.get("centered"), n=2, d=1, k=4)
    r = certified_sup_error(S, "centered", CertificationBudget(ratio=1.01))
    assert r.lower <= 0.125 <= r.upper <= 0.125 * 1.01  # (1 - 1/n) / k, approached at cell faces


@pytest.mark.parametrize("delta", ["1/2", "1/4"])
def test_the_sparse_hardmax_network_reaches_half_a_cube(delta):
    # g = f at cube centres; for centered, g - f = ((c_i - x_i) - (c_j - x_j)) / 2 <= delta / 2, attained
    # in the last (closed) cube at x_i = 1, x_j = its cube's lower face
    f = targets.get("centered")
    net = sparse.universal_network(f, 2, 1, delta, sparse.patterns.dense(2))
    r = certified_sup_error(net, "centered", CertificationBudget(ratio=1.001))
    true = float(sympy.Rational(delta)) / 2
    assert r.reached and r.lower <= true <= r.upper <= true * 1.01
    assert _sampled_error(net, f) <= r.upper
    assert _witness_error(net, f, r) == pytest.approx(r.lower, rel=1e-12)


def test_a_sparse_network_against_a_non_equivariant_cycle_is_certified_cell_by_cell():
    f = targets.get("times-mean")
    net = sparse.universal_network(f, 3, 1, "1/2", sparse.patterns.by_name("tridiagonal", 3))
    r = certified_sup_error(net, f, CertificationBudget(ratio=1.01))
    assert r.reached and r.lower <= r.upper <= 1.01 * r.lower
    assert _sampled_error(net, f) <= r.upper


def test_results_are_bit_identical_on_repeat():
    T = RELU["linformer-k3"]
    budget = CertificationBudget(ratio=1.01, max_boxes=3000)
    a, b = certified_sup_error(T, "centered", budget), certified_sup_error(T, "centered", budget)
    assert (a.lower, a.upper, a.boxes) == (b.lower, b.upper, b.boxes) and np.array_equal(a.witness, b.witness)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "budget", [dict(max_boxes=0), dict(max_boxes=-5), dict(ratio=math.nan), dict(max_boxes=10**12)]
)
def test_bad_budgets_are_refused(budget):
    with pytest.raises(PolyapproxError):
        certified_sup_error(RELU["transformer"], "centered", CertificationBudget(**budget))


@pytest.mark.parametrize(
    "model",
    [RELU["transformer"], EXACT["performer"], discontinuous.build(targets.get("centered"), n=2, d=1, k=2)],
    ids=["relu", "exact", "discontinuous"],
)
def test_unknown_and_module_function_targets_are_refused(model):
    with pytest.raises(PolyapproxError, match="unknown target|no-such"):
        certified_sup_error(model, "no-such-target")
    with pytest.raises(PolyapproxError, match="no interval evaluation"):
        certified_sup_error(model, targets.resolve("numpy:negative", allow_import=True))


def test_non_equivariant_networks_are_refused_in_one_line():
    S = _sumformer(S1 - Y)
    partial = masked.from_sumformer(S, 2, np.eye(2, dtype=bool), allow_partial=True, config=NetworkConfig(ff="relu"))
    F = np.array([[1.0, 0.25], [0.0, 0.5]])
    unequal = linformer.from_sumformer(S, 2, 2, F=F, allow_unequal_columns=True)
    for net in (partial, unequal):
        with pytest.raises(PolyapproxError, match=r"not permutation-equivariant") as info:
            certified_sup_error(net, "centered")
        assert "\n" not in str(info.value)


def test_what_a_kind_cannot_do_is_refused_naming_why(tmp_path):
    D = discontinuous.build(targets.get("centered"), n=2, d=1, k=2)
    with pytest.raises(PolyapproxError, match="network certificates cover ReLU feed-forward blocks"):
        certified_sup_error(EXACT["transformer"], "centered", certificate=tmp_path / "c.json")
    with pytest.raises(PolyapproxError, match="certificates cover continuous Sumformers and ReLU networks"):
        certified_sup_error(D, "centered", certificate=tmp_path / "c.json")
    with pytest.raises(PolyapproxError, match="no certificate form for target 'rank'"):
        certified_sup_error(RELU["transformer"], "rank", certificate=tmp_path / "c.json")
    with pytest.raises(PolyapproxError, match="omit domain"):
        certified_sup_error(D, "centered", domain=(0.0, 0.5))
    with pytest.raises(DomainError, match="outside the model's domain"):
        certified_sup_error(RELU["transformer"], "centered", domain=(0.0, 2.0))
    soft = sparse.universal_network(targets.get("centered"), 2, 1, "1/2", sparse.patterns.dense(2), rho="softmax", t=8)
    with pytest.raises(PolyapproxError, match="only the hardmax network"):
        certified_sup_error(soft, "centered")
    hard = sparse.universal_network(targets.get("centered"), 2, 1, "1/4", sparse.patterns.dense(2))
    with pytest.raises(SizeError, match="= 16, and checks each in exact arithmetic: more than 10 "):
        certified_sup_error(hard, "centered", CertificationBudget(max_boxes=10))
    with pytest.raises(PolyapproxError, match="not a model of a registered kind"):
        certified_sup_error(lambda X: X, "centered")
    from constructions import Sumformer

    callables = transformer.from_sumformer(Sumformer(lambda x: x, lambda x, s: s - x, 1, 1, 1), 2)
    with pytest.raises(PolyapproxError, match="feed-forward blocks are Python callables"):
        certified_sup_error(callables, "centered")
