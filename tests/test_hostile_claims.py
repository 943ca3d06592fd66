"""Hostile-input findings about claims: a tampered file never verifies, a false bound is never printed."""

from __future__ import annotations

import json

import pytest

from polyapprox.app.cli import main


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    import constructions
    from constructions import continuous, targets

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=50)
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    constructions.save(S, path)
    return path


def _tamper(src, dst, header_edit):
    """Rewrite the file's JSON header with ``header_edit(header)`` (the tensors are kept)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(src), "np") as fh:
        header = json.loads(fh.metadata()["polyapprox"])
    header_edit(header)
    save_file(load_file(str(src)), str(dst), metadata={"polyapprox": json.dumps(header)})
    return dst


def _domain(lo, hi):
    def edit(header):
        header["target"] = {"name": "times-mean"}
        header["parameters"]["domain"] = [lo, hi]

    return edit


def test_verify_refuses_tampered_file_with_degenerate_domain(saved, tmp_path, capsys):
    tampered = _tamper(saved, tmp_path / "t.safetensors", _domain(0, 1e-9))
    assert main(["verify", str(tampered), "--tol", "1e-6", "--certify"]) == 2
    err = capsys.readouterr().err
    assert "degenerate" in err and "[0, 1e-09]" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("hi", [0.0, 1e308, 1e7])
def test_verify_refuses_absurd_domain_in_one_line(saved, tmp_path, capsys, hi):
    tampered = _tamper(saved, tmp_path / "t.safetensors", _domain(0, hi))
    assert main(["verify", str(tampered)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polyapprox verify: error:") and len(err.strip().splitlines()) == 1


def test_verify_states_the_domain_it_checked(saved, capsys):
    assert main(["verify", str(saved)]) == 0
    assert "checked on the domain [0, 1]^(2 x 1) (recorded in the file)" in capsys.readouterr().out
    assert main(["verify", str(saved), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["domain"] == [0.0, 1.0] and data["domain_source"] == "recorded in the file"
    assert main(["verify", str(saved), "--domain", "0.25", "0.5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["domain"] == [0.25, 0.5] and data["domain_source"] == "--domain"


def test_verify_domain_override_outside_the_model_is_refused(saved, capsys):
    assert main(["verify", str(saved), "--domain", "0", "2"]) == 2
    assert "not inside the model's domain [0, 1]" in capsys.readouterr().err
    assert main(["verify", str(saved), "--domain", "0.5", "0.5"]) == 2
    assert "degenerate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--ratio", "0.1"], "--ratio applies only with --certify"),
        (["--max-boxes", "5"], "--max-boxes applies only with --certify"),
        (["--time-limit", "5"], "--time-limit applies only with --certify"),
        (["--certify", "--time-limit", "inf"], "--time-limit must be a finite number"),
        (["--certify", "--ratio", "nan"], "--ratio must be a finite number"),
    ],
)
def test_verify_certify_options_without_certify_are_refused(saved, capsys, extra, message):
    assert main(["verify", str(saved), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_build_discontinuous_lipschitz_0_fails_with_the_contradiction_named(capsys):
    argv = ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "3"]
    assert main([*argv, "--lipschitz", "0"]) == 1
    captured = capsys.readouterr()
    assert "<= bound 0" not in captured.out and "> (CONTRADICTION) bound" in captured.out
    assert "CONTRADICTION: the measured error 1.666667e-01 exceeds the error bound 0.000000e+00" in captured.err
    assert main([*argv, "--lipschitz", "0", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["bound_holds"] is False
    assert main(argv) == 0  # the registered constant 2 gives the bound 2/3 >= 1/6
    assert "<= bound 6.667e-01" in capsys.readouterr().out
