import json

from polyapprox.app.cli import main


def test_build_discontinuous_json(capsys):
    assert (
        main(
            [
                "build",
                "discontinuous",
                "--target",
                "gaussian-kernel-sum",
                "--n",
                "4",
                "--d",
                "2",
                "--k",
                "8",
                "--samples",
                "1000",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["latent_dim"] == 1 and out["sizes"]["distinct_codes"] == 766480
    assert out["sup_error"] <= out["error_bound"] and out["equivariance_error"] == 0.0


def test_build_discontinuous_text_and_errors(capsys):
    assert (
        main(
            [
                "build",
                "discontinuous",
                "--target",
                "rank",
                "--n",
                "3",
                "--d",
                "1",
                "--k",
                "4",
                "--encoding",
                "histogram",
                "--samples",
                "200",
            ]
        )
        == 0
    )
    assert "no Lipschitz bound known" in capsys.readouterr().out
    assert main(["build", "discontinuous", "--target", "centered", "--n", "3", "--d", "1", "--k", "0"]) == 2
    assert "k must be an integer >= 1" in capsys.readouterr().err


def test_encoding_and_representative_choices_come_from_the_module_registries(monkeypatch):
    """A new encoding or representative added to the module's registry is offered by the CLI with no CLI edit."""
    from constructions import discontinuous
    from polyapprox.app.cli import build_parser

    monkeypatch.setattr(discontinuous, "ENCODINGS", (*discontinuous.ENCODINGS, "planted-encoding"))
    monkeypatch.setattr(discontinuous, "REPRESENTATIVES", (*discontinuous.REPRESENTATIVES, "planted-point"))
    argv = ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "2"]
    args = build_parser().parse_args([*argv, "--encoding", "planted-encoding", "--representative", "planted-point"])
    assert (args.encoding, args.representative) == ("planted-encoding", "planted-point")
    defaults = build_parser().parse_args(argv)
    assert (defaults.encoding, defaults.representative) == (
        discontinuous.ENCODINGS[0],
        discontinuous.REPRESENTATIVES[0],
    )
