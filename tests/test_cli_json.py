"""Every command's --json: stdout is one JSON document with the command's inputs and its result."""

import json

import pytest

from polyapprox import EquivariantRepresentation
from polyapprox.app.cli import main

SMALL_FIT = ["--target", "centered", "--n", "2", "--d", "1", "--degree", "1", "--samples", "50"]


def _json(capsys, argv, code=0):
    assert main([*argv, "--json"]) == code
    captured = capsys.readouterr()
    return json.loads(captured.out)


def test_represent_json_has_inputs_and_loads_with_from_dict(capsys):
    data = _json(capsys, ["represent", "x2_1*x3_1", "--n", "3", "--d", "1", "--degree", "2"])
    assert data["inputs"] == {
        "command": "represent",
        "row": "x2_1*x3_1",
        "n": 3,
        "d": 1,
        "refined": False,
        "degree": 2,
        "method": "orbit-blocks",
        "latex": False,
        "max_work": None,
        "certificate": None,
    }
    rep = EquivariantRepresentation.from_dict(data)  # the output as it is, inputs and all
    assert rep.verify() and rep.n == 3 and data["verified"] is True and data["latent_dim"] == rep.latent_dim
    assert EquivariantRepresentation.from_dict(rep.to_dict()) == rep


def test_from_dict_still_refuses_other_unknown_keys(capsys):
    data = _json(capsys, ["represent", "x2_1", "--n", "2", "--d", "1"])
    with pytest.raises(Exception, match="unknown keys"):
        EquivariantRepresentation.from_dict({**data, "extra": 1})


@pytest.mark.parametrize(
    ("argv", "result_key", "expected_inputs"),
    [
        (["latent-dim", "3", "2"], "rows", {"n": 3, "d": 2}),
        (["targets"], "targets", {}),
        (["sparse", "check", "--pattern", "strided", "--n", "16"], "holds", {"pattern": "strided", "n": 16}),
        (["sparse", "layers", "--pattern", "strided", "--n", "16", "--d", "2", "--q", "4"], "total", {"n": 16, "q": 4}),
        (["build", "continuous", *SMALL_FIT], "report", {"kind": "continuous", "degree": 1, "samples": 50}),
        (
            ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "3", "--samples", "50"],
            "sup_error",
            {"kind": "discontinuous", "k": 3},
        ),
        (["build", "transformer", *SMALL_FIT], "sup_error_vs_target", {"kind": "transformer", "ff": "exact"}),
        (["build", "linformer", *SMALL_FIT], "sup_error_vs_target", {"kind": "linformer"}),
        (["build", "performer", *SMALL_FIT], "sup_error_vs_target", {"kind": "performer"}),
        (
            ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1"]
            + ["--delta", "1/2", "--pattern", "star"],
            "grid_check",
            {"pattern": "star", "delta": "1/2"},
        ),
    ],
)
def test_every_command_json_has_inputs_and_result(capsys, argv, result_key, expected_inputs):
    data = _json(capsys, argv)
    assert result_key in data
    assert isinstance(data["inputs"], dict)
    for key, value in expected_inputs.items():
        assert data["inputs"][key] == value, key


def test_verify_and_sweep_json(capsys, tmp_path):
    model = tmp_path / "m.safetensors"
    _json(capsys, ["build", "continuous", *SMALL_FIT, "--save", str(model)])
    data = _json(capsys, ["verify", str(model)])
    assert data["inputs"]["file"] == str(model) and data["sup_error"] < 1e-9 and data["passed"] is True
    out = tmp_path / "s.jsonl"
    argv = ["sweep", "engine", "--n", "2", "--d", "1", "--degree", "2", "--out", str(out), "--no-progress"]
    data = _json(capsys, argv)
    assert data["inputs"]["out"] == str(out) and data["inputs"]["n"] == [2]
    assert data["complete"] is True and data["done"] == data["items"] == 1 and len(data["results"]) == 1
    assert data["results"][0] == json.loads(out.read_text().splitlines()[0])


def test_reproduce_json_has_inputs(capsys, tmp_path):
    data = _json(capsys, ["reproduce", "--only", "latent", "--quick", "--no-progress", "--out", str(tmp_path)])
    assert data["inputs"]["only"] == ["latent"] and data["inputs"]["quick"] is True
    assert data["total"] >= 1 and data["passed"] == data["total"]
