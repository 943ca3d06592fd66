import numpy as np
import pytest
from _networks import fitted

from constructions import linformer
from constructions.verify import equivariance_error
from polyapprox import PolyapproxError, ShapeError


@pytest.mark.parametrize("F", ["first", "mean"])
@pytest.mark.parametrize("k", [1, 2, 7])
def test_exact_for_equal_column_sums_t2(F, k, rng):
    S = fitted()
    L = linformer.from_sumformer(S, 5, k, F=F, E=rng.normal(size=(k, 5)))
    X = rng.uniform(size=(30, 5, 2))
    assert np.abs(L(X) - S(X)).max() <= 1e-13


def test_scaled_custom_projection(rng):
    S = fitted()
    F = np.full((3, 5), 0.7)  # column sums c = 2.1
    L = linformer.from_sumformer(S, 5, 3, F=F)
    X = rng.uniform(size=(10, 5, 2))
    assert np.abs(L(X) - S(X)).max() <= 1e-13 and L.details["column_sum"] == pytest.approx(2.1)


def test_gaussian_projection_negative_control_t3(rng):
    """MATH.md T3: unequal column sums make the sum weighted; error must exceed 1e-3 (seen ~0.33)."""
    S = fitted()
    G = np.random.default_rng(1).normal(size=(4, 5))
    with pytest.raises(PolyapproxError, match="equal column sums"):
        linformer.from_sumformer(S, 5, 4, F=G)
    L = linformer.from_sumformer(S, 5, 4, F=G, allow_unequal_columns=True)
    X = rng.uniform(size=(100, 5, 2))
    assert np.abs(L(X) - S(X)).max() > 1e-3
    assert equivariance_error(L, 5, 2) > 1e-3  # no longer permutation-equivariant


def test_bad_input():
    S = fitted()
    with pytest.raises(PolyapproxError, match="k must be an integer >= 1"):
        linformer.from_sumformer(S, 5, 0)
    with pytest.raises(ShapeError, match=r"F must have shape \(k, n\) = \(2, 5\)"):
        linformer.from_sumformer(S, 5, 2, F=np.ones((2, 4)))
    with pytest.raises(PolyapproxError, match="non-zero column sums"):
        linformer.from_sumformer(S, 5, 2, F=np.zeros((2, 5)))
    with pytest.raises(PolyapproxError, match="unknown E"):
        linformer.from_sumformer(S, 5, 2, E="random")


def test_absurd_projection_size_is_refused():
    """Hostile-input issue, item 3: k = 10^12 was a MemoryError."""
    from polyapprox import SizeError

    with pytest.raises(SizeError, match="Linformer projections"):
        linformer.from_sumformer(fitted(), 5, 10**12)
