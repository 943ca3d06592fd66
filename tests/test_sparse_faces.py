"""The sparse universal network on every grid face and corner: float64, mpmath and torch decide
every cell as exact arithmetic does (constructions.sparse._prefix, constructions._common.exact_grid).

Face values of the 1/q grid are j/q for j = 0..q (0 and 1 included) rounded to float, and the
floats on both sides of each (nextafter down and up). The reference is independent of the
network: the cube of each input from ``Fraction`` floors, f at the cube centre. Tolerance of the
float paths: the network's own rounding estimate ``float_error_estimate()`` times (1 + max|f|),
the bound under which ``arithmetic="auto"`` picks float64 (the measured differences are below
1e-9 for every case here).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from constructions import sparse, targets
from constructions._common.exact_grid import exact_floor, float_at_least

P = sparse.patterns


def face_values(q: int) -> list[float]:
    """j/q (j = 0..q) as floats and their float neighbours on both sides, inside [0, 1]."""
    values = set()
    for j in range(q + 1):
        v = float(Fraction(j, q))
        values.update(w for w in (v, np.nextafter(v, -1.0), np.nextafter(v, 2.0)) if 0.0 <= w <= 1.0)
    return sorted(values)


def face_sequences(n: int, d: int, q: int, limit: int, seed: int) -> np.ndarray:
    """Every sequence whose n d coordinates are face values; a seeded sample of ``limit`` when more,
    always with the all-0 and all-1 corners and every face value in every coordinate."""
    faces = face_values(q)
    total = len(faces) ** (n * d)
    if total <= limit:
        return np.array(list(itertools.product(faces, repeat=n * d))).reshape(-1, n, d)
    rng = np.random.default_rng(seed)
    X = rng.choice(faces, size=(limit, n * d))
    X[0], X[1] = 0.0, 1.0
    for coordinate in range(n * d):  # each face value once in each coordinate
        X[2 : 2 + len(faces), coordinate] = faces
    return X.reshape(-1, n, d)


def reference(f, X: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """(cube index from exact Fraction floors, f at the cube centres) of float inputs X."""
    idx = np.vectorize(lambda v: min(math.floor(Fraction(float(v)) * q), q - 1), otypes=[np.int64])(X)
    out = np.asarray(f((idx + 0.5) / q), dtype=float)
    return idx, out if out.ndim == 3 else out[..., None]


def tolerance(net, expected: np.ndarray) -> float:
    return net.float_error_estimate() * (1 + float(np.abs(expected).max()))


# (id, masks, n, d, q, target): delta in {1/2, 1/3, 1/5, 1/6}, d = 1 and 2, several patterns
CASES = [
    ("dense n=2 d=1 1/2", P.dense(2), 2, 1, 2, "centered"),
    ("dense n=2 d=1 1/3", P.dense(2), 2, 1, 3, "gaussian-kernel-sum"),
    ("dense n=2 d=1 1/5", P.dense(2), 2, 1, 5, "centered"),
    ("dense n=2 d=1 1/6", P.dense(2), 2, 1, 6, "times-mean"),
    ("dense n=3 d=1 1/3", P.dense(3), 3, 1, 3, "centered"),
    ("star n=3 d=1 1/5", P.star(3), 3, 1, 5, "gaussian-kernel-sum"),
    ("tridiagonal n=3 d=1 1/6", P.tridiagonal(3), 3, 1, 6, "centered"),
    ("window n=3 d=1 1/2", P.sliding_window(3, 3), 3, 1, 2, "poly-mean-field"),
    ("dense n=2 d=2 1/2", P.dense(2), 2, 2, 2, "centered"),
    ("dense n=2 d=2 1/3", P.dense(2), 2, 2, 3, "max-inner"),
]
SLOW = [  # builds of 1,250 and 2,592 value layers: tens of seconds each
    ("dense n=2 d=2 1/5", P.dense(2), 2, 2, 5, "centered"),
    ("dense n=2 d=2 1/6", P.dense(2), 2, 2, 6, "gaussian-kernel-sum"),
]
IDS = [c[0] for c in CASES]


@pytest.fixture(scope="module")
def built():
    return {}


def network(built, case):
    name, masks, n, d, q, target = case
    if name not in built:
        built[name] = sparse.universal_network(targets.get(target), n, d, Fraction(1, q), masks)
    return built[name]


def test_sparse_float_path_exact_at_zero_delta_one_third():
    torch = pytest.importorskip("torch")
    net = sparse.universal_network(targets.get("centered"), 3, 1, "1/3", P.dense(3))
    X = np.array([[0.0], [0.5], [0.9]])
    exact = net.exact(X)
    _, centres = reference(targets.get("centered"), X[None], 3)  # f at 1/6, 1/2, 5/6
    assert exact.tolist() == [[Fraction(v)] for v in centres[0, :, 0]]  # exactly f-bar
    assert np.abs(centres[0, :, 0] - [-1 / 3, 0, 1 / 3]).max() < 1e-15
    expected = exact.astype(float)
    tol = tolerance(net, expected)
    for arithmetic in ("auto", "float64", "mpmath"):
        assert np.abs(net(X, arithmetic) - expected).max() <= tol, arithmetic
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - expected).max() <= tol  # was 2571.3 off


@pytest.mark.parametrize(
    "case", CASES + [pytest.param(c, marks=pytest.mark.slow) for c in SLOW], ids=IDS + [c[0] for c in SLOW]
)
def test_sparse_faces_float64_and_torch_equal_the_exact_cube(case, built):
    torch = pytest.importorskip("torch")
    name, masks, n, d, q, target = case
    net = network(built, case)
    assert net.arithmetic == "float64"
    X = face_sequences(n, d, q, limit=1500, seed=q)
    idx, expected = reference(targets.get(target), X, q)
    tol = tolerance(net, expected)
    got = net(X)
    assert np.abs(got - expected).max() <= tol
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - expected).max() <= tol
    # stronger: a face point and the centre of its exact cube enter the later stages as the same floats
    np.testing.assert_array_equal(got, net((idx + 0.5) / q, "float64"))
    np.testing.assert_array_equal(net.cube_index(X), idx)


@pytest.mark.parametrize("case", [c for c in CASES if c[2] * c[4] ** (c[2] * c[3]) <= 100], ids=str)
def test_sparse_faces_exact_network_equals_the_float_paths(case, built):
    """Exact rationals layer by layer on a seeded subset of faces (exact arithmetic is slow)."""
    torch = pytest.importorskip("torch")
    name, masks, n, d, q, target = case
    net = network(built, case)
    X = face_sequences(n, d, q, limit=1500, seed=q)[:40]
    exact = net.exact(X).astype(float)
    _, expected = reference(targets.get(target), X, q)
    np.testing.assert_array_equal(exact, expected)  # the exact network is f-bar, exactly
    tol = tolerance(net, expected)
    assert np.abs(net(X, "float64") - exact).max() <= tol
    assert np.abs(net(X, "mpmath") - exact).max() <= tol
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - exact).max() <= tol


@pytest.mark.parametrize(
    "kwargs",
    [dict(rho="sparsemax", t=40), dict(rho="sparsemax", t=40, eps="1/100"), dict(eps="1/50")],
    ids=["sparsemax", "sparsemax eps", "hardmax eps"],
)
def test_sparse_faces_other_activations_float_equals_exact(kwargs):
    """Four-ReLU activations (eps) put the float neighbours just below a face inside a band:
    the prefix value is then off the grid, and still float64 = exact to rounding."""
    torch = pytest.importorskip("torch")
    net = sparse.universal_network(targets.get("centered"), 2, 1, "1/3", P.dense(2), **kwargs)
    X = face_sequences(2, 1, 3, limit=200, seed=0)
    exact = net.exact(X).astype(float)
    tol = tolerance(net, exact) + 1e-12
    assert np.abs(net(X, "float64") - exact).max() <= tol
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - exact).max() <= tol


def test_sparse_faces_softmax_float_equals_mpmath():
    torch = pytest.importorskip("torch")
    net = sparse.universal_network(targets.get("centered"), 2, 1, "1/5", P.dense(2), rho="softmax", t=200)
    X = face_sequences(2, 1, 5, limit=200, seed=0)
    precise = net(X, "mpmath")
    assert np.abs(net(X, "float64") - precise).max() <= 1e-9
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - precise).max() <= 1e-9


def test_sparse_random_interior_points_agree(built):
    torch = pytest.importorskip("torch")
    case = CASES[4]
    net = network(built, case)
    X = np.random.default_rng(7).uniform(size=(300, 3, 1))
    _, expected = reference(targets.get(case[5]), X, 3)
    tol = tolerance(net, expected)
    assert np.abs(net(X) - expected).max() <= tol
    assert np.abs(net.to_torch()(torch.tensor(X)).numpy() - expected).max() <= tol
    np.testing.assert_array_equal(net.exact(X[:20]).astype(float), expected[:20])


def test_sparse_fraction_inputs_decide_exactly_on_the_float_paths():
    """A Fraction input exactly on a face is in the upper cube, also on the float paths (the
    float nearest 1/3 is below 1/3, in the lower cube)."""
    net = sparse.universal_network(targets.get("centered"), 2, 1, "1/3", P.dense(2))
    on_face = [[Fraction(1, 3)], [Fraction(0)]]
    exact = net.exact(on_face).astype(float)
    np.testing.assert_array_equal(exact, net.f_bar(on_face))
    assert np.abs(net(on_face, "float64") - exact).max() <= tolerance(net, exact)
    assert net.cube_index(np.array([[[1 / 3]]])).item() == 0
    assert net.cube_index(np.array([[[Fraction(1, 3)]]], dtype=object)).item() == 1


def test_exact_floor_and_float_at_least_against_fractions():
    values = [v for q in (2, 3, 5, 6, 7, 10) for v in face_values(q)] + [5e-324, 0.1, 0.7, 1 - 2**-53]
    for k in (1, 2, 3, 5, 6, 7, 10, 1000, 2**40 + 1):
        got = exact_floor(np.array(values), k)
        assert got.tolist() == [math.floor(Fraction(v) * k) for v in values], k
    for r in (Fraction(1, 3), Fraction(2, 3), Fraction(5, 6), Fraction(1, 2), Fraction(7, 3), Fraction(0)):
        t = float_at_least(r)
        assert Fraction(t) >= r and Fraction(float(np.nextafter(t, -np.inf))) < r
