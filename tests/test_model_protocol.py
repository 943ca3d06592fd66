"""The model protocol and the model-kind registry: every registered kind builds, saves, loads and exports.

The tests walk ``constructions.model_kinds()``: a kind registered tomorrow is covered without a
line here. A throwaway fifth attention kind, defined in this module only, shows that adding a
kind needs no other module; a kind missing a piece is refused when it registers.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import constructions
import constructions._common.protocol as protocol_registry
import constructions._networks.kinds as attention_registry
from constructions import (
    AttentionBlock,
    AttentionKind,
    Model,
    ModelKind,
    NetworkConfig,
    Sumformer,
    attention_kinds,
    build_network,
    continuous,
    discontinuous,
    get_model_kind,
    load,
    model_kinds,
    read,
    register_attention_kind,
    register_model_kind,
    targets,
    verify,
)
from polyapprox.internal import PolyapproxError

KINDS = sorted(model_kinds())


def _inputs(model, count=25, seed=11):
    return np.random.default_rng(seed).uniform(size=(count, model.n, model.d))


@pytest.fixture(scope="module")
def examples():
    """One small model per registered kind (built once: the sparse network takes a moment)."""
    return {name: kind.example() for name, kind in model_kinds().items()}


def test_every_construction_family_is_a_registered_kind():
    assert set(KINDS) >= {
        "continuous",
        "discontinuous",
        "transformer",
        "linformer",
        "performer",
        "masked-transformer",
        "sparse-transformer",
    }
    # every attention kind's network is a model kind: none can be registered without one
    assert {k.network for k in attention_kinds().values()} <= set(KINDS)


@pytest.mark.parametrize("name", KINDS)
def test_the_protocol_surface(name, examples):
    model = examples[name]
    assert isinstance(model, Model)
    assert model.kind == name and protocol_registry.kind_of(model) is get_model_kind(name)
    assert all(isinstance(v, int) and v >= 1 for v in (model.n, model.d, model.d_out))
    X = _inputs(model)
    assert model(X).shape == (len(X), model.n, model.d_out)
    assert model(X[0]).shape == (model.n, model.d_out)
    text = model.describe()
    assert isinstance(text, str) and "error bound" in text
    bound = model.error_bound
    assert bound is None or (isinstance(bound, float) and math.isfinite(bound) and bound >= 0)
    if bound is None:
        assert "error bound: none (" in text  # describe says why there is none
    cost = get_model_kind(name).cost(model)
    assert isinstance(cost, int) and cost >= 0


@pytest.mark.parametrize("name", KINDS)
def test_save_load_round_trip_is_exact(name, examples, tmp_path):
    model = examples[name]
    path = tmp_path / f"{name}.safetensors"
    model.save(path)
    again = load(path)
    assert type(again) is type(model) and again.kind == name
    assert (again.n, again.d, again.d_out) == (model.n, model.d, model.d_out)
    X = _inputs(model, seed=29)  # fresh inputs, not the ones of the other tests
    assert np.array_equal(again(X), model(X))
    assert again.error_bound == model.error_bound
    assert read(path).kind == name


def test_the_sparse_networks_exact_rational_weights_survive_the_round_trip(examples, tmp_path):
    net = examples["sparse-transformer"]
    net.save(tmp_path / "g.safetensors")
    again = load(tmp_path / "g.safetensors")
    assert again.to_dict(weights=True) == net.to_dict(weights=True)  # every weight as an exact rational string
    X = _inputs(net, count=6, seed=3)
    assert (again.exact(X) == net.exact(X)).all()


def test_a_tampered_sparse_file_is_refused(examples, tmp_path):
    import json
    import struct

    path = tmp_path / "g.safetensors"
    examples["sparse-transformer"].save(path)
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    meta = json.loads(header["__metadata__"]["polyapprox"])
    meta["parameters"]["weights_sha256"] = "0" * 64
    header["__metadata__"]["polyapprox"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + length :])
    with pytest.raises(PolyapproxError, match="exact weights differ"):
        load(path)


@pytest.mark.torch
@pytest.mark.parametrize("name", KINDS)
def test_torch_export_equals_numpy(name, examples):
    torch = pytest.importorskip("torch")
    model = examples[name]
    module = model.to_torch()
    assert isinstance(module, torch.nn.Module)
    X = _inputs(model, seed=47)
    out = module(torch.tensor(X, dtype=torch.float64))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), model(X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(module(torch.tensor(X[0])).detach().numpy(), model(X[0]), rtol=0, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("name", KINDS)
def test_torch_modules_check_their_input_as_numpy_does(name, examples):
    torch = pytest.importorskip("torch")
    model = examples[name]
    module = model.to_torch()
    n, d = model.n, model.d
    for bad in (np.zeros((2, n + 1, d)), np.full((n, d), np.nan), np.full((n, d), 1.5)):  # 1.5: outside [0, 1]
        with pytest.raises(PolyapproxError):
            model(bad)
        with pytest.raises(PolyapproxError):
            module(torch.tensor(bad))
    with pytest.raises(PolyapproxError, match="dtype"):
        module(torch.zeros(n, d, dtype=torch.float32))


@pytest.mark.torch
def test_the_grid_sumformer_module_refuses_points_outside_the_grid(examples):
    torch = pytest.importorskip("torch")
    model = examples["discontinuous"]
    with pytest.raises(PolyapproxError, match="outside"):
        model.to_torch()(torch.full((model.n, model.d), 1.5, dtype=torch.float64))


@pytest.mark.torch
def test_grid_sumformer_module_on_every_cell_and_boundary():
    torch = pytest.importorskip("torch")
    # n=2, d=2, k=3: all 9 cells, the points exactly on the cell boundaries 1/3, 2/3 and on 0 and 1
    S = discontinuous.build(targets.get("centered"), n=2, d=2, k=3, representative="center")
    edges = np.array([0.0, 1 / 3, 0.5, 2 / 3, 1.0])
    tokens = np.array([[a, b] for a in edges for b in edges])
    X = np.array([[p, q] for p in tokens for q in tokens[::3]])
    np.testing.assert_array_equal(S.to_torch()(torch.tensor(X)).numpy(), S(X))


# ---------------------------------------------------------------------------------------------
# error_bound: one meaning, checked against what it bounds


def test_the_grid_bound_holds_against_the_target():
    f = targets.get("centered")
    S = discontinuous.build(f, n=3, d=1, k=5)
    assert S.error_bound is not None
    X = np.random.default_rng(5).uniform(size=(4000, 3, 1))
    assert np.abs(S(X) - f(X)).max() <= S.error_bound + 1e-12


def test_the_bound_is_none_where_nothing_is_proven():
    fit, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    assert fit.error_bound is None and "least-squares fit" in fit.describe()
    callables = Sumformer(lambda x: x, lambda x, s: s, 1, 1, 1)
    assert callables.error_bound is None and "Python callables" in callables.describe()


def test_a_network_with_relu_blocks_stays_within_its_bound_of_its_sumformer():
    from polyapprox import represent_equivariant

    S = continuous.from_representation(represent_equivariant("x1_1**2 + x2_1", 2, 1))
    net = constructions.transformer.from_sumformer(S, 2, "relu", m_relu=3)
    X = np.random.default_rng(8).uniform(size=(2000, 2, 1))
    assert net.error_bound > 0 and np.abs(net(X) - S(X)).max() <= net.error_bound


# ---------------------------------------------------------------------------------------------
# impossible combinations say why


def test_a_sumformer_of_python_callables_cannot_be_saved_or_exported(tmp_path):
    S = Sumformer(lambda x: x, lambda x, s: x * s, latent_dim=1, d=1, d_out=1)
    assert S.kind == "sumformer" and "sumformer" not in model_kinds()
    with pytest.raises(PolyapproxError, match="Python callables"):
        S.save(tmp_path / "s.safetensors")
    with pytest.raises(PolyapproxError, match="Python callables"):
        S.to_torch()


def test_a_discontinuous_model_of_a_python_callable_cannot_be_saved(tmp_path):
    S = discontinuous.build(lambda X: X - X.mean(axis=1, keepdims=True), n=2, d=1, k=2)
    with pytest.raises(PolyapproxError, match="Python callable"):
        S.save(tmp_path / "s.safetensors")


# ---------------------------------------------------------------------------------------------
# a throwaway fifth attention kind: one module (this one), nothing else touched


def uniform_mean_attention(Z, heads, params):
    """Z + sum_h mean_j (z_j W_V) W_O: every query weighs every key 1/n, no logits at all."""
    out = Z.copy()
    for h in heads:
        out += (Z @ h.W_V).mean(axis=1, keepdims=True) @ h.W_O
    return out


def _uniform_mean_module(weights, params, trainable):
    torch = pytest.importorskip("torch")

    class UniformMean(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W_V = torch.nn.Parameter(torch.tensor(np.asarray(weights["W_V"])), requires_grad=trainable)
            self.W_O = torch.nn.Parameter(torch.tensor(np.asarray(weights["W_O"])), requires_grad=trainable)

        def forward(self, Z):
            return (Z @ self.W_V).mean(dim=-2, keepdim=True) @ self.W_O

    return UniformMean()


def _uniform_mean_network(S, n, ff="exact", m_relu=8, seed=0):
    recipe = {"n": n, "ff": ff, "m_relu": m_relu, "seed": seed}
    block = AttentionBlock("uniform-mean", formula="Z + mean_j(V) W_O", recipe=recipe)
    return build_network(S, n, block, NetworkConfig(ff=ff, m_relu=m_relu, seed=seed))


def _uniform_mean_kind(**changes):
    pieces = dict(
        name="uniform-mean",
        network="uniform-mean-transformer",
        description="Transformer whose one attention layer is the plain mean (a test kind)",
        forward=uniform_mean_attention,
        torch_module=_uniform_mean_module,
        cost=lambda n, d_k, d_v, params: n * d_v,
        timing_params=lambda n, d_k, rng, k, m: {},
        build=lambda S, n, o: _uniform_mean_network(S, n, o["ff"], o["m_relu"], o["seed"]),
        encode=lambda net: (dict(net.recipe), {}),
        decode=lambda S, recipe, tensors, path: _uniform_mean_network(S, **recipe),
    )
    return AttentionKind(**{**pieces, **changes})


@pytest.fixture
def fresh_registries(monkeypatch):
    """Registries restored after the test (a copy is registered into)."""
    monkeypatch.setattr(attention_registry, "_REGISTRY", dict(attention_registry._REGISTRY))
    monkeypatch.setattr(protocol_registry, "_REGISTRY", dict(protocol_registry._REGISTRY))


@pytest.mark.torch
def test_a_fifth_attention_kind_builds_saves_loads_and_exports(fresh_registries, tmp_path):
    register_attention_kind(_uniform_mean_kind())
    kind = get_model_kind("uniform-mean-transformer")
    net = kind.example()
    assert net.kind == "uniform-mean-transformer" and net.attention == "uniform-mean"
    X = _inputs(net, seed=61)
    np.testing.assert_allclose(net(X), net.sumformer(X), rtol=0, atol=1e-13)  # the mean times n is the sum
    net.save(tmp_path / "u.safetensors")
    again = load(tmp_path / "u.safetensors")
    assert again.kind == "uniform-mean-transformer" and np.array_equal(again(X), net(X))
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(net.to_torch()(torch.tensor(X)).detach().numpy(), net(X), rtol=0, atol=1e-12)


@pytest.mark.torch
def test_a_fifth_kind_is_served_by_the_command_line_and_training(fresh_registries, tmp_path, capsys):
    pytest.importorskip("torch")
    from constructions import training
    from polyapprox.app.cli import main

    register_attention_kind(_uniform_mean_kind())
    path = tmp_path / "u.safetensors"
    argv = ["build", "uniform-mean-transformer", "--target", "centered", "--n", "3", "--d", "1", "--degree", "2"]
    assert main([*argv, "--save", str(path)]) == 0
    assert load(path).kind == "uniform-mean-transformer"
    assert "uniform-mean-transformer" in training.one_layer_kinds()
    config = training.TrainingConfig(steps=1, samples=32, test_samples=32)
    model = training.OneLayerModelConfig(kind="uniform-mean-transformer", degree=1)
    h = training.train_one_layer("centered", 3, 1, model=model, config=config)
    assert abs(h.test_mse[0] - h.reference["test_mse"]) <= 1e-9  # starts at the constructed network


def test_a_fifth_attention_kind_is_certified_once_it_declares_its_exact_weights(fresh_registries):
    from fractions import Fraction

    register_attention_kind(_uniform_mean_kind())
    net = get_model_kind("uniform-mean-transformer").example()
    with pytest.raises(PolyapproxError, match="^attention kind 'uniform-mean' declares no exact attention weights"):
        verify.certified_sup_error(net, "centered")
    declared = _uniform_mean_kind(
        name="uniform-mean-2",
        network="uniform-mean-2-transformer",
        build=lambda S, n, o: build_network(S, n, AttentionBlock("uniform-mean-2"), NetworkConfig(ff=o["ff"])),
        exact_weights=lambda params, n: [[Fraction(1, n)] * n] * n,
    )
    register_attention_kind(declared)
    net = get_model_kind("uniform-mean-2-transformer").example()  # the same layer, of a kind that declares its weights
    r = verify.certified_sup_error(net, "centered", verify.CertificationBudget(ratio=1.05))
    again = verify.certified_sup_error(
        get_model_kind("transformer").example(), "centered", verify.CertificationBudget(ratio=1.05)
    )
    assert (r.lower, r.upper, r.boxes) == (again.lower, again.upper, again.boxes)  # both are the example Sumformer


@pytest.mark.parametrize("piece", ["forward", "torch_module", "cost", "timing_params", "build", "encode", "decode"])
def test_an_attention_kind_missing_a_piece_is_refused_at_registration(piece, fresh_registries):
    with pytest.raises(PolyapproxError, match=f"attention kind 'uniform-mean' is missing {piece} \\(a callable\\)"):
        register_attention_kind(_uniform_mean_kind(**{piece: None}))
    assert "uniform-mean" not in attention_kinds() and "uniform-mean-transformer" not in model_kinds()


def test_a_kind_built_without_its_pieces_names_all_of_them(fresh_registries):
    with pytest.raises(PolyapproxError, match="missing forward .*, torch_module .*, decode"):
        register_attention_kind(AttentionKind("bare", network="bare-transformer", description="x"))


@pytest.mark.parametrize("piece", ["matches", "torch_module", "encode", "decode", "cost", "example"])
def test_a_model_kind_missing_a_piece_is_refused_at_registration(piece, fresh_registries):
    pieces = {
        name: getattr(get_model_kind("continuous"), name)
        for name in ("description", "model_type", "matches", "torch_module", "encode", "decode", "cost", "example")
    }
    with pytest.raises(PolyapproxError, match=f"model kind 'copy' is missing {piece} \\(a callable\\)"):
        register_model_kind(ModelKind("copy", **{**pieces, piece: "not callable"}))
    assert "copy" not in model_kinds()


def test_a_model_kind_without_a_certification_entry_is_refused_at_registration(fresh_registries):
    kind = get_model_kind("continuous")
    pieces = {name: getattr(kind, name) for name in ("description", "model_type", "matches", "torch_module")}
    pieces.update({name: getattr(kind, name) for name in ("encode", "decode", "cost", "example")})
    for certify in ({}, {"certify": ""}, {"certify": "two\nlines"}, {"certify": 3}):
        with pytest.raises(
            PolyapproxError, match="model kind 'copy' is missing certify \\(a certifier callable, or a one-line"
        ):
            register_model_kind(ModelKind("copy", **pieces, **certify))
    assert "copy" not in model_kinds()


def test_a_kind_that_cannot_be_certified_says_why_in_its_one_line(fresh_registries, examples):
    import dataclasses

    reason = "this kind has no interval form (a test kind)"
    protocol_registry._REGISTRY["continuous"] = dataclasses.replace(get_model_kind("continuous"), certify=reason)
    with pytest.raises(PolyapproxError, match=f"^cannot certify a continuous model: {re.escape(reason)}$"):
        verify.certified_sup_error(examples["continuous"], "centered")


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_is_certified_on_its_example_or_says_why(name, examples):
    model, kind = examples[name], get_model_kind(name)
    f = targets.get("centered")
    if isinstance(kind.certify, str):
        with pytest.raises(PolyapproxError, match=re.escape(kind.certify)):
            verify.certified_sup_error(model, f)
        return
    r = verify.certified_sup_error(model, f, verify.CertificationBudget(ratio=1.05, max_boxes=20_000))
    assert r.lower <= r.upper and r.witness.shape == (model.n, model.d)
    X = np.random.default_rng(37).uniform(size=(4000, model.n, model.d))
    sampled = float(np.abs(model(X) - f(X)).max())  # a lower bound of the true sup: independent of the certifier
    assert sampled <= r.upper
    at_witness = float(np.abs(model(r.witness[None]) - f(r.witness[None])).max())
    assert at_witness == pytest.approx(r.lower, rel=1e-9, abs=1e-14)  # the witness attains lower (float evaluation)


def test_a_model_type_outside_the_protocol_is_refused(fresh_registries):
    class Bare:
        def __call__(self, X):
            return X

    kind = get_model_kind("continuous")
    with pytest.raises(PolyapproxError, match="Bare lacks describe, to_torch, save"):
        register_model_kind(
            ModelKind(
                "bare",
                "a bare callable",
                Bare,
                kind.matches,
                kind.torch_module,
                kind.encode,
                kind.decode,
                kind.cost,
                kind.example,
            )
        )


def test_a_name_is_registered_once(fresh_registries):
    register_attention_kind(_uniform_mean_kind())
    with pytest.raises(PolyapproxError, match="already registered"):
        register_attention_kind(_uniform_mean_kind(description="another"))


# ---------------------------------------------------------------------------------------------
# the command line: the masked-transformer hole


def test_cli_saves_a_masked_transformer(tmp_path, capsys):
    from polyapprox.app.cli import main

    path = tmp_path / "m.safetensors"
    argv = ["build", "masked-transformer", "--target", "centered", "--n", "3", "--d", "1", "--degree", "2"]
    assert main([*argv, "--save", str(path)]) == 0
    net = load(path)
    recorded = read(path).target
    assert net.kind == "masked-transformer" and recorded is not None and recorded.name == "centered"
    X = np.random.default_rng(71).uniform(size=(20, 3, 1))
    np.testing.assert_allclose(net(X), targets.get("centered")(X), rtol=0, atol=1e-12)  # degree 2 fits it exactly
    capsys.readouterr()
    assert main(["verify", str(path), "--tol", "1e-9"]) == 0
    assert "masked-transformer model" in capsys.readouterr().out


@pytest.mark.parametrize("name", KINDS)
def test_cli_verifies_a_saved_model_of_every_kind(name, examples, tmp_path, capsys):
    import json

    from polyapprox.app.cli import main

    path = tmp_path / f"{name}.safetensors"
    examples[name].save(path, target=targets.get("centered"))
    capsys.readouterr()
    assert main(["verify", str(path), "--samples", "64", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["kind"] == name and record["target"] == "centered" and record["sup_error"] >= 0
    certify = get_model_kind(name).certify
    code = main(["verify", str(path), "--samples", "64", "--certify", "--max-boxes", "20000", "--json"])
    if isinstance(certify, str):  # a kind that cannot be certified says why, in one line
        assert code == 2 and certify in capsys.readouterr().err
        return
    assert code == 0
    cert = json.loads(capsys.readouterr().out)["certified"]
    assert cert["lower"] <= cert["upper"] and cert["upper"] >= record["sup_error"]


@pytest.mark.parametrize("name", ["discontinuous", "sparse-transformer"])
def test_a_model_rebuilt_from_its_target_cannot_record_another(name, examples, tmp_path):
    with pytest.raises(PolyapproxError, match="rebuilt from the target it was built for"):
        examples[name].save(tmp_path / "m.safetensors", target=targets.get("times-mean"))


# ---------------------------------------------------------------------------------------------
# model-file header fields of the wrong type (hostile-input issue): walks every field of every kind


@pytest.mark.parametrize("kind", KINDS)
def test_model_file_fields_of_the_wrong_type_are_one_line_model_file_errors(tmp_path, capsys, kind):
    """Every header field of every kind's file, set to a string, null, a list, a bool, a 31-digit int,
    NaN or an object: a one-line ModelFileError naming the file (or a SizeError) in the API and exit 2
    with one line in ``polyapprox verify FILE``, or a file that loads the very same model."""
    from _fuzz_driver import BAD_FIELD_VALUES, header_fields, mutated_load, saved_example

    from polyapprox.app.cli import main
    from polyapprox.internal import ModelFileError, SizeError

    saved = saved_example(kind, str(tmp_path))
    fields = list(header_fields(saved[0]))
    assert {("n",), ("target",), ("parameters",)} <= set(fields) and len(fields) > 12
    refused = 0
    for field in fields:
        through_cli = False
        for value in BAD_FIELD_VALUES:
            try:
                mutated_load(kind, saved, field, value, str(tmp_path))
            except (ModelFileError, SizeError) as exc:
                assert "\n" not in str(exc), (field, value, str(exc))
                refused += 1
                if through_cli:
                    continue
                through_cli = True  # the CLI once per field: it reads the file through the same load
                capsys.readouterr()
                path = str(tmp_path / f"mutated-{kind}.safetensors")
                assert main(["verify", path, "--target", "centered"]) == 2, (field, value)
                err = capsys.readouterr().err
                assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (field, value, err)
    assert refused > 0.9 * len(fields) * len(BAD_FIELD_VALUES)


def test_masked_transformer_allow_partial_of_the_wrong_type_is_refused(examples):
    from constructions import masked

    S = examples["transformer"].sumformer
    values: list = ["x", None, [1], 1]
    for value in values:
        with pytest.raises(PolyapproxError, match="allow_partial must be True or False"):
            masked.from_sumformer(S, S.n, constructions.sparse.patterns.dense(S.n), allow_partial=value)
