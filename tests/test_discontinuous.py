import itertools
import math

import numpy as np
import pytest
import scipy.sparse
from _discontinuous_reference import decode_digit_by_digit

from constructions import discontinuous as dc
from constructions import targets
from constructions._networks import discontinuous_relu as _relu
from constructions._sumformers import discontinuous as _dc
from constructions.verify import SearchConfig, assert_equivariant, sup_error
from polyapprox import DomainError, NotEquivariantError, PolyapproxError, ShapeError, SizeError
from polyapprox.app.report.cases import CASES


@pytest.mark.parametrize("n, d, k, expected", [(2, 1, 4, 10), (3, 2, 4, 816)])
def test_codes_injective_on_all_multisets(n, d, k, expected):
    """MATH.md L4: C(k^d + n - 1, n) distinct codes, one per multiset (enumerated)."""
    multisets = list(itertools.combinations_with_replacement(range(k**d), n))
    codes = {_dc.encode(m, n) for m in multisets}
    assert len(multisets) == len(codes) == expected == math.comb(k**d + n - 1, n)
    for m in multisets[:: max(1, len(multisets) // 50)]:
        histogram = _dc.decode(_dc.encode(m, n), n, k, d)
        assert sorted(i for i, c in histogram.items() for _ in range(c)) == list(m)
        assert histogram == decode_digit_by_digit(_dc.encode(m, n), n, k, d)


def test_code_count_l4_large_case():
    assert dc.size_accounting(4, 2, 8).distinct_codes == CASES["L4"].expected[(4, 2, 8)]


def test_code_digits_d2():
    """MATH.md D2: max code digits 3, 12, 45, 179, 716 for n = 4, d = 2, k = 2..32."""
    digits = [dc.size_accounting(4, 2, k).max_code_digits for k in (2, 4, 8, 16, 32)]
    assert digits == CASES["D2"].expected
    assert [len(str(4 * 5 ** (k * k - 1))) for k in (2, 4, 8, 16, 32)] == digits


def test_boundary_points_land_where_math_md_says():
    k = 4
    x = np.array([[0.0], [0.25], [0.2499999], [0.5], [0.75], [1.0], [0.999]])
    assert _dc.cell_coordinates(x, k)[:, 0].tolist() == [0, 1, 0, 2, 3, 3, 3]
    assert _dc.cell_index(np.array([[1.0, 0.0], [0.25, 1.0]]), k).tolist() == [3 * 4 + 0, 1 * 4 + 3]
    np.testing.assert_allclose(_dc.representatives(np.array([7]), 4, 2, "corner"), [[0.25, 0.75]])


def test_equals_f_at_representatives_and_codes_are_exact_ints(rng):
    f = targets.get("gaussian-kernel-sum")
    S = dc.build(f, 4, 2, 32)
    X = rng.uniform(size=(50, 4, 2))
    R = _dc.representatives(_dc.cell_index(X.reshape(-1, 2), 32), 32, 2).reshape(X.shape)
    # f is evaluated on the sorted multiset: equal up to the order of f's own floating-point sums
    np.testing.assert_allclose(S(X), f(R), rtol=1e-14, atol=0)
    code = S.latent(X[0])[0]
    assert isinstance(code, int) and code.bit_length() > 53 and len(str(code)) > 200


def test_exact_equivariance_bitwise():
    """MATH.md D3: S(sigma X) = sigma S(X) exactly."""
    S = dc.build(targets.get("softmax-attention"), 5, 2, 8)
    assert assert_equivariant(S, 5, 2, samples=20, atol=0.0) == 0.0


def test_histogram_and_integer_identical(rng):
    f = targets.get("max-inner")
    X = rng.uniform(size=(40, 3, 2))
    for representative in ("corner", "center"):
        a = dc.build(f, 3, 2, 6, "integer", representative)(X)
        b = dc.build(f, 3, 2, 6, "histogram", representative)(X)
        assert np.array_equal(a, b)
    H = dc.build(f, 3, 2, 6, "histogram")
    counts = H.latent(X)
    assert scipy.sparse.issparse(counts) and counts.shape == (40, 36) and counts.sum() == 120


def test_base_class_path_agrees(rng):
    """The fast batched __call__ equals the generic Sumformer evaluation psi(x_i, sum_j phi(x_j))."""
    from constructions import Sumformer

    S = dc.build(targets.get("centered"), 3, 1, 5)
    X = rng.uniform(size=(8, 3, 1))
    assert np.array_equal(Sumformer.__call__(S, X), S(X))


def test_memoisation_calls_f_once_per_multiset(rng):
    calls = []
    f0 = targets.get("centered")

    def f(X):
        calls.append(len(X))
        return f0(X)

    S = dc.build(f, 3, 1, 4, d_out=1)
    calls.clear()  # build probes f once for its equivariance check; count the evaluations only
    X = rng.uniform(size=(500, 3, 1))
    S(X)
    distinct = len({tuple(sorted(row)) for row in _dc.cell_index(X.reshape(-1, 1), 4).reshape(500, 3).tolist()})
    assert sum(calls) == S.f_calls == distinct <= math.comb(4 + 2, 3) and len(calls) == 1
    S(X[::-1])
    assert sum(calls) == distinct  # memoised across calls


@pytest.mark.parametrize("name", ["gaussian-kernel-sum", "times-mean", "max-inner", "centered"])
@pytest.mark.parametrize("representative", ["corner", "center"])
def test_error_bounds_hold(name, representative):
    f = targets.get(name)
    n, d, k = 3, 2, 8
    S = dc.build(f, n, d, k, representative=representative)
    measured = sup_error(S, f, n, d, search=SearchConfig(samples=1500, grid_budget=729, local_starts=4), seed=2).error
    assert measured <= dc.error_bound(f.lipschitz_constant(n, d), k, representative) + 1e-12


def test_math_md_d1_corner_bound_and_attained_point():
    """D1: n=4, d=2, Gaussian kernel sum, corners: sup error <= 3 sqrt(2/e) sqrt(d) delta (derived bound).

    Three tokens at (0,0) and one at (1,1) give 1.4136 at k = 2 (= 2.83 delta), so MATH.md's measured
    1.005 is a lower estimate of the sup; the bound holds."""
    f = targets.get("gaussian-kernel-sum")
    X = np.array([[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]])
    S = dc.build(f, 4, 2, 2)
    gap = np.abs(S(X) - f(X)).max()
    assert gap == pytest.approx(1.4135861294, abs=1e-9)
    assert gap <= 3 * math.sqrt(2 / math.e) * math.sqrt(2) / 2


def test_rank_target_wrong_only_when_tokens_share_a_cell(rng):
    f = targets.get("rank")
    S = dc.build(f, 4, 1, 16)
    X = rng.uniform(size=(4000, 4, 1))
    wrong = np.any(S(X) != f(X), axis=(1, 2))
    cells = _dc.cell_index(X.reshape(-1, 1), 16).reshape(4000, 4)
    shared = np.array([len(set(row)) < 4 for row in cells.tolist()])
    assert np.array_equal(wrong, shared)


def test_bad_input(rng):
    f = targets.get("centered")
    with pytest.raises(PolyapproxError, match="k must be an integer >= 1"):
        dc.build(f, 2, 1, 0)
    with pytest.raises(PolyapproxError, match="unknown encoding"):
        dc.build(f, 2, 1, 4, encoding="float")
    with pytest.raises(PolyapproxError, match="unknown representative"):
        dc.build(f, 2, 1, 4, representative="middle")
    with pytest.raises(SizeError):
        dc.build(f, 2, 3, 2**15)
    S = dc.build(f, 2, 1, 4)
    with pytest.raises(DomainError, match="outside the domain"):
        S(np.array([[0.5], [1.5]]))
    with pytest.raises(DomainError, match="extrapolation is not possible"):
        S(np.array([[0.5], [0.5]]), extrapolate=True)
    with pytest.raises(DomainError, match="NaN"):
        S(np.array([[np.nan], [0.5]]))
    with pytest.raises(ShapeError):
        S(rng.uniform(size=(3, 1)))
    with pytest.raises(PolyapproxError, match="not a valid histogram"):
        _dc.decode(5 * 3 + 0, n=2, k=4, d=1)  # digit 1 equals 5 > n
    with pytest.raises(PolyapproxError, match="not a valid histogram"):
        _dc.decode(1, n=2, k=4, d=1)  # digits sum to 1, not 2
    with pytest.raises(PolyapproxError, match="must be a Python int"):
        _dc.decode(3.0, n=2, k=4, d=1)
    with pytest.raises(PolyapproxError, match="count 0"):
        S.psi(np.array([[0.9]]), np.array([[_dc.encode([0, 0], 2)]], dtype=object))
    with pytest.raises(ShapeError, match="f must map"):
        dc.build(lambda X: X[:, :1], 3, 1, 4)
    with pytest.raises(PolyapproxError, match="Lipschitz"):
        dc.error_bound(-1.0, 4)
    assert dc.error_bound(lambda t: t**0.5, 4) == 0.5


@pytest.mark.parametrize("n, d, k", [(2, 1, 3), (3, 2, 3), (2, 2, 4), (1, 1, 5)])
def test_relu_phi_network_is_exact_off_the_bands_and_counted(n, d, k, rng):
    eps = 1e-3
    net = _relu.relu_phi_network(n, d, k, eps)
    assert net.neurons == dc.size_accounting(n, d, k).phi_relus == 2 * d * (k - 1) + k**d - 1
    x = rng.uniform(size=(4000, d))
    off_band = np.all(np.mod(x * k, 1.0) < 1 - eps * k - 1e-9, axis=1)  # outside [j/k - eps, j/k)
    expected = (n + 1.0) ** _dc.cell_index(x, k)
    # exact in exact arithmetic; in float64 the steps divide by eps, amplifying rounding by 1/eps
    np.testing.assert_allclose(net(x)[off_band, 0], expected[off_band], rtol=1e-9)
    assert off_band.mean() > 0.9


@pytest.mark.parametrize("n, d, k", [(2, 1, 3), (2, 2, 2), (3, 1, 2)])
def test_relu_psi_network_equals_the_decoder_and_is_counted(n, d, k, rng):
    f = targets.get("softmax-attention")
    net = _relu.relu_psi_network(f, n, d, k)
    assert net.neurons == dc.size_accounting(n, d, k).psi_relus
    S = dc.build(f, n, d, k)
    X = rng.uniform(size=(300, n, d))
    off_band = np.all(np.mod(X * k, 1.0) < 1 - 1e-3 * k - 1e-9, axis=(1, 2))
    X = X[off_band]
    codes = np.array([float(c) for c in S.latent(X)[:, 0]])
    inputs = np.concatenate([X, np.repeat(codes[:, None, None], n, axis=1)], axis=2)
    # exact in exact arithmetic; float64 rounding amplified by 1/eps in the steps
    np.testing.assert_allclose(net(inputs), S(X), rtol=1e-9, atol=1e-9)


def test_build_refuses_a_non_equivariant_target():
    with pytest.raises(NotEquivariantError):
        dc.build(lambda X: X[:, ::-1] * np.arange(1, 4)[None, :, None], 3, 1, 4)


def test_cell_indices_outside_the_grid_are_refused():
    with pytest.raises(PolyapproxError):
        _dc.encode([-1, 0], 2)
    with pytest.raises(DomainError, match="outside"):
        _dc.representatives(np.array([16]), 4, 2)
    with pytest.raises(DomainError, match="outside"):
        _dc.representatives(np.array([-1]), 4, 2)


def test_huge_codes_and_grids_are_refused_before_computing():
    """Hostile-input issue, item 4: these hung, or raised OverflowError / ValueError (4,300-digit limit)."""
    with pytest.raises(SizeError, match="grid limit"):
        dc.error_bound(1e308, 10**400)
    with pytest.raises(SizeError, match="bits"):
        _dc.decode(1 << 11_000_000, 2, 2, 1)
    with pytest.raises(SizeError, match="bits"):
        _dc.encode([10**400, 1], 2)
    with pytest.raises(SizeError, match="bits"):
        _dc.encode([10**7, 1], 2)  # (n+1)^(10^7): 15.8 million bits
    with pytest.raises(SizeError, match="too large"):
        dc.size_accounting(10**6, 10**6, 10**6)  # k^d has 6 million digits: compared by logarithm
    with pytest.raises(SizeError, match="bits"):
        dc.size_accounting(10**6, 1, 10**6)
    with pytest.raises(PolyapproxError, match="5001-digit code is not a valid histogram"):
        _dc.decode(10**5000, 2, 10, 2)  # within the bit limit, printed by digit count
    assert _dc.encode([2, 2, 0], 3) == 2 * 4**2 + 1 and _dc.decode(33, 3, 2, 2) == {2: 2, 0: 1}
