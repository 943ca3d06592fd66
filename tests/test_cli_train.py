"""CLI: ``polyapprox train EXPERIMENT``: outputs, JSON, and one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"')

from polyapprox.app.cli import main

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)


def _one_line_exit_2(argv, capsys, fragment):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, err


def test_train_writes_figure_table_and_records(tmp_path, capsys):
    out = tmp_path / "runs"
    argv = [
        "train",
        "sparse-copying",
        "--quick",
        "--steps",
        "4",
        "--patterns",
        "strided,star",
        "--out",
        str(out),
        "--json",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inputs"]["experiment"] == "sparse-copying" and data["inputs"]["steps"] == 4
    assert [r["pattern"] for r in data["runs"]] == ["strided"] * 3 + ["star"] * 3  # 3 seeds each
    assert data["table"]["rows"][0]["final accuracy"]["count"] == 3
    assert all(r["eval_steps"][-1] == 4 and len(r["train_loss"]) == 4 for r in data["runs"])
    assert {p.name for p in out.iterdir()} == {"sparse-copying.png", "sparse-copying.md", "sparse-copying.json"}
    assert (out / "sparse-copying.png").read_bytes()[:4] == b"\x89PNG"
    assert "| rank | pattern |" in (out / "sparse-copying.md").read_text()


def test_train_markdown_reports_table_and_notes(capsys):
    assert main(["train", "init", "--quick", "--steps", "2", "--target", "centered"]) == 0
    text = capsys.readouterr().out
    assert "one attention layer on centered" in text and "fine-tuning starts at the constructed error" in text


def test_same_seed_same_numbers(capsys):
    argv = ["train", "sumformer-curves", "--quick", "--steps", "3", "--target", "times-mean", "--json"]
    runs = []
    for _ in range(2):
        assert main(argv) == 0
        runs.append(json.loads(capsys.readouterr().out)["runs"])
    assert [r["train_loss"] for r in runs[0]] == [r["train_loss"] for r in runs[1]]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "nonsense"], "unknown experiment"),
        (["train", "init", "--steps", "-1"], "steps must be an integer >= 1"),
        (["train", "init", "--lr", "-0.5"], "learning rate must be a finite number > 0"),
        (["train", "sparse-copying", "--patterns", "strided,zigzag"], "pattern"),
        (["train", "sparse-copying", "--target", "centered"], "--target does not apply"),
        (["train", "init", "--patterns", "star"], "--patterns applies only"),
        (["train", "init", "--seed", "0", "-2"], "seed must be an integer >= 0"),
        (["train", "init", "--seed", "4", "5", "4"], "4 appears more than once"),
        (["train", "init", "--seed", *map(str, range(1000))], "limit of 100 seeds"),
        (["train", "init", "--seed", "0", str(2**32)], "at most 4,294,967,295"),
        (["train", "sparsity-sweep", "--levels", ""], "--levels must list at least one integer"),
        (["train", "sparsity-sweep", "--quick", "--levels", "1"], "from 2 to 16"),
        (["train", "sparsity-sweep", "--quick", "--patterns", "random", "--levels", "99"], "from 1 to 15"),
        (["train", "sparsity-sweep", "--patterns", ","], "--patterns must name at least one"),
        (["train", "init", "--levels", "2"], "--levels applies only to sparsity-sweep"),
        (["train", "init", "--target", "no-such-target"], "unknown target"),
        (["train", "sumformer-curves", "--steps", "1", "--target", "log(x_i - 2)"], "nan"),
        (["train", "sumformer-curves", "--seed", "-1"], "seed must be an integer >= 0"),  # was a numpy traceback
        (["train", "init", "--steps", "1000000000000"], "exceed the limit of 100,000 training steps"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, fragment, capsys):
    _one_line_exit_2(argv, capsys, fragment)


def test_target_of_the_wrong_shape_exits_2(tmp_path, capsys):
    module = tmp_path / "badtarget.py"
    module.write_text("import numpy as np\n\ndef f(X):\n    return np.concatenate([X, X], axis=1)\n")
    _one_line_exit_2(
        ["train", "latent-sweep", "--quick", "--steps", "1", "--target", f"{module}:f"], capsys, "to (b, n, d_out)"
    )


def test_missing_torch_exits_2_with_the_install_hint(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    _one_line_exit_2(["train", "init", "--quick"], capsys, 'pip install -e ".[torch]"')


def test_sweep_takes_families_levels_and_seeds(capsys):
    argv = ["train", "sparsity-sweep", "--quick", "--steps", "2", "--patterns", "random,star", "--levels", "2,1"]
    assert main([*argv, "--seed", "4", "7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["table"]["rows"]
    assert [(r["family"], r["level"]) for r in rows] == [("random", 1), ("random", 2), ("star", None)]
    assert sorted({r["settings"]["seed"] for r in data["runs"]}) == [4, 7] and len(data["runs"]) == 6
