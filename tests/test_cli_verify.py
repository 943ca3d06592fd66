import json

from polyapprox.cli import main


def test_verify_saved_model(tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "build",
                "continuous",
                "--target",
                "times-mean",
                "--n",
                "2",
                "--d",
                "2",
                "--degree",
                "2",
                "--samples",
                "200",
                "--save",
                str(path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["verify", str(path), "--target", "times-mean", "--samples", "500", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sup_error"] < 1e-12 and out["equivariance_error"] < 1e-12  # times-mean is a degree-2 polynomial
    assert main(["verify", str(path), "--target", "gaussian-kernel-sum", "--samples", "500", "--json"]) == 2


def test_verify_bad_files(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing.json"), "--target", "centered"]) == 2
    (tmp_path / "evil.json").write_text(
        json.dumps(
            {
                "format": "polyapprox.sumformer/1",
                "kind": "continuous",
                "representation": {"Psi": ["__import__('os')"]},
                "domain": [0, 1],
                "meta": {},
            }
        )
    )
    assert main(["verify", str(tmp_path / "evil.json"), "--target", "centered"]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err


def test_verify_certify_prints_interval_and_exit_code(tmp_path, capsys):
    path = tmp_path / "g.safetensors"
    assert (
        main(
            [
                "build",
                "continuous",
                "--target",
                "gaussian-kernel-sum",
                "--n",
                "2",
                "--d",
                "1",
                "--degree",
                "2",
                "--samples",
                "200",
                "--save",
                str(path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(["verify", str(path), "--target", "gaussian-kernel-sum", "--samples", "300", "--certify", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    cert = out["certified"]
    assert cert["reached"] and cert["lower"] <= cert["upper"] <= 1.5 * cert["lower"]
    assert cert["upper"] >= out["sup_error"]
    # --tol below the certified bound (but above the sampled error would not matter): exit 1
    assert (
        main(
            [
                "verify",
                str(path),
                "--target",
                "gaussian-kernel-sum",
                "--samples",
                "300",
                "--certify",
                "--tol",
                str(cert["lower"] * 0.5),
            ]
        )
        == 1
    )
    text = capsys.readouterr().out
    assert "certified: sup error in [" in text and "reached" in text
    assert (
        main(
            [
                "verify",
                str(path),
                "--target",
                "gaussian-kernel-sum",
                "--samples",
                "300",
                "--certify",
                "--tol",
                str(cert["upper"] * 2),
            ]
        )
        == 0
    )
    assert main(["verify", str(path), "--target", "gaussian-kernel-sum", "--certify", "--max-boxes", "0"]) == 2
    assert "max_boxes" in capsys.readouterr().err
