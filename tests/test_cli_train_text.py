"""CLI: ``polyapprox train sparse-text`` and ``fine-tuning``: bad seeds, levels and splits are one line, exit 2."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"')

from polyapprox.app.cli import main

pytestmark = pytest.mark.torch


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--seed", "4", "4"], "distinct"),
        (["--seed", "-1", "2"], "seed must be an integer >= 0"),
        (["--levels", "0,4"], "sparsity level must be an integer >= 2"),
        (["--levels", ""], "--levels must list at least one integer"),
        (["--levels", "4,100000"], "larger than the context"),
        (["--split", "0.5,0.1"], "share of the corpus"),
        (["--split=-0.1,0.1"], "share of the corpus"),
        (["--split", "0.1"], "two shares"),
        (["--split", "x,y"], "comma-separated numbers"),
        (["--patterns", "nope"], "unknown pattern"),
    ],
)
def test_bad_input_is_one_line_exit_2(extra, fragment, capsys):
    code = main(["train", "sparse-text", "--quick", *extra])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "fine-tuning", "--lr", "1e-3"], "--lr does not apply to fine-tuning"),
        (["train", "fine-tuning", "--levels", "4"], "--levels applies only to"),
        (["train", "init", "--split", "0.1,0.1"], "--split applies only to sparse-text"),
        (["train", "fine-tuning", "--seed", "3", "3"], "distinct"),
    ],
)
def test_options_that_do_not_apply_are_refused(argv, fragment, capsys):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and fragment in err, err


def test_sparse_text_runs_with_seeds_levels_and_split(tmp_path, capsys):
    argv = ["train", "sparse-text", "--quick", "--steps", "1", "--patterns", "sliding_window", "--levels", "4"]
    argv += ["--seed", "5", "6", "--split", "0.04,0.06", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted({r["settings"]["seed"] for r in data["runs"]}) == [5, 6]
    assert {(r["pattern"], r["level"]) for r in data["runs"]} == {("dense", None), ("sliding_window", 4)}
    assert all(r["settings"]["test"] == 0.06 for r in data["runs"])
    assert (tmp_path / "sparse-text.png").read_bytes()[:4] == b"\x89PNG"


def test_the_cli_offers_every_registered_experiment():
    from polyapprox.app import experiments
    from polyapprox.app.cli.train import EXPERIMENT_NAMES

    assert sorted(EXPERIMENT_NAMES) == sorted(experiments.EXPERIMENTS)
