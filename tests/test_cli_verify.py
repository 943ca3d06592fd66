import json

from polyapprox.cli import main


def test_verify_saved_model(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert main(["build", "continuous", "--target", "times-mean", "--n", "2", "--d", "2", "--degree", "2",
                 "--samples", "200", "--save", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path), "--target", "times-mean", "--samples", "500", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sup_error"] < 1e-12 and out["equivariance_error"] < 1e-12  # times-mean is a degree-2 polynomial
    assert main(["verify", str(path), "--target", "gaussian-kernel-sum", "--samples", "500", "--json"]) == 2


def test_verify_bad_files(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing.json"), "--target", "centered"]) == 2
    (tmp_path / "evil.json").write_text(json.dumps({"format": "polyapprox.sumformer/1", "kind": "continuous",
                                                     "representation": {"Psi": ["__import__('os')"]},
                                                     "domain": [0, 1], "meta": {}}))
    assert main(["verify", str(tmp_path / "evil.json"), "--target", "centered"]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "Traceback" not in err
