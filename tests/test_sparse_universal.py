"""The universal-approximation network of the sparse theorem, end to end (constructions.sparse._universal).

References are independent of the network: f-bar is computed here from the cube of each input
(exact Fractions) and f at the cube centre; counts from the layer-count formulas and closed forms.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from constructions import sparse, targets
from polyapprox import DomainError, PolyapproxError, ShapeError, SizeError

P = sparse.patterns
F = Fraction


def centered(X):
    return X - X.mean(axis=1, keepdims=True)


def user_mixed(X):  # a non-equivariant user function with d_out = 2 (any d)
    s = X.sum(axis=(1, 2))[:, None]
    pos = np.arange(X.shape[1])[None, :]
    return np.stack([np.sin(3 * s + pos), X[..., 0] ** 2 - pos * 0.25], axis=-1)


# (id, masks, n, d, delta, f)
CASES = [
    ("dense n=2 d=1 1/2", P.dense(2), 2, 1, "1/2", centered),
    ("dense n=2 d=2 1/3", P.dense(2), 2, 2, "1/3", user_mixed),
    ("star n=3 d=1 1/2", P.star(3), 3, 1, "1/2", targets.get("gaussian-kernel-sum")),
    ("star n=3 d=1 1/3", P.star(3), 3, 1, "1/3", centered),
    ("star n=3 d=2 1/2", P.star(3), 3, 2, "1/2", targets.get("max-inner")),
    ("strided w=2 n=4 d=1 1/2", P.strided(4, 2), 4, 1, "1/2", targets.get("times-mean")),
    ("fixed w=2 n=4 d=1 1/2", P.fixed(4, 2), 4, 1, "1/2", user_mixed),
    ("window w=3 n=3 d=1 1/3", P.sliding_window(3, 3), 3, 1, "1/3", targets.get("poly-mean-field")),
    ("tridiagonal n=3 d=2 1/2", P.tridiagonal(3), 3, 2, "1/2", centered),
]
IDS = [c[0] for c in CASES]


def reference_fbar(f, X_exact, q):
    """f at the centre of the cube of each exact input (last cube closed), as Fractions."""
    X = np.array(X_exact, dtype=object)
    idx = np.vectorize(lambda v: min(math.floor(v * q), q - 1), otypes=[int])(X)
    centres = (idx + 0.5) / q
    out = np.asarray(f(centres), dtype=float)
    if out.ndim == 2:
        out = out[..., None]
    return np.vectorize(Fraction, otypes=[object])(out)


def grid_inputs(n, d, q):
    levels = [F(k, q) for k in range(q)]
    cells = itertools.product(levels, repeat=n * d)
    return np.array([[list(c[i * d : (i + 1) * d]) for i in range(n)] for c in cells], dtype=object)


def inside_points(n, d, q, count, seed):
    """Exact rationals strictly inside random cubes: (k + r)/q with r in (0, 1)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, q, size=(count, n, d))
    r = rng.integers(1, 997, size=(count, n, d))
    return np.vectorize(lambda a, b: F(int(a), q) + F(int(b), 997 * q), otypes=[object])(k, r)


@pytest.fixture(scope="module")
def built():
    return {c[0]: sparse.universal_network(c[5], c[2], c[3], c[4], c[1]) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hardmax_exact_equals_fbar_on_grid_and_inside(case, built):
    name, masks, n, d, delta, f = case
    net = built[name]
    q = F(delta).denominator
    L = grid_inputs(n, d, q)
    assert len(L) == q ** (n * d)
    assert (net.exact(L) == reference_fbar(f, L, q)).all()
    X = inside_points(n, d, q, 40, seed=len(name))
    assert (net.exact(X) == reference_fbar(f, X, q)).all()
    # float inputs inside cubes (away from the faces by more than float rounding)
    Xf = (
        np.random.default_rng(1).integers(0, q, size=(30, n, d))
        + np.random.default_rng(2).uniform(0.01, 0.99, size=(30, n, d))
    ) / q
    Xf_exact = np.vectorize(Fraction, otypes=[object])(Xf)
    assert (net.exact(Xf) == reference_fbar(f, Xf_exact, q)).all()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float_forward_matches_exact(case, built):
    name, masks, n, d, delta, f = case
    net = built[name]
    q = F(delta).denominator
    X = inside_points(n, d, q, 30, seed=3)
    exact = net.exact(X).astype(float)
    assert net.arithmetic == "float64"
    np.testing.assert_allclose(net(X.astype(float), "float64"), exact, rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_counts_equal_formulas(case, built):
    name, masks, n, d, delta, f = case
    net = built[name]
    report = sparse.check_assumption(masks)
    formula = sparse.layer_counts(n, d, delta, report.p, report.s)
    counts = net.stage_counts()
    q = F(delta).denominator
    assert (counts["quantisation"], counts["phase-a"], counts["phase-b"], counts["value"]) == (
        formula.quantisation,
        formula.phase_a,
        formula.phase_b,
        formula.value,
    )
    assert counts["value"] == n * q ** (n * d) and counts["quantisation"] == d * n * q
    assert counts["phase-a"] == report.p * (n - 1) * q**d and counts["phase-b"] == report.s
    assert (counts["input"], counts["clip"], counts["position"], counts["readout"]) == (1, d, 1, 1)
    D, d_out = net.D, net.d_out
    attn = formula.phase_a + formula.phase_b
    ff = formula.quantisation + formula.value
    expected = attn * 2 * (4 * D + 1) + ff * (3 * D + 1) + d * (3 * D + 1) + d * D + D * D + n * D + D * d_out
    assert net.parameter_count() == expected


@pytest.mark.parametrize("case", CASES[:5], ids=IDS[:5])
def test_block_structure(case, built):
    name, masks, n, d, delta, f = case
    net = built[name]
    assert (net.heads, net.head_size, net.ff_width) == (2, 1, 1)
    p = len(masks)
    attn = [layer for layer in net.layers if layer.kind == "attention"]
    for i, layer in enumerate(attn):
        assert len(layer.heads) == 2
        assert layer.pattern == i % p  # the cycle of patterns, Phase B aligned
        for h in layer.heads:
            assert all(len(v) == net.D for v in (h.W_Q, h.W_K, h.W_V, h.W_O))
            assert isinstance(h.b_Q, Fraction)
    for layer in net.layers:
        if layer.kind == "feed-forward":
            assert layer.width == 1 and len(layer.W1) == net.D and len(layer.W2) == 1
    # the stages come in the documented order
    stages = [layer.stage for layer in net.layers]
    assert stages == sorted(stages, key=sparse._universal.STAGES.index)
    # labelled weights of a selective shift and an all-max shift (Step 2 (d), (f))
    q = F(delta).denominator
    u = [F(q) ** c for c in range(d)]
    shift = next(layer for layer in attn if layer.stage == "phase-a" and any(h.W_O[0] for h in layer.heads))
    b = shift.heads[0]
    assert list(b.W_K[:d]) == u and list(b.W_V[:d]) == u and b.W_O[0] == F(q**d)
    assert shift.heads[1].W_O[0] == -F(q**d) and b.b_Q - shift.heads[1].b_Q == F(1, q)
    W = net.weights("phase-b.0")
    assert W["head0.W_O"][("head", 0), ("z", 1)] == net.c_B and W["head0.b_Q"][("one", None), ("head", 0)] == 1
    assert not W["head1.W_O"].any()


def test_four_relu_structure_and_exact_outside_bands():
    net = sparse.universal_network(centered, 3, 1, "1/2", P.star(3), eps="1/64")
    assert net.ff_width == 4 and net.heads == 2
    widths = {layer.stage: layer.width for layer in net.layers if layer.kind == "feed-forward"}
    assert widths == {"clip": 1, "quantisation": 4, "value": 4}
    # exact evaluation away from the bands [k delta - eps, k delta) equals f-bar exactly
    X = inside_points(3, 1, 2, 40, seed=5)
    frac = np.vectorize(lambda v: (v * 2) % 1, otypes=[object])(X)
    X = X[np.all(frac < F(1) - F(2, 64), axis=(1, 2))]
    assert len(X) > 10
    assert (net.exact(X) == reference_fbar(centered, X, 2)).all()
    # inside a band the replacement differs from the piecewise-linear network
    band = np.array([[[F(1, 2) - F(1, 200)], [F(1, 8)], [F(5, 8)]]], dtype=object)
    assert (net.exact(band) != reference_fbar(centered, band, 2)).any()


def test_zeta_tilde_formula_against_definition():
    eps = F(1, 10)
    for act in (
        sparse._universal.PiecewiseLinear.quantiser(F(1, 2)),
        sparse._universal.PiecewiseLinear.indicator(F(1, 3)),
    ):
        b0, offsets, coefs = act.four_relu(eps)
        for x in [F(k, 60) for k in range(-60, 61)]:
            tilde = b0 + sum(c * max(x + o, 0) for o, c in zip(offsets, coefs))
            in_band = act.c1 - eps <= x < act.c1 or act.c2 - eps <= x < act.c2
            plain = act.b1 if x < act.c1 else (act.a2 * x + act.b2 if x < act.c2 else act.a3 * x + act.b3)
            assert in_band or tilde == plain


def test_coordinates_equal_to_one_fall_in_the_last_cube():
    net = sparse.universal_network(centered, 2, 2, "1/3", P.dense(2))
    X = np.array([[[F(1), F(0)], [F(1, 2), F(1)]]], dtype=object)
    assert (net.exact(X) == reference_fbar(centered, X, 3)).all()


def test_softmax_error_decreases_in_t():
    f = targets.get("centered")
    errors = []
    for t in (10, 60, 120, 400):
        net = sparse.universal_network(f, 3, 1, "1/2", P.star(3), rho="softmax", t=t)
        errors.append(net.distance(samples=300, seed=7)["d_p(f_bar,g)"])
    assert errors[0] > 1 and all(a >= b for a, b in zip(errors, errors[1:])) and errors[-1] < 1e-9
    # the f-to-f_bar part meets the Step-1 bound (n d_out)^(1/p) omega_f(delta/2), L = 2 for this target
    r = net.distance(samples=300, seed=7)
    assert r["omega"] == 0.5 and r["d_p(f,f_bar)"] <= r["bound_f_fbar"]


def test_eps_sweep_error_decreases():
    f = targets.get("centered")
    mism = [
        sparse.universal_network(f, 3, 1, "1/2", P.star(3), rho="softmax", t=1000, eps=e).distance(
            samples=2000, seed=1
        )["mismatch"]
        for e in (0.1, 0.02, 0.002)
    ]
    assert mism[0] > mism[1] > mism[2]


def test_sparsemax_is_exact_for_large_t():
    # sparsemax is one-hot once t * margin >= 1: margin delta^2/2 = 1/8 in Phase A, so t = 8
    net = sparse.universal_network(centered, 3, 1, "1/2", P.star(3), rho="sparsemax", t=8)
    L = grid_inputs(3, 1, 2)
    assert (net.exact(L) == reference_fbar(centered, L, 2)).all()
    small = sparse.universal_network(centered, 3, 1, "1/2", P.star(3), rho="sparsemax", t=1)
    assert (small.exact(L) != reference_fbar(centered, L, 2)).any()


def test_mpmath_when_float64_is_not_enough():
    net = sparse.universal_network(centered, 3, 2, "1/2", P.star(3), rho="softmax", t=4000, eps="1/100000")
    assert net.arithmetic == "mpmath" and net.mpmath_bits() > 53
    ref = sparse.universal_network(centered, 3, 2, "1/2", P.star(3), eps="1/100000")
    assert ref.arithmetic == "exact"
    X = inside_points(3, 2, 2, 4, seed=11)
    Xf = X.astype(float)
    exact = ref.exact(Xf).astype(float)
    np.testing.assert_allclose(net(Xf), exact, atol=1e-12, rtol=0)
    assert np.abs(ref(Xf, "float64") - exact).max() > 1e-6  # why float64 is not used here


def test_collision_caveat_enlarges_c_B():
    big = lambda X: 1e4 * X
    net = sparse.universal_network(big, 2, 1, "1/2", P.dense(2))
    default = sparse.contextual_mapping(P.dense(2), 2, 1, "1/2").c_B
    assert net.c_B > default
    lowest = min(min(c) for c in net.contextual.final_codes.values())
    assert lowest - F(1, 4) > net.max_abs_value_code
    L = grid_inputs(2, 1, 2)
    assert (net.exact(L) == reference_fbar(big, L, 2)).all()


def test_contextual_mapping_refactor_keeps_rows():
    cm = sparse.contextual_mapping(P.star(3), 3, 1, "1/2", c_B_min=1000)
    assert cm.c_B == 1000 and cm.verify().holds
    for L in cm.inputs:
        assert cm.codes(cm.final_rows[L]) == cm.final_codes[L]


@pytest.mark.slow
def test_dense_n4_d2_exact_on_grid():
    net = sparse.universal_network(centered, 4, 2, "1/2", P.dense(4))
    L = grid_inputs(4, 2, 2)
    assert (net.exact(L) == reference_fbar(centered, L, 2)).all()


# ---------------------------------------------------------------- bad input


def test_refuses_patterns_failing_assumption():
    bad = P.from_adjacency([[{0, 1}, {0, 1}, {1, 2, 3}, {2, 3}]])
    with pytest.raises(DomainError, match=r"connectivity.*witness.*query"):
        sparse.universal_network(centered, 4, 1, "1/2", bad)
    no_loop = [np.ones((3, 3), dtype=bool) & ~np.eye(3, dtype=bool)]
    with pytest.raises(DomainError, match=r"self-loops.*token"):
        sparse.universal_network(centered, 3, 1, "1/2", no_loop)


@pytest.mark.parametrize("delta", ["2/3", 0.3, 1, "0", "x", -2])
def test_refuses_delta_not_one_over_q(delta):
    with pytest.raises(PolyapproxError, match="delta"):
        sparse.universal_network(centered, 2, 1, delta, P.dense(2))


def test_int_delta_is_q():
    assert sparse.universal_network(centered, 2, 1, 3, P.dense(2)).delta == F(1, 3)


def test_size_budget_refuses_before_building():
    with pytest.raises(SizeError, match="163,840"):
        sparse.universal_network(centered, 5, 3, "1/2", P.dense(5))
    with pytest.raises(SizeError, match="value-mapping layers.*8 entries.*limit of 4"):
        sparse.universal_network(centered, 2, 1, "1/2", P.dense(2), max_value_layers=4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rho": "softmax"}, "needs a query scale t"),
        ({"rho": "softmax", "t": 0}, "t must be > 0"),
        ({"rho": "softmax", "t": -1.0}, "t must be > 0"),
        ({"eps": 0}, "eps must be > 0"),
        ({"eps": "1/4"}, "eps must be < delta/2"),
        ({"t": float("inf")}, "t must be a positive finite"),
        ({"rho": "relu"}, "unknown rho"),
    ],
)
def test_refuses_bad_parameters(kwargs, match):
    with pytest.raises(PolyapproxError, match=match):
        sparse.universal_network(centered, 2, 1, "1/2", P.dense(2), **kwargs)


def test_refuses_bad_f_and_n():
    with pytest.raises(DomainError, match="non-finite"):
        sparse.universal_network(lambda X: np.where(X > 0.5, np.inf, X), 2, 1, "1/2", P.dense(2))
    with pytest.raises(ShapeError, match="f must return"):
        sparse.universal_network(lambda X: X[:, 0], 2, 1, "1/2", P.dense(2))
    with pytest.raises(PolyapproxError, match="n must be an integer >= 2"):
        sparse.universal_network(centered, 1, 1, "1/2", P.dense(1))
    with pytest.raises(ShapeError, match="patterns are for n = 3"):
        sparse.universal_network(centered, 2, 1, "1/2", P.dense(3))


def test_refuses_bad_inputs():
    net = sparse.universal_network(centered, 2, 1, "1/2", P.dense(2))
    with pytest.raises(ShapeError, match=r"\(2, 1\) or \(b, 2, 1\)"):
        net(np.zeros((3, 1)))
    with pytest.raises(DomainError, match="NaN"):
        net(np.array([[np.nan], [0.5]]))
    with pytest.raises(DomainError, match=r"\[0, 1\]"):
        net(np.array([[1.5], [0.5]]))
    with pytest.raises(PolyapproxError, match="unknown arithmetic"):
        net(np.zeros((2, 1)), "float32")
    soft = sparse.universal_network(centered, 2, 1, "1/2", P.dense(2), rho="softmax", t=100)
    with pytest.raises(DomainError, match="irrational"):
        soft.exact(np.zeros((2, 1)))
    with pytest.raises(PolyapproxError, match="no layer called"):
        net.weights("nope")


def test_error_table_rows():
    sweeps = sparse.ErrorTableConfig(deltas=("1/2", "1/4"), ts=(1, 200), epss=(0.1, 0.001), samples=500)
    rows = sparse.error_table(centered, 2, 1, P.dense(2), config=sweeps)
    by = {(r["sweep"], r["t"], r["eps"], r["delta"]): r for r in rows}
    assert by[("t", 1.0, None, "1/2")]["d_p(f,g)"] > by[("t", 200.0, None, "1/2")]["d_p(f,g)"]
    assert by[("eps", 200.0, 0.1, "1/2")]["mismatch"] > by[("eps", 200.0, 0.001, "1/2")]["mismatch"]
    assert by[("delta", 800.0, None, "1/4")]["d_p(f,g)"] < by[("delta", 200.0, None, "1/2")]["d_p(f,g)"]
    for r in rows:
        assert r["d_p(f,f_bar)"] <= r["bound_f_fbar"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ts": ()}, "at least one value"),
        ({"epss": (0.1, -1)}, "epss must hold finite numbers > 0"),
        ({"ts": (float("inf"),)}, "ts must hold finite numbers > 0"),
        ({"deltas": ("1/2", "2/3")}, "delta"),
        ({"p": 0.5}, "p must be a number in"),
        ({"samples": 0}, "samples"),
        ({"seed": -1}, "seed"),
    ],
)
def test_error_table_config_refuses_bad_fields(fields, message):
    with pytest.raises(PolyapproxError, match=message) as info:
        sparse.ErrorTableConfig(**fields)
    assert "\n" not in str(info.value)
    with pytest.raises(PolyapproxError, match="ErrorTableConfig"):
        sparse.error_table(centered, 2, 1, P.dense(2), config={"samples": 10})  # type: ignore[arg-type]


def test_error_table_checks_the_sample_size_before_building_a_network(monkeypatch):
    from constructions.sparse import _universal

    def never(*args, **kwargs):
        raise AssertionError("a network was built before the sample size was checked")

    monkeypatch.setattr(_universal, "universal_network", never)
    # 10^7 sequences of 2 x 1 values: 2 x 10^7 entries, past the array limit of 10^7
    with pytest.raises(SizeError, match="the distance's 10,000,000 random sequences") as info:
        sparse.error_table(centered, 2, 1, P.dense(2), config=sparse.ErrorTableConfig(samples=10**7))
    assert "\n" not in str(info.value)


def test_given_hamiltonian_path_is_used():
    net = sparse.universal_network(centered, 3, 1, "1/2", P.star(3), path=[2, 1, 0])
    assert net.gamma == (2, 1, 0)
    E = [row[0] for row in net.layer("position").B]
    assert [F(1), F(0), F(2)] == E  # E_gamma(1) = n - 1, E_gamma(i) = i - 2
    L = grid_inputs(3, 1, 2)
    assert (net.exact(L) == reference_fbar(centered, L, 2)).all()
    with pytest.raises(DomainError, match="path"):
        sparse.universal_network(centered, 3, 1, "1/2", P.tridiagonal(3), path=[0, 2, 1])
