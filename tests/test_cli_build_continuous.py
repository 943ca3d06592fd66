import json

import constructions
from polyapprox.app.cli import main


def test_build_prints_report_and_saves(tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "build",
                "continuous",
                "--target",
                "gaussian-kernel-sum",
                "--n",
                "3",
                "--d",
                "1",
                "--degree",
                "4",
                "--save",
                str(path),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["report"]["coefficients"] == 25 and out["report"]["test_sup_error"] < 2e-2
    assert constructions.load(path).latent_dim == 3


def test_build_errors_exit_2(capsys):
    assert main(["build", "continuous", "--target", "nope", "--n", "3", "--d", "1", "--degree", "2"]) == 2
    assert "unknown target 'nope'" in capsys.readouterr().err
    assert main(["build", "continuous", "--target", "rank", "--n", "3", "--d", "2", "--degree", "2"]) == 2
    assert main(["build", "continuous", "--target", "centered", "--n", "0", "--d", "1", "--degree", "2"]) == 2
    err = capsys.readouterr().err
    assert "n must be an integer >= 1" in err and "Traceback" not in err
