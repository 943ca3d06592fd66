import json

import pytest

from polyapprox.app.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["transformer"],
        ["linformer", "--k", "3"],
        ["performer", "--m", "4", "--features", "trig"],
        ["transformer", "--ff", "relu", "--m-relu", "6"],
    ],
)
def test_build_networks(argv, capsys):
    assert (
        main(["build", *argv, "--target", "gaussian-kernel-sum", "--n", "3", "--d", "1", "--degree", "4", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["error_vs_sumformer"] <= max(out["error_bound_vs_sumformer"], 1e-13)
    assert out["sup_error_vs_target"] < 0.05 and out["equivariance_error"] < 1e-12


def test_describe_printed(capsys):
    assert main(["build", "transformer", "--target", "centered", "--n", "2", "--d", "2", "--degree", "1"]) == 0
    out = capsys.readouterr().out
    assert "ONE attention layer" in out and "proven bound" in out


def test_errors(capsys):
    assert (
        main(["build", "linformer", "--target", "centered", "--n", "2", "--d", "1", "--degree", "1", "--k", "0"]) == 2
    )
    assert main(["build", "performer", "--target", "nope", "--n", "2", "--d", "1", "--degree", "1"]) == 2
    err = capsys.readouterr().err
    assert "k must be an integer >= 1" in err and "unknown target" in err and "Traceback" not in err
