"""Cell faces of the other piecewise constructions: the discontinuous Sumformer's cells, its literal
ReLU networks, and the Yarotsky sawtooth networks, on every face j/k (as floats) and the floats on
both sides of it, against exact references computed here with ``fractions.Fraction``.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from constructions import discontinuous as dc
from constructions import relu, targets
from constructions._networks import discontinuous_relu as _relu
from constructions._sumformers import discontinuous as _dc

KS = (3, 5, 6, 7, 10)


def face_values(k: int) -> list[float]:
    """j/k (j = 0..k) as floats and their float neighbours on both sides, inside [0, 1]."""
    values = set()
    for j in range(k + 1):
        v = float(Fraction(j, k))
        values.update(float(w) for w in (v, np.nextafter(v, -1.0), np.nextafter(v, 2.0)) if 0.0 <= w <= 1.0)
    return sorted(values)


def exact_cell(v: float, k: int) -> int:
    return min(math.floor(Fraction(v) * k), k - 1)


def exact_relu_network(net, x: np.ndarray) -> list[list[Fraction]]:
    """The same ReLU network (its float weights read as exact rationals) evaluated exactly."""
    layers = [
        ([[Fraction(float(w)) for w in row] for row in W], [Fraction(float(c)) for c in b]) for W, b in net.layers
    ]
    out = []
    for row in np.asarray(x, dtype=float):
        h = [Fraction(float(v)) for v in row]
        for depth, (W, b) in enumerate(layers):
            h = [sum((h[i] * W[i][j] for i in range(len(h))), b[j]) for j in range(len(b))]
            if depth < len(layers) - 1:
                h = [max(v, Fraction(0)) for v in h]
        out.append(h)
    return out


@pytest.mark.parametrize("k", KS)
def test_discontinuous_cells_exact_at_faces(k):
    values = face_values(k)
    got = _dc.cell_coordinates(np.array(values)[:, None], k)[:, 0]
    assert got.tolist() == [exact_cell(v, k) for v in values]  # float(1/3) was put in cell 1
    assert _dc.cell_coordinates(np.array([[1.0]]), k).item() == k - 1  # 1 is in the last cell
    pairs = np.array(list(itertools.product(values, repeat=2)))
    expected = [exact_cell(a, k) * k + exact_cell(b, k) for a, b in pairs]
    assert _dc.cell_index(pairs, k).tolist() == expected


@pytest.mark.parametrize("k", (3, 5, 6))
@pytest.mark.parametrize("representative", ["corner", "center"])
def test_discontinuous_sumformer_equals_f_at_exact_representatives_on_faces(k, representative):
    f = targets.get("centered")
    S = dc.build(f, 2, 1, k, representative=representative)
    X = np.array(list(itertools.product(face_values(k), repeat=2)))[..., None]  # (b, 2, 1): every pair
    cells = np.vectorize(lambda v: exact_cell(v, k), otypes=[np.int64])(X)
    R = (cells + (0.5 if representative == "center" else 0.0)) / k
    np.testing.assert_allclose(S(X), f(R), rtol=0, atol=1e-15)
    base = S.n + 1
    codes = [sum(base ** int(c) for c in row) for row in cells[..., 0]]
    assert [int(c) for c in S.latent(X)[:, 0]] == codes


def off_band(x: np.ndarray, k: int, eps: float) -> np.ndarray:
    """True where no coordinate lies in a band [j/k - eps, j/k) (decided exactly)."""
    e = Fraction(eps)

    def outside(v):
        return not any(Fraction(j, k) - e <= Fraction(float(v)) < Fraction(j, k) for j in range(1, k + 1))

    return np.vectorize(outside, otypes=[bool])(x).all(axis=-1)


@pytest.mark.parametrize("k", (3, 5, 6, 7))
def test_discontinuous_relu_phi_on_faces_matches_exact_network_and_cells(k):
    n, eps = 2, 1e-3
    net = _relu.relu_phi_network(n, 1, k, eps)
    x = np.array(face_values(k))[:, None]
    got = net(x)[:, 0]
    exact = np.array([float(v[0]) for v in exact_relu_network(net, x)])
    # the float network is the exact network to rounding, amplified by 1/eps in the steps
    np.testing.assert_allclose(got, exact, rtol=1e-9)
    keep = off_band(x, k, eps)  # off the bands: phi(x) = (n+1)^cell exactly
    expected = np.array([(n + 1.0) ** exact_cell(v, k) for v in x[:, 0]])
    np.testing.assert_allclose(got[keep], expected[keep], rtol=1e-9)
    assert keep.sum() >= k + 1  # 0, its neighbour and the upper neighbour of every inner face at least


@pytest.mark.parametrize("k", (2, 3))
def test_discontinuous_relu_psi_on_faces_matches_the_decoder(k):
    f = targets.get("centered")
    net = _relu.relu_psi_network(f, 2, 1, k)
    S = dc.build(f, 2, 1, k)
    X = np.array(list(itertools.product(face_values(k), repeat=2)))[..., None]
    X = X[off_band(X[..., 0], k, 1e-3)]
    codes = np.array([float(c) for c in S.latent(X)[:, 0]])
    inputs = np.concatenate([X, np.repeat(codes[:, None, None], 2, axis=1)], axis=2)
    np.testing.assert_allclose(net(inputs), S(X), rtol=1e-9, atol=1e-9)


def dyadic_faces(m: int) -> np.ndarray:
    values = set()
    for j in range(2**m + 1):
        v = j / 2**m
        values.update(float(w) for w in (v, np.nextafter(v, -1.0), np.nextafter(v, 2.0)) if 0.0 <= w <= 1.0)
    return np.array(sorted(values))


@pytest.mark.parametrize("m", (1, 3, 5))
def test_yarotsky_sawtooth_faces_float_equals_exact(m):
    """The hats' breakpoints j/2^m are floats: float64 evaluation equals the exact evaluation of the
    same weights to rounding at every breakpoint, its neighbours, and the clip at 0 and 1."""
    square = relu.square(m)
    x = dyadic_faces(m + 1)[:, None]
    exact = np.array([float(v[0]) for v in exact_relu_network(square, x)])
    np.testing.assert_allclose(square(x)[:, 0], exact, rtol=0, atol=1e-14)
    assert np.all(np.abs(exact - x[:, 0] ** 2) <= relu.square_error(m) + 1e-15)  # the bound holds at faces
    product = relu.product(m)
    grid = dyadic_faces(2)
    pairs = np.array(list(itertools.product(grid, repeat=2)))
    exact = np.array([float(v[0]) for v in exact_relu_network(product, pairs)])
    np.testing.assert_allclose(product(pairs)[:, 0], exact, rtol=0, atol=1e-14)
    assert np.all(np.abs(exact - pairs[:, 0] * pairs[:, 1]) <= 2 * relu.square_error(m) + 1e-15)
