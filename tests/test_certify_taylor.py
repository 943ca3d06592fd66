"""Taylor models of the target over boxes: they enclose the target at every point of the box.

Checked against a second evaluation: the target's plain interval value at sampled points (both
enclose the same real number, so they must meet) and closed-form Taylor coefficients of a
polynomial target.
"""

from __future__ import annotations

import numpy as np
import pytest

from constructions import targets
from constructions._common.interval import Interval
from constructions._verify.taylor_model import TaylorModel, TaylorMonomials


def _boxes(B: int, N: int, width: float, seed: int) -> tuple[np.ndarray, Interval]:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 1 - width, size=(B, N))
    hi = lo + width * rng.uniform(0.2, 1.0, size=(B, N))
    c = np.round((lo + hi) * 0.5 * 2.0**30) * 2.0**-30  # dyadic centres: c + h below is exact
    return c, Interval(np.nextafter(lo - c, -np.inf), np.nextafter(hi - c, np.inf))


def _enclose(target, X):
    """The target's interval form (registered targets have one)."""
    assert target.interval is not None
    return target.interval(X)


def _at(model: TaylorModel, h: np.ndarray) -> Interval:
    """The model's enclosure at the offsets h (B, N): sum_beta P_beta h^beta + R, entries (B, ...)."""
    B = h.shape[0]
    powers = np.stack([np.prod(h ** np.array(e), axis=1) for e in model.mono.exponents], axis=1)  # exact-ish
    hp = Interval(np.nextafter(powers, -np.inf), np.nextafter(powers, np.inf))
    shape = (B,) + (1,) * (model.ndim - 1) + (model.mono.M,)
    return (model.full() * hp.reshape(shape)).sum(-1) + model.rem


@pytest.mark.parametrize(
    ("name", "n", "d", "K"),
    [("gaussian-kernel-sum", 3, 1, 6), ("gaussian-kernel-sum", 2, 2, 3), ("gaussian-kernel-sum", 3, 2, 4)],
)
def test_taylor_model_encloses_the_target_at_sampled_points(name, n, d, K):
    target, N, B = targets.get(name), n * d, 64
    c, h_box = _boxes(B, N, 0.3, seed=1)
    model = _enclose(target, TaylorModel.variables(c, h_box, TaylorMonomials(N, K)).reshape((B, n, d)))
    assert isinstance(model, TaylorModel)
    span = model.range()
    rng = np.random.default_rng(2)
    for _ in range(20):
        h = h_box.lo + (h_box.hi - h_box.lo) * rng.uniform(size=(B, N))
        h = np.clip(np.round(h * 2.0**30) * 2.0**-30, h_box.lo, h_box.hi)  # multiples of 2^-30 in the box
        x = c + h  # exact: both are multiples of 2^-30 below 2
        value = _enclose(target, Interval(x).reshape((B, n, d)))
        enclosed = _at(model, h)
        assert np.all(enclosed.lo <= value.hi) and np.all(value.lo <= enclosed.hi)
        assert np.all(span.lo <= value.hi) and np.all(value.lo <= span.hi)
    # the remainder is small: order K + 1 in the width
    assert float(np.max(model.rem.mag())) < 0.3 ** (K + 1) * 10


def test_taylor_model_of_a_polynomial_target_is_its_exact_expansion():
    """poly-mean-field f_i = x_i^2 - x_i / 2 + mean_j x_j^2 (n = 2, d = 1) at order 2: no remainder,
    coefficients the closed-form Taylor coefficients."""
    target, n, B = targets.get("poly-mean-field"), 2, 8
    c, h_box = _boxes(B, n, 0.25, seed=3)
    mono = TaylorMonomials(n, 2)
    model = _enclose(target, TaylorModel.variables(c, h_box, mono).reshape((B, n, 1)))
    assert float(np.max(model.rem.mag())) < 1e-300
    for i in range(n):
        coef = model.full()[:, i, 0, :]
        expected: dict[tuple[int, ...], np.ndarray] = {(0, 0): c[:, i] ** 2 - c[:, i] / 2 + (c**2).mean(1)}
        for k in range(n):
            unit = tuple(int(j == k) for j in range(n))
            square = tuple(2 * int(j == k) for j in range(n))
            expected[unit] = (2 * c[:, i] - 0.5) * (k == i) + c[:, k]  # d/dx_k: 2 c_k / n with n = 2
            expected[square] = np.full(B, 1.0 * (k == i) + 0.5)
        expected[(1, 1)] = np.zeros(B)
        for beta, value in expected.items():
            j = mono.slot[beta]
            assert np.all(coef.lo[:, j] - 1e-12 <= value) and np.all(value <= coef.hi[:, j] + 1e-12), beta


@pytest.mark.parametrize("name", ["centered", "gaussian-kernel-sum", "poly-mean-field", "times-mean"])
def test_target_expressions_evaluate_to_the_same_taylor_models_as_their_registered_twins(name):
    """An expression (chunked, its columns concatenated) gets a Taylor model, not the jets fallback, equal to its twin's."""
    n, d = 2, 2
    c, h = _boxes(4, n * d, 0.05, seed=3)
    X = TaylorModel.variables(c, h, TaylorMonomials(n * d, 3)).reshape((4, n, d))
    by_name = _enclose(targets.get(name), X)
    by_text = _enclose(targets.from_expression(targets.FORMULAS[name]), X)
    assert isinstance(by_name, TaylorModel) and isinstance(by_text, TaylorModel)
    for a, b in ((by_name.full(), by_text.full()), (by_name.rem, by_text.rem)):
        assert np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)


@pytest.mark.parametrize(("n", "d", "K"), [(3, 1, 6), (3, 2, 4)])
def test_sparse_taylor_models_agree_with_the_dense_evaluation(n, d, K):
    """Degree ranges, stored prefixes and exp in each entry's local variables (the support of
    exp(-|x_i - x_j|^2) is 2d of the n*d variables) against the dense evaluation over all variables
    (support unknown): both enclose the same exact coefficients, so the intervals meet, with
    widths and remainders within float rounding of each other."""
    target, N, B = targets.get("gaussian-kernel-sum"), n * d, 16
    c, h = _boxes(B, N, 0.1, seed=4)
    sparse_x = TaylorModel.variables(c, h, TaylorMonomials(N, K))
    assert sparse_x.deg == (0, 1) and sparse_x.coef.shape[-1] == N + 1
    dense_x = TaylorModel(sparse_x.full(), sparse_x.rem, sparse_x.mono, sparse_x.hm, sparse_x.rho)
    assert dense_x.vars is None and dense_x.deg == (0, K)
    sparse = _enclose(target, sparse_x.reshape((B, n, d)))
    dense = _enclose(target, dense_x.reshape((B, n, d)))
    a, b = sparse.full(), dense.full()
    assert np.all(a.lo <= b.hi) and np.all(b.lo <= a.hi)
    assert np.max(np.abs(a.lo - b.lo)) < 1e-12 and np.max(np.abs(a.hi - b.hi)) < 1e-12
    assert np.max(np.abs(sparse.rem.mag() - dense.rem.mag())) <= 1e-12 + 1e-9 * np.max(dense.rem.mag())
