"""Sumformers and their networks carry only the power sums Psi reads (width independent of n at fixed degree).

References, none computed by the code under test: every power sum p_alpha (|alpha| <= n)
summed token by token in plain Python floats and Psi evaluated term by term from its exact
coefficients; the model files and outputs of ``tests/data/before_width`` written by the
full-width construction of commit 31807be (``tests/data/make_before_width.py``); sympy's free
symbols of Psi for which power sums it reads.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

import constructions
from constructions import (
    ModelFileError,
    NetworkConfig,
    continuous,
    linformer,
    masked,
    performer,
    sparse,
    targets,
    transformer,
)
from constructions.continuous import PolynomialSumformer
from polyapprox import PolyapproxError, power_sum_symbol, represent_equivariant

BEFORE = Path(__file__).parent / "data" / "before_width"
OLD = dict(np.load(BEFORE / "outputs.npz"))


def _reference(rep, X: np.ndarray) -> np.ndarray:
    """Psi(x_i, P(X)) with every power sum of ``rep.indices`` summed token by token (plain floats)."""
    b, n, d = X.shape
    out = np.zeros((b, n, rep.d_out))
    terms = rep.coefficients()
    for s in range(b):
        sums = [
            math.fsum(math.prod(float(X[s, j, k]) ** a[k] for k in range(d)) for j in range(n)) for a in rep.indices
        ]
        for i in range(n):
            z = [float(v) for v in X[s, i]] + sums
            for o, psi in enumerate(terms):
                out[s, i, o] = math.fsum(
                    float(c) * math.prod(z[k] ** e for k, e in enumerate(beta + m)) for (beta, m), c in psi.items()
                )
    return out


def _inputs(n: int, d: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Fresh uniform inputs and points on the faces of the box (coordinates lo, mid, hi)."""
    rng = np.random.default_rng(n * 100 + d)
    fresh = rng.uniform(lo, hi, size=(4, n, d))
    faces = rng.choice([lo, (lo + hi) / 2, hi], size=(4, n, d))
    faces[0], faces[1] = lo, hi
    return np.concatenate([fresh, faces])


def _close(got: np.ndarray, want: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(want).max()))
    assert got.shape == want.shape and float(np.abs(got - want).max()) <= 1e-12 * scale


def _networks(S, n: int) -> dict:
    return {
        "transformer-exact": transformer.from_sumformer(S, n),
        "linformer": linformer.from_sumformer(S, n, 2, E="first"),
        "performer": performer.from_sumformer(S, n, 5, config=NetworkConfig(seed=9, random_query=True)),
        "masked": masked.from_sumformer(S, n, sparse.patterns.dense(n)),
    }


CASES = [  # (target, n, d, degree): fits whose Psi reads the power sums of degree <= degree only
    ("poly-mean-field", 6, 1, 2),
    ("gaussian-kernel-sum", 4, 2, 2),
    ("softmax-attention", 3, 2, 3),
    ("centered", 5, 1, 1),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def fit(request):
    name, n, d, degree = request.param
    return continuous.approximate(targets.get(name), n, d, degree, samples=200)[0], degree


def test_a_fit_carries_the_power_sums_its_psi_reads_and_computes_psi_of_all(fit):
    S, degree = fit
    rep = S.representation
    read = tuple(a for a in rep.indices if power_sum_symbol(a) in rep.Psi.free_symbols)
    assert S.indices == read and all(sum(a) <= degree for a in read) and S.latent_dim == len(read)
    assert rep.latent_dim == math.comb(rep.n + rep.d, rep.d) - 1  # the fit itself ranges over all of them
    X = _inputs(S.n, S.d)
    _close(S(X), _reference(rep, X))
    wide = PolynomialSumformer(rep, domain=S.domain, power_sums="all")  # the previous full-width form
    assert wide.latent_dim == rep.latent_dim
    _close(S(X), wide(X))
    for name, net in _networks(S, S.n).items():
        assert net.width == S.d + 2 * len(read) + S.d_out, name
        _close(net(X), _reference(rep, X))
        _close(net(X), _networks(wide, S.n)[name](X))


@pytest.mark.parametrize("n", [3, 8, 24])
def test_the_width_of_a_degree_2_fit_does_not_grow_with_n(n):
    S, report = continuous.approximate(targets.get("poly-mean-field"), n, 1, 2, samples=60)
    T = transformer.from_sumformer(S, n)
    assert S.indices == ((1,), (2,)) and report.latent_dim == n and T.width == 1 + 2 * 2 + 1
    assert f"carries 2 of the {n} power sums of degree <= n (those Psi reads): p_(1), p_(2)" in S.describe()
    assert "p_(1), p_(2)" in T.describe()
    X = _inputs(n, 1)
    _close(T(X), _reference(S.representation, X))


@pytest.mark.parametrize(
    "F, n, d, read",
    [
        ("x1_1**2", 3, 1, ()),  # Psi = y^2 reads no power sum
        ("x1_1 * (x1_1 + x2_1 + x3_1)", 3, 1, ((1,),)),  # Psi = y p_1
        ("x1_1 * x2_2 + x2_1 * x1_2", 2, 2, ((1, 0), (0, 1), (1, 1))),  # Psi = p_10 p_01 - p_11
    ],
)
def test_exact_representations_carry_what_psi_reads(F, n, d, read):
    rep = represent_equivariant(F, n, d)  # F is F_1; F_i follows by equivariance
    S = continuous.from_representation(rep, power_sums="used")
    assert S.indices == read and S.latent_dim == len(read)
    # by default phi is the whole feature map of rep.indices (the documented contract)
    assert continuous.from_representation(rep).indices == rep.indices
    Xv = _inputs(n, d)
    _close(S(Xv), _reference(rep, Xv))
    for net in _networks(S, n).values():
        assert net.width == d + 2 * len(read) + 1
        _close(net(Xv), _reference(rep, Xv))
    relu = transformer.from_sumformer(S, n, "relu", m_relu=6)
    wide = transformer.from_sumformer(PolynomialSumformer(rep, power_sums="all"), n, "relu", m_relu=6)
    assert relu.width == d + 2 * len(read) + 1 and relu.error_bound <= wide.error_bound
    _close(relu(Xv), wide(Xv))


@pytest.mark.parametrize(
    "name", ["continuous", "transformer-exact", "transformer-relu", "linformer", "performer", "masked"]
)
def test_files_written_before_the_change_load_as_written_and_rebuild_narrow(name):
    """The full-width files of 31807be load bitwise; the narrow rebuild computes what they computed."""
    model = constructions.load(BEFORE / f"{name}.safetensors")
    X = OLD["X"]
    width = model.width if hasattr(model, "width") else model.latent_dim
    assert width == OLD[f"{name}|width"]
    assert np.array_equal(model(X), OLD[f"{name}|numpy"])
    S_old = model if name == "continuous" else model.sumformer
    assert S_old.power_sums == "all" and S_old.latent_dim == 9
    S = continuous.from_representation(S_old.representation, domain=S_old.domain, power_sums="used")
    narrow = {
        "continuous": S,
        "transformer-exact": transformer.from_sumformer(S, 3),
        "transformer-relu": transformer.from_sumformer(S, 3, "relu", m_relu=1, random_query=True, seed=4),
        "linformer": linformer.from_sumformer(S, 3, 2, E="first"),
        "performer": performer.from_sumformer(S, 3, 5, config=NetworkConfig(seed=9, random_query=True)),
        "masked": masked.from_sumformer(S, 3, sparse.patterns.dense(3)),
    }[name]
    assert S.latent_dim == 5  # degree <= 2 of the 9 power sums of degree <= 3 in d = 2
    _close(narrow(X), OLD[f"{name}|numpy"])


def _edit_metadata(path: Path, edit) -> None:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    meta = json.loads(header["__metadata__"]["polyapprox"])
    edit(meta)
    header["__metadata__"]["polyapprox"] = json.dumps(meta)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + length :])


def test_new_files_record_the_power_sums_and_refuse_a_bad_choice(tmp_path):
    S, _ = continuous.approximate(targets.get("poly-mean-field"), 5, 1, 2, samples=60)
    net = transformer.from_sumformer(S, 5)
    path = tmp_path / "t.safetensors"
    constructions.save(net, path)
    again = constructions.load(path)
    assert again.width == 6 and np.array_equal(again(_inputs(5, 1)), net(_inputs(5, 1)))
    _edit_metadata(path, lambda meta: meta["parameters"]["sumformer"].update(power_sums="some"))
    with pytest.raises(ModelFileError, match="power_sums must be one of used, all; got 'some'"):
        constructions.load(path)
    with pytest.raises(PolyapproxError, match="power_sums"):
        PolynomialSumformer(S.representation, power_sums="some")


@pytest.mark.torch
@pytest.mark.parametrize(
    "name", ["continuous", "transformer-exact", "transformer-relu", "linformer", "performer", "masked"]
)
def test_torch_modules_of_the_narrow_rebuild_compute_what_the_old_files_computed(name):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    S_old = constructions.load(BEFORE / "continuous.safetensors")
    S = continuous.from_representation(S_old.representation, domain=S_old.domain, power_sums="used")
    model = {
        "continuous": S,
        "transformer-exact": transformer.from_sumformer(S, 3),
        "transformer-relu": transformer.from_sumformer(S, 3, "relu", m_relu=1, random_query=True, seed=4),
        "linformer": linformer.from_sumformer(S, 3, 2, E="first"),
        "performer": performer.from_sumformer(S, 3, 5, config=NetworkConfig(seed=9, random_query=True)),
        "masked": masked.from_sumformer(S, 3, sparse.patterns.dense(3)),
    }[name]
    module = model.to_torch()
    got = module(torch.tensor(OLD["X"])).detach().numpy()
    _close(got, OLD[f"{name}|torch"])
    if name == "continuous":
        assert module.phi.exponents.shape == (5, 2)
    else:
        assert module.stages["embed"].weight.shape == (model.width, 2) and model.width == 2 + 2 * 5 + model.d_out
