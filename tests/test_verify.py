import numpy as np
import pytest

from constructions import targets
from constructions.verify import SearchConfig, assert_equivariant, equivariance_error, sup_error
from polyapprox import NotEquivariantError, PolyapproxError, ShapeError
from polyapprox.exact._errors import DomainError

CENTER = np.array([[0.31, 0.62], [0.77, 0.18]])  # n = 2, d = 2: a point in the 4-dimensional box
RADIUS = 0.12


def spike(X):
    """A bump of height 1 at CENTER, zero outside a Euclidean ball of radius RADIUS (C^1)."""
    r2 = ((X - CENTER) ** 2).sum(axis=(-2, -1)) / RADIUS**2
    bump = np.where(r2 < 1, (1 - r2) ** 2, 0.0)
    return bump[..., None, None] * np.ones(X.shape[:-1] + (1,))


def base(X):
    return targets.get("gaussian-kernel-sum")(X)


def planted(X):
    return base(X) + spike(X)


def test_planted_spike_found_by_local_stage_but_missed_by_random_sampling():
    # Same budget of random samples: the ball has volume ~1e-3 of the box, so random points land
    # in it only near its rim, where the bump is small.
    plain = sup_error(base, planted, n=2, d=2, search=SearchConfig(samples=2000, grid_budget=0, local_starts=0), seed=0)
    assert plain.error < 0.6
    full = sup_error(base, planted, n=2, d=2, search=SearchConfig(samples=2000, grid_budget=0, local_starts=8), seed=0)
    assert full.error > 0.999 and full.by_stage["local"] > 0.999
    np.testing.assert_allclose(full.argmax, CENTER, atol=1e-3)
    assert full.evaluations > plain.evaluations


def test_exact_model_has_zero_error_and_counts_evaluations():
    f = targets.get("centered")
    result = sup_error(f, f, n=3, d=1, search=SearchConfig(samples=100, grid_budget=64, local_starts=2), seed=1)
    assert result.error == 0.0
    assert result.by_stage["random"] == 0.0 and result.by_stage["grid"] == 0.0
    assert result.evaluations >= 100 + 64  # random + grid (4 points per axis) + local


def test_grid_stage_hits_the_box_corners():
    f = targets.get("centered")
    model = lambda X: f(X) + (X.sum(axis=(-2, -1)) == 0)[..., None, None] * 1.0  # wrong only at X = 0
    result = sup_error(model, f, n=2, d=1, search=SearchConfig(samples=50, grid_budget=9, local_starts=0), seed=0)
    assert result.by_stage["grid"] == 1.0 and result.by_stage["random"] == 0.0


def test_seeded_reproducible():
    f = targets.get("max-inner")
    model = lambda X: f(X) * 1.01
    a = sup_error(model, f, n=3, d=2, search=SearchConfig(samples=200), seed=5)
    b = sup_error(model, f, n=3, d=2, search=SearchConfig(samples=200), seed=5)
    assert a.error == b.error and np.array_equal(a.argmax, b.argmax)


def test_equivariance_error():
    f = targets.get("softmax-attention")
    assert equivariance_error(f, n=5, d=3) < 1e-13
    not_equivariant = lambda X: X * np.arange(1, X.shape[1] + 1)[None, :, None]
    assert equivariance_error(not_equivariant, n=3, d=1) > 0.1
    assert equivariance_error(not_equivariant, n=1, d=1) == 0.0


def test_bad_input():
    f = targets.get("centered")
    with pytest.raises(ShapeError, match="model returns shape"):
        sup_error(lambda X: X[..., :1].repeat(2, -1), f, n=2, d=1, search=SearchConfig(samples=4, local_starts=0))
    with pytest.raises(DomainError, match="model returned NaN"):
        sup_error(lambda X: f(X) * np.nan, f, n=2, d=1, search=SearchConfig(samples=4, local_starts=0))
    with pytest.raises(PolyapproxError, match="domain"):
        sup_error(f, f, n=2, d=1, domain=(1, 0))
    with pytest.raises(PolyapproxError, match="samples must be an integer >= 1"):
        sup_error(f, f, n=2, d=1, search=SearchConfig(samples=0))
    with pytest.raises(PolyapproxError, match="n must be an integer >= 1"):
        equivariance_error(f, n=0, d=1)


def test_huge_domain_and_sample_counts_are_refused():
    """Hostile-input issue, items 3-4: OverflowError from numpy on (-1e308, 1e308), MemoryError at 10^12 samples."""
    from polyapprox import SizeError

    f = targets.get("centered")
    with pytest.raises(PolyapproxError, match="finite width"):
        sup_error(f, f, n=2, d=1, domain=(-1e308, 1e308), search=SearchConfig(samples=8))
    with pytest.raises(SizeError, match="random sequences"):
        sup_error(f, f, n=2, d=1, search=SearchConfig(samples=10**12))


def _brute_force_deviation(f, X, sigma):
    """max |f(sigma X) - sigma f(X)| with sigma moving token j to position sigma[j] (NotEquivariantError's convention)."""
    moved = np.empty_like(X)
    moved[:, list(sigma)] = X
    base = f(X)
    expected = np.empty_like(base)
    expected[:, list(sigma)] = base
    return float(np.abs(f(moved) - expected).max())


def test_assert_equivariant_passes_and_reports_the_largest_deviation():
    assert assert_equivariant("gaussian-kernel-sum", 4, 2) < 1e-14
    assert assert_equivariant("sum_j(exp(-norm2(x_i - x_j)))", 4, 2, atol=1e-14) < 1e-14
    assert assert_equivariant(targets.get("rank"), 5, 1, atol=0.0) == 0.0
    assert assert_equivariant(lambda X: X, 1, 3, atol=0.0) == 0.0  # n = 1: nothing to permute


@pytest.mark.parametrize("n", [2, 3, 5])
def test_assert_equivariant_gives_a_true_witness(n):
    """Maps that commute with some permutations only: the witness really moves f, by the deviation it reports."""
    cases = {
        "shift": lambda X: np.roll(X, 1, axis=1),  # equivariant under cyclic shifts only
        "first": lambda X: X[:, :1, :] + 0 * X,  # every token gets token 1
        "weights": lambda X: X * np.arange(1, X.shape[1] + 1)[None, :, None],
    }
    X = np.random.default_rng(0).uniform(size=(16, n, 2))
    for name, f in cases.items():
        if name == "shift" and n == 2:  # the two permutations of 2 tokens are both shifts
            assert assert_equivariant(f, n, 2, atol=0.0) == 0.0
            continue
        with pytest.raises(NotEquivariantError, match="max deviation") as info:
            assert_equivariant(f, n, 2, samples=16, seed=0)
        sigma = info.value.witness
        assert sorted(sigma) == list(range(n)) and _brute_force_deviation(f, X, sigma) > 1e-9, name


def test_assert_equivariant_bad_input():
    with pytest.raises(PolyapproxError, match="needs a callable"):
        assert_equivariant(3, 2, 1)
    with pytest.raises(PolyapproxError, match="samples must be an integer >= 1"):
        assert_equivariant("centered", 2, 1, samples=0)
    with pytest.raises(PolyapproxError, match="atol must be >= 0"):
        assert_equivariant("centered", 2, 1, atol=-1.0)
    with pytest.raises(PolyapproxError, match="domain"):
        assert_equivariant("centered", 2, 1, domain=(1.0, 0.0))
    with pytest.raises(ShapeError, match=r"must map \(b, n, d\)"):
        assert_equivariant(lambda X: X[:, 0], 2, 1)
    with pytest.raises(NotEquivariantError, match="max deviation nan"):
        assert_equivariant(lambda X: X * np.nan, 2, 1)
