"""Model files (constructions._io.modelfile): bitwise round trips of every kind, and hostile files."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import constructions
from constructions import (
    ModelFileError,
    NetworkConfig,
    continuous,
    discontinuous,
    linformer,
    performer,
    targets,
    transformer,
)
from constructions._targets.resolve import to_spec
from constructions.transformer import assert_weights_equal
from polyapprox import PolyapproxError
from polyapprox import __version__ as polyapprox_version
from polyapprox.internal import SizeError

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def fit():
    S, _ = continuous.approximate(targets.get("gaussian-kernel-sum"), n=3, d=2, degree=2, samples=300)
    return S


def _networks(S):
    F = np.array([[0.5, 0.25, 1.0], [0.5, 0.75, 0.0]])  # equal column sums 1
    return {
        "transformer-exact": transformer.from_sumformer(S, 3),
        "transformer-relu": transformer.from_sumformer(S, 3, "relu", m_relu=3, random_query=True, seed=4),
        "linformer": linformer.from_sumformer(S, 3, 2, F=F, E="first"),
        "performer-positive": performer.from_sumformer(S, 3, 5, config=NetworkConfig(seed=9, random_query=True)),
        "performer-trig": performer.from_sumformer(S, 3, 4, features="trig"),
    }


def _X(n=3, d=2):
    return np.random.default_rng(1).uniform(size=(50, n, d))


def test_continuous_round_trip_is_bitwise(fit, tmp_path):
    path = tmp_path / "c.safetensors"
    constructions.save(fit, path)
    info = constructions.read(path)
    assert info.kind == "continuous" and info.target is targets.get("gaussian-kernel-sum")
    assert info.model.representation.Psi == fit.representation.Psi
    assert np.array_equal(info.model(_X()), fit(_X()))
    assert info.version == polyapprox_version
    assert info.target_spec == {"name": "gaussian-kernel-sum"}


@pytest.mark.parametrize(
    "name", ["transformer-exact", "transformer-relu", "linformer", "performer-positive", "performer-trig"]
)
def test_network_round_trip_is_bitwise(fit, tmp_path, name):
    net = _networks(fit)[name]
    path = tmp_path / f"{name}.safetensors"
    constructions.save(net, path)
    again = constructions.load(path)
    assert type(again) is type(net) and again.attention == net.attention and again.ff == net.ff
    assert set(again.weights) == set(net.weights)
    for key, w in net.weights.items():
        assert_weights_equal(again.weights[key], w)
        assert np.array_equal(np.asarray(again.weights[key]), np.asarray(w))
    assert np.array_equal(again(_X()), net(_X()))
    assert again.error_bound == net.error_bound
    assert constructions.read(path).kind == name.split("-")[0]


@pytest.mark.parametrize("target", ["centered", "x_i * mean_j(x_j)", "(sum_j(exp(-norm2(x_i - x_j))), x_i[0])"])
@pytest.mark.parametrize("encoding", ["integer", "histogram"])
def test_discontinuous_round_trip(tmp_path, target, encoding):
    f = targets.resolve(target)
    model = discontinuous.build(f, 3, 2, 4, encoding, "center")
    path = tmp_path / "disc.safetensors"
    constructions.save(model, path)
    info = constructions.read(path)
    again = info.model
    assert (again.k, again.encoding, again.representative, again.d_out) == (4, encoding, "center", model.d_out)
    assert np.array_equal(again(_X()), model(_X()))
    assert info.target_spec == to_spec(f)


def test_discontinuous_with_a_python_callable_is_refused(tmp_path):
    model = discontinuous.build(lambda X: X - X.mean(axis=1, keepdims=True), 2, 1, 3)
    with pytest.raises(PolyapproxError, match="Python callable.*from_expression"):
        constructions.save(model, tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_expression_target_and_given_lipschitz_recorded(tmp_path):
    f = targets.from_expression("x_i - mean_j(x_j)", lipschitz=2.0)
    S, _ = continuous.approximate(f, 2, 1, 1, samples=40)
    constructions.save(S, tmp_path / "e.safetensors")
    info = constructions.read(tmp_path / "e.safetensors")
    assert info.target.expression == "x_i - mean_j(x_j)" and info.target.lipschitz_constant(2, 1) == 2.0


def test_callable_target_recorded_but_never_imported(tmp_path):
    def my_target(X):
        return 2 * X

    S, _ = continuous.approximate(my_target, 2, 1, 1, samples=40)
    constructions.save(S, tmp_path / "m.safetensors")
    info = constructions.read(tmp_path / "m.safetensors")
    assert info.target is None and info.target_spec == {"callable": "my_target"}


def test_the_removed_json_format_is_refused_in_one_line_naming_the_supported_one(fit, tmp_path):
    old = {"format": "polyapprox.sumformer/1", "kind": "continuous", "domain": [0.0, 1.0], "meta": {}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old | {"representation": fit.representation.to_dict()}))
    for reader in (constructions.read, constructions.load):
        with pytest.raises(ModelFileError, match="no longer read; the supported format is 'polyapprox.model/1'") as e:
            reader(path)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "tamper, error, fragment",
    [
        (
            lambda rep: rep.__setitem__("Psi", ["__import__('os').system('touch HACKED')"]),
            ModelFileError,
            "function calls",
        ),
        (lambda rep: rep.__setitem__("Psi", ["q_1 + 1"]), ModelFileError, "unknown name 'q_1'"),
        (lambda rep: rep.update(Psi=["(p_1_0+p_0_1+p_2_0+y_1+1)**120"], F=None), SizeError, "terms"),
    ],
)
def test_a_tampered_psi_is_refused_without_executing_or_expanding(fit, tmp_path, monkeypatch, tamper, error, fragment):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.safetensors"
    constructions.save(fit, path)
    _rewrite(path, edit_meta=lambda m: tamper(m["parameters"]["representation"]))
    with pytest.raises(error, match=fragment):
        constructions.load(path)
    assert not (tmp_path / "HACKED").exists()


def test_unsavable_models_and_unwritable_paths(fit, tmp_path):
    from constructions import Sumformer

    with pytest.raises(PolyapproxError, match="cannot save or export a Sumformer"):
        constructions.save(Sumformer(lambda x: x, lambda x, s: s, 1, 1, 1), tmp_path / "s")
    with pytest.raises(PolyapproxError, match="only networks built"):
        constructions.save(
            transformer.from_sumformer(Sumformer(lambda x: x, lambda x, s: s, 1, 1, 1), 2), tmp_path / "t"
        )
    with pytest.raises(PolyapproxError, match="does not exist"):
        constructions.save(fit, tmp_path / "no" / "dir" / "m.safetensors")
    with pytest.raises(PolyapproxError, match="is a directory"):
        constructions.save(fit, tmp_path)


# ---------------------------------------------------------------------------------------------
# hostile files


def _rewrite(path, edit_meta=None, edit_tensors=None):
    """Re-save a model file with its metadata and/or tensors edited (a tamperer's tool)."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    meta = json.loads(json.loads(data[8 : 8 + length])["__metadata__"]["polyapprox"])
    tensors = st_load(data)
    if edit_meta:
        edit_meta(meta)
    if edit_tensors:
        edit_tensors(tensors)
    path.write_bytes(st_save(tensors, metadata={"polyapprox": json.dumps(meta)}))


@pytest.fixture()
def saved(fit, tmp_path):
    path = tmp_path / "net.safetensors"
    constructions.save(transformer.from_sumformer(fit, 3), path)
    return path


def test_tampered_weight_is_rejected(saved):
    def edit(t):
        t["weights.attn.W_O"][0, 0] += 1e-300

    _rewrite(saved, edit_tensors=edit)
    with pytest.raises(ModelFileError, match="weights.attn.W_O.* differs"):
        constructions.load(saved)
    constructions.load(saved, check=False)  # trusted: skips the comparison


def test_tampered_rational_is_rejected(saved):
    def edit(meta):
        rep = meta["parameters"]["sumformer"]["representation"]
        rep["Psi"][0] = rep["Psi"][0] + " + 1/3"

    _rewrite(saved, edit_meta=edit)
    with pytest.raises(ModelFileError, match="psi.coefficients.* differs"):
        constructions.load(saved)


def test_code_in_metadata_is_never_executed(saved, tmp_path):
    marker = tmp_path / "marker"
    payload = f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"
    for edit in (
        lambda m: m["parameters"]["sumformer"]["representation"].__setitem__("Psi", [payload]),
        lambda m: m.__setitem__("target", {"expression": payload, "lipschitz": None}),
        lambda m: m.__setitem__("target", {"callable": "os:system"}),
        lambda m: m.__setitem__("target", {"name": payload}),
    ):
        _rewrite(saved, edit_meta=edit)
        try:
            info = constructions.read(saved)
        except PolyapproxError:
            pass
        else:
            assert info.target is None  # a recorded callable is never imported
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m.__setitem__("kind", "pickle"), "unknown model kind"),
        (lambda m: m.__setitem__("n", True), "n must be an integer"),
        (lambda m: m.__setitem__("n", 4), "inconsistent|n = 4|built for n"),
        (lambda m: m.__setitem__("format", "other/1"), "expected format"),
        (lambda m: m.pop("meta"), "missing fields"),
        (lambda m: m["parameters"]["network"].__setitem__("m_relu", 10**9), "m_relu"),
        (lambda m: m["parameters"]["network"].__setitem__("evil", 1), "parameters must be"),
        (lambda m: m.__setitem__("tensors", ["x"]), "do not match the list"),
    ],
)
def test_malformed_metadata(saved, edit, match):
    _rewrite(saved, edit_meta=edit)
    with pytest.raises(PolyapproxError, match=match):
        constructions.load(saved)


def test_truncated_corrupted_and_foreign_files(saved, tmp_path):
    data = saved.read_bytes()
    cases = {
        "truncated-body": data[:-7],
        "truncated-header": data[:20],
        "tiny": b"\x01\x02",
        "huge-length": struct.pack("<Q", 2**63) + data[8:],
        "binary": bytes(range(256)) * 4,
        "utf16-json": '{"format": "polyapprox.sumformer/1"}'.encode("utf-16"),
        "not-json-header": struct.pack("<Q", 5) + b"hello" + data[8:],
        "empty": b"",
    }
    for name, content in cases.items():
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(PolyapproxError) as info:
            constructions.load(bad)
        assert "\n" not in str(info.value), name


def test_size_cap_symlinks_and_non_regular_files(saved, tmp_path):
    with pytest.raises(SizeError, match="max_bytes"):
        constructions.load(saved, max_bytes=100)
    link = tmp_path / "link.safetensors"
    link.symlink_to(saved)
    with pytest.raises(ModelFileError, match="symbolic link"):
        constructions.load(link)
    dev_link = tmp_path / "zero"
    dev_link.symlink_to("/dev/zero")
    with pytest.raises(ModelFileError, match="symbolic link"):
        constructions.load(dev_link)
    with pytest.raises(ModelFileError, match="not a regular file"):
        constructions.load("/dev/zero")
    with pytest.raises(ModelFileError, match="not a regular file"):
        constructions.load(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        constructions.load(fifo)  # returns at once: never opened for a blocking read
    with pytest.raises(ModelFileError, match="cannot read"):
        constructions.load(tmp_path / "missing")


def test_parse_error_in_expression_target(saved):
    _rewrite(saved, edit_meta=lambda m: m.__setitem__("target", {"expression": "x_j", "lipschitz": None}))
    with pytest.raises(ModelFileError, match="net.safetensors'.*not equivariant"):
        constructions.load(saved)


def test_a_json_name_is_refused_by_save(fit, tmp_path):
    with pytest.raises(ModelFileError, match=r"model files are safetensors, not JSON; name it m\.safetensors"):
        constructions.save(fit, tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize(
    "content",
    [b"# a report\n\nsome markdown text, not a model\n" * 40, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, b"\x01"],
)
def test_a_file_that_is_not_a_model_file_says_so(tmp_path, content):
    path = tmp_path / "notes.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        constructions.read(path)
    message = str(info.value)
    assert "is not a model file" in message and "header of" not in message and "\n" not in message


def test_a_cut_model_file_is_called_truncated(fit, tmp_path):
    path = tmp_path / "m.safetensors"
    constructions.save(fit, path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ModelFileError, match="is a truncated model file"):
        constructions.read(path)


def _drop_d_k(node) -> int:
    """Remove d_k from the recipe of a Linformer or masked file (as files written before it was
    recorded); the number of recipes edited."""
    if isinstance(node, dict):
        dropped = 0
        if "allow_partial" in node or "column_tol" in node:
            assert node.pop("d_k") == 1
            dropped = 1
        return dropped + sum(_drop_d_k(value) for value in node.values())
    if isinstance(node, list):
        return sum(_drop_d_k(value) for value in node)
    return 0


@pytest.mark.parametrize("kind", ["linformer", "masked"])
def test_files_written_before_d_k_was_recorded_still_load(fit, tmp_path, kind):
    from constructions import masked, sparse

    net = (
        linformer.from_sumformer(fit, 3, 2)
        if kind == "linformer"
        else masked.from_sumformer(fit, 3, sparse.patterns.dense(3))
    )
    path = tmp_path / "old.safetensors"
    constructions.save(net, path)
    edited = []
    _rewrite(path, edit_meta=lambda meta: edited.append(_drop_d_k(meta)))
    assert edited == [1]
    X = _X()
    assert np.array_equal(constructions.load(path)(X), net(X))


def test_linformer_d_k_round_trips(fit, tmp_path):
    net = linformer.from_sumformer(fit, 3, 2, config=NetworkConfig(d_k=2, random_query=True, seed=3))
    path = tmp_path / "l.safetensors"
    constructions.save(net, path)
    loaded = constructions.load(path)
    assert loaded.weights["attn.W_Q"].shape == net.weights["attn.W_Q"].shape
    assert np.array_equal(loaded(_X()), net(_X()))
