import numpy as np
import pytest

from constructions import relu
from polyapprox import DomainError, PolyapproxError, ShapeError, multi_indices


@pytest.mark.parametrize("m", [1, 2, 4, 6, 8])
def test_square_error_bound_attained(m):
    """MATH.md T5: sup |S_m(x) - x^2| = 2^{-2m-2}, attained at the midpoints (2j+1)/2^{m+1}."""
    net = relu.square(m)
    x = np.linspace(0, 1, 2 ** (m + 3) + 1)[:, None]
    error = net(x)[:, 0] - x[:, 0] ** 2
    assert error.min() >= -1e-15 and abs(error.max() - 2.0 ** (-2 * m - 2)) <= 1e-9
    midpoint = np.array([[0.5 / 2**m]])
    assert abs(net(midpoint)[0, 0] - midpoint[0, 0] ** 2 - 2.0 ** (-2 * m - 2)) <= 1e-12
    assert net.error_bound[0] == 2.0 ** (-2 * m - 2) and net.depth == m and net.hat_relus == 3 * m


def test_square_is_the_interpolant_at_grid_points():
    net = relu.square(3)
    x = np.arange(9)[:, None] / 8
    np.testing.assert_allclose(net(x)[:, 0], x[:, 0] ** 2, atol=1e-15)


@pytest.mark.parametrize("m", [1, 3, 6])
def test_product_within_bound(m, rng):
    net = relu.product(m)
    ab = rng.uniform(size=(20000, 2))
    error = net(ab)[:, 0] - ab[:, 0] * ab[:, 1]
    assert np.abs(error).max() <= 2 * 2.0 ** (-2 * m - 2) + 1e-15
    assert net.hat_relus == 9 * m + 2  # MATH.md section 7 count


@pytest.mark.parametrize("alpha", [(1, 0), (2, 1), (1, 1, 1), (4,), (0, 3)])
def test_monomial_within_bound(alpha, rng):
    net = relu.monomial(alpha, 5)
    x = rng.uniform(size=(5000, len(alpha)))
    exact = np.prod(x ** np.array(alpha), axis=1)
    assert np.abs(net(x)[:, 0] - exact).max() <= (sum(alpha) - 1) * 2.0 ** (-11) + 1e-15
    if sum(alpha) == 1:
        np.testing.assert_allclose(net(x)[:, 0], exact, atol=1e-15)


def test_feature_map_and_polynomial(rng):
    indices = multi_indices(2, 3)
    net = relu.monomials(indices, 6)
    x = rng.uniform(size=(3000, 2))
    exact = np.stack([np.prod(x ** np.array(a), axis=1) for a in indices], axis=1)
    assert np.all(np.abs(net(x) - exact) <= net.error_bound + 1e-15)
    assert net.error_bound.max() == (3 - 1) * 2.0 ** (-13)
    C = rng.normal(size=(len(indices) + 1, 2))
    poly = relu.polynomial([(0, 0)] + indices, C, 6, input_scale=[0.5, 0.5])
    z = np.minimum(x * 0.5, 1)
    value = C[0] + np.stack([np.prod(z ** np.array(a), axis=1) for a in indices], axis=1) @ C[1:]
    assert np.all(np.abs(poly(x) - value) <= poly.error_bound + 1e-13)


def test_bad_input():
    with pytest.raises(PolyapproxError, match="m must be an integer >= 1"):
        relu.square(0)
    with pytest.raises(PolyapproxError, match="degree >= 1"):
        relu.monomial((0, 0), 3)
    with pytest.raises(ShapeError, match="coefficients must have shape"):
        relu.polynomial([(1,), (2,)], np.ones((3, 1)), 2)
    with pytest.raises(ShapeError, match="expects inputs"):
        relu.square(2)(np.ones((3, 2)))


def test_networks_refuse_inputs_outside_their_domain():
    net = relu.square(3)
    with pytest.raises(DomainError, match="outside"):
        net(np.array([[5.0]]))
    with pytest.raises(DomainError, match="NaN"):
        net(np.array([[np.nan]]))
    assert net(np.array([[5.0]]), extrapolate=True).shape == (1, 1)


def test_absurd_depth_and_degree_are_refused():
    """Hostile-input issue, item 3: m = 10^9 and x^(10^6) built layer after layer (hung)."""
    from polyapprox import SizeError

    for build in (lambda: relu.square(10**9), lambda: relu.product(65), lambda: relu.square_error(10**12)):
        with pytest.raises(SizeError, match="limit of 64"):
            build()
    with pytest.raises(SizeError, match="degree 1,000,000"):
        relu.monomial((10**6,), 3)
    assert relu.square_error(64) == 2.0**-130
