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


def test_build_prints_the_best_found_sup_as_verify_measures_it(tmp_path, capsys):
    """max-inner at degree 4: the max over the test samples understates the sup; build prints verify's figure."""
    path = tmp_path / "m.safetensors"
    argv = ["--target", "max-inner", "--n", "3", "--d", "1", "--degree", "4"]
    assert main(["build", "continuous", *argv, "--save", str(path)]) == 0
    built = capsys.readouterr().out
    assert main(["verify", str(path)]) == 0
    verified = capsys.readouterr().out
    best = verified.split("best found sup error vs max-inner (recorded in the file): ", 1)[1].split(" ", 1)[0]
    line = next(x for x in built.splitlines() if x.startswith("best found sup error vs target max-inner: "))
    assert line.split(": ", 1)[1].startswith(best + " ")
    sampled = float(line.split("test samples ", 1)[1].split(")", 1)[0])
    assert sampled < float(best)  # the sampled maximum alone is below the best found sup, as the line says


def test_a_json_model_name_is_refused_before_the_fit_with_the_right_extension(tmp_path, capsys):
    path = tmp_path / "model.json"
    assert (
        main(
            [
                "build",
                "continuous",
                "--target",
                "centered",
                "--n",
                "2",
                "--d",
                "1",
                "--degree",
                "1",
                "--save",
                str(path),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not JSON; name it model.safetensors" in err
    assert not path.exists()
