import numpy as np
import pytest

from constructions import Sumformer
from constructions.verify import assert_equivariant
from polyapprox import PolyapproxError, ShapeError
from polyapprox.exact._errors import DomainError


def _example(**kwargs):
    # phi(x) = (x_1, x_1 x_2); psi(x, s) = (x_1 s_1 + s_2, x_2 - s_1)
    phi = lambda x: np.stack([x[:, 0], x[:, 0] * x[:, 1]], axis=1)
    psi = lambda x, s: np.stack([x[:, 0] * s[:, 0] + s[:, 1], x[:, 1] - s[:, 0]], axis=1)
    return Sumformer(phi, psi, latent_dim=2, d=2, d_out=2, **kwargs)


def _reference(X):
    """Loop-based evaluation of the definition S(X)_i = psi(x_i, sum_j phi(x_j))."""
    out = np.zeros(X.shape[:-1] + (2,))
    for b in range(X.shape[0]):
        s1 = sum(X[b, j, 0] for j in range(X.shape[1]))
        s2 = sum(X[b, j, 0] * X[b, j, 1] for j in range(X.shape[1]))
        for i in range(X.shape[1]):
            out[b, i] = [X[b, i, 0] * s1 + s2, X[b, i, 1] - s1]
    return out


def test_matches_definition_and_shapes(rng):
    S = _example()
    X = rng.uniform(size=(3, 5, 2))
    np.testing.assert_allclose(S(X), _reference(X), rtol=1e-14)
    assert S(X[0]).shape == (5, 2)
    np.testing.assert_allclose(S.latent(X), np.stack([X[..., 0].sum(1), (X[..., 0] * X[..., 1]).sum(1)], 1))
    assert S.latent(X[0]).shape == (2,)


def test_equivariant_exactly():
    # token sums in a different order may differ in the last bit
    assert_equivariant(_example(), 7, 2, samples=4, atol=1e-13)


def test_exact_integer_latent():
    S = Sumformer(
        lambda x: np.array([[10**40 * int(v)] for v in x[:, 0]], dtype=object),
        lambda x, s: np.array([[float(v % 7)] for v in s[:, 0]]),
        1,
        1,
        1,
        latent_dtype=object,
    )
    total = S.latent(np.array([[1.0], [2.0]]))[0]
    assert total == 3 * 10**40 and isinstance(total, int)


def test_fixed_n_and_domain(rng):
    S = _example(n=3, domain=(0, 1))
    with pytest.raises(ShapeError, match=r"\(3, 2\) or \(b, 3, 2\); got shape \(4, 2\)"):
        S(rng.uniform(size=(4, 2)))
    with pytest.raises(DomainError, match="outside the domain"):
        S(np.full((3, 2), 1.5))
    assert S(np.full((3, 2), 1.5), extrapolate=True).shape == (3, 2)
    with pytest.raises(DomainError, match="NaN"):
        S(np.array([[0.1, np.nan], [0.2, 0.2], [0.3, 0.3]]))
    assert "n=3" in repr(S) and "latent_dim=2" in repr(S)


def test_bad_phi_psi_outputs(rng):
    wrong_phi = Sumformer(lambda x: x, lambda x, s: x, latent_dim=3, d=2, d_out=2)
    with pytest.raises(ShapeError, match="phi must map"):
        wrong_phi(rng.uniform(size=(2, 2)))
    wrong_psi = Sumformer(lambda x: x, lambda x, s: s[:, :1], latent_dim=2, d=2, d_out=2)
    with pytest.raises(ShapeError, match="psi must return"):
        wrong_psi(rng.uniform(size=(2, 2)))
    with pytest.raises(PolyapproxError):
        Sumformer("phi", lambda x, s: x, 1, 1, 1)
    with pytest.raises(PolyapproxError):
        Sumformer(lambda x: x, lambda x, s: x, 1, 0, 1)
    with pytest.raises(PolyapproxError, match="domain"):
        Sumformer(lambda x: x, lambda x, s: x, 1, 1, 1, domain=(1, 0))


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.array([[0.5 + 1j], [0.25]]), "complex"),
        (np.ma.masked_array([[0.5], [0.25]], mask=[[1], [0]]), "masked"),
        ([["0.5"], ["0.25"]], "strings"),
        (np.array([[True], [False]]), "booleans"),
        (np.array([[0.5], [0.25]], dtype=object), "objects"),
        (np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]").reshape(2, 1), "dates"),
    ],
)
def test_only_real_numbers_are_accepted(bad, error):
    from constructions import continuous, targets

    S, _ = continuous.approximate(targets.get("times-mean"), 2, 1, 1, samples=50)
    with pytest.raises(PolyapproxError, match=error):
        S(bad)
