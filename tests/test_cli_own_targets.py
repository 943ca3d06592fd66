"""CLI: own targets, --save and verify for every kind, option checks, one-line errors with exit 2."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

import constructions
from polyapprox import __version__
from polyapprox.app.cli import main
from polyapprox.app.cli._common import digit_count, show_int

FAST_FIT = ["--n", "2", "--d", "1", "--degree", "2", "--samples", "60"]


def _one_line_exit_2(argv, capsys, fragment):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert fragment in err, err
    return err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (
            [
                "build",
                "discontinuous",
                "--target",
                "gaussian-kernel-sum",
                "--n",
                "4",
                "--d",
                "3",
                "--k",
                "100",
                "--max-memory",
                "1G",
            ],
            "needs an estimated",
        ),
        (["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "50", "--k", "100"], "too large"),
        (
            ["build", "continuous", "--target", "centered", *FAST_FIT, "--save", "/nonexistent/dir/m.safetensors"],
            "does not exist",
        ),
        (
            [
                "build",
                "continuous",
                "--target",
                "gaussian-kernel-sum",
                "--n",
                "6",
                "--d",
                "3",
                "--degree",
                "6",
                "--max-memory",
                "300M",  # the fit is estimated at about 494 MB (0.97x its measured peak)
            ],
            "needs an estimated",
        ),
        (["build", "transformer", "--target", "centered", *FAST_FIT, "--m-relu", "4"], "--m-relu does not apply"),
        (["build", "continuous", "--target", "x_i + x_j", *FAST_FIT], "not equivariant: x_j"),
        (["build", "continuous", "--target", "exp(x_i).real", *FAST_FIT], "attribute"),
        (["build", "continuous", "--target", "gausian-kernel-sum", *FAST_FIT], "unknown target 'gausian-kernel-sum'"),
        (["build", "continuous", "--target", "no_such_module_xyz:f", *FAST_FIT], "cannot import target"),
        (["build", "continuous", "--target", "log(x_i - 0.5)", *FAST_FIT], "gives nan"),
        (["latent-dim", "3", "2", "--n-max", "4"], "apply only with --table"),
        (["latent-dim", "3", "2", "--n", "3"], "not both"),
        (["reproduce", "--tolerance", "nonsense=1", "--only", "latent"], "unknown tolerance 'nonsense'"),
        (["reproduce", "--tolerance", "C.factor=inf", "--only", "latent"], "finite number"),
        (["sparse", "check", "--pattern", "strided", "--n", "16", "--window", "3"], "--window does not apply"),
        (["sparse", "check", "--pattern", "window", "--n", "16", "--stride", "3"], "--stride does not apply"),
        (["sparse", "layers", "--p", "2", "--s", "2", "--n", "4", "--d", "1", "--q", "2", "--ring"], "--ring does not"),
        (["verify", "/nonexistent/m.safetensors"], "cannot read"),
        (["verify", "/dev/zero"], "not a regular file"),
    ],
)
def test_expected_failures_are_one_line_exit_2(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_line_exit_2(argv, capsys, fragment)


def test_version_and_help_on_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"polyapprox {__version__}"
    from polyapprox.app.cli import build_parser

    missing = []

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}")
            elif action.dest != "help" and not action.help:
                missing.append(f"{prefix} {action.option_strings or action.dest}")

    walk(build_parser(), "polyapprox")
    assert not missing, missing


def test_targets_lists_formulas(capsys):
    assert main(["targets"]) == 0
    out = capsys.readouterr().out
    assert "gaussian-kernel-sum  sum_j(exp(-norm2(x_i - x_j)))" in out and "rank" in out
    assert main(["targets", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["targets"]}
    assert rows["centered"]["formula"] == "x_i - mean_j(x_j)" and rows["centered"]["d_out"] == "d"
    assert rows["rank"]["expression"] is None and rows["rank"]["d"] == [1]


def test_expression_target_build_and_verify(tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    assert (
        main(
            [
                "build",
                "continuous",
                "--target",
                "x_i * mean_j(x_j)",
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
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["inputs"]["target"] == "x_i * mean_j(x_j)" and out["report"]["test_sup_error"] < 1e-12
    assert main(["verify", str(path), "--json", "--samples", "200"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["target"] == "x_i * mean_j(x_j)" and res["target_source"] == "recorded in the file"
    assert res["sup_error"] < 1e-12 and res["passed"] and res["inputs"]["file"] == str(path)


def test_module_function_target(tmp_path, capsys, monkeypatch):
    (tmp_path / "mytargets.py").write_text("def doubled(X):\n    return 2 * X\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "m.safetensors"
    assert main(["build", "continuous", "--target", "mytargets:doubled", *FAST_FIT, "--save", str(path)]) == 0
    capsys.readouterr()
    # the file records the callable's name, but verify never imports it: --target must be given
    _one_line_exit_2(["verify", str(path)], capsys, "never imported")
    assert main(["verify", str(path), "--target", "mytargets:doubled", "--tol", "1e-9", "--samples", "100"]) == 0
    assert main(["verify", str(path), "--target", "mytargets.py:doubled", "--tol", "1e-9", "--samples", "100"]) == 0
    _one_line_exit_2(
        [
            "build",
            "discontinuous",
            "--target",
            "mytargets:doubled",
            "--n",
            "2",
            "--d",
            "1",
            "--k",
            "3",
            "--save",
            str(tmp_path / "d.safetensors"),
        ],
        capsys,
        "Python callable",
    )


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("continuous", []),
        ("transformer", ["--ff", "relu", "--m-relu", "3"]),
        ("linformer", ["--k", "3"]),
        ("performer", ["--m", "5", "--features", "trig"]),
    ],
)
def test_save_and_verify_every_fitted_kind(tmp_path, capsys, kind, extra):
    path = tmp_path / f"{kind}.safetensors"
    assert main(["build", kind, "--target", "centered", *FAST_FIT, *extra, "--save", str(path), "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["saved"] == str(path)
    info = constructions.read(path)
    assert info.kind == kind and info.target.name == "centered"
    # verify: recorded target, exit 0 under a loose tol, 1 under an impossible one, JSON complete
    assert main(["verify", str(path), "--tol", "1", "--samples", "200", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["kind"] == kind and res["passed"] and res["tol"] == 1.0
    bound = 1e-9 if kind != "transformer" else 1.0  # the ReLU network has a positive error
    assert res["sup_error"] < bound
    assert main(["verify", str(path), "--tol", "0", "--samples", "200", "--target", "times-mean"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "best found sup error vs times-mean (--target)" in out


def test_discontinuous_save_and_verify(tmp_path, capsys):
    path = tmp_path / "disc.safetensors"
    assert (
        main(
            [
                "build",
                "discontinuous",
                "--target",
                "sum_j(exp(-norm2(x_i - x_j)))",
                "--n",
                "3",
                "--d",
                "1",
                "--k",
                "8",
                "--samples",
                "300",
                "--save",
                str(path),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["lipschitz_source"] == "estimated by sampling" and out["sup_error"] <= out["error_bound"]
    X = np.random.default_rng(0).uniform(size=(20, 3, 1))
    model = constructions.load(path)
    assert model.k == 8 and np.array_equal(model(X), constructions.load(path)(X))
    assert main(["verify", str(path), "--samples", "300", "--tol", str(out["error_bound"])]) == 0
    assert main(["verify", str(path), "--samples", "300", "--tol", "1e-6"]) == 1


def test_verify_rejects_a_tampered_file(tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    assert main(["build", "continuous", "--target", "centered", *FAST_FIT, "--save", str(path)]) == 0
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # a bit flip in the stored psi coefficients
    path.write_bytes(bytes(data))
    capsys.readouterr()
    _one_line_exit_2(["verify", str(path)], capsys, "inconsistent")
    path.write_bytes(bytes(data[:40]))
    _one_line_exit_2(["verify", str(path)], capsys, "truncated")


def test_latent_dim_accepts_n_and_d_options(capsys):
    assert main(["latent-dim", "--n", "3", "--d", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["continuous"] == 9 and data["inputs"]["n"] == 3


def test_big_integers_are_shown_by_digit_count():
    assert digit_count(10**5000) == 5001 and digit_count(10**5000 - 1) == 5000 and digit_count(0) == 1
    assert show_int(5**10) == "9765625"
    assert show_int(10**5000) == "1.00e+5000 (5001 digits)"
    assert show_int(-(3 * 10**100)) == "-3.00e+100 (101 digits)"


def test_discontinuous_sizes_with_huge_codes_print(capsys):
    # 4 tokens on a 10^4-cell grid: the largest code 4 x 5^9999 has more digits than str() allows
    assert (
        main(
            [
                "build",
                "discontinuous",
                "--target",
                "centered",
                "--n",
                "4",
                "--d",
                "2",
                "--k",
                "100",
                "--samples",
                "20",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        expected = len(str(4 * 5**9999))
    finally:
        sys.set_int_max_str_digits(limit)
    assert out["sizes"]["max_code_digits"] == expected
    assert (
        main(
            ["build", "discontinuous", "--target", "centered", "--n", "4", "--d", "2", "--k", "100", "--samples", "20"]
        )
        == 0
    )
    assert f"largest code {expected} digits" in capsys.readouterr().out


def test_huge_ints_in_json_are_printed_by_digit_count(capsys):
    from polyapprox.app.cli._output import print_json

    print_json({"code": 10**20000, "small": 12})
    data = json.loads(capsys.readouterr().out)
    assert data == {"code": "1.00e+20000 (20001 digits)", "small": 12}


def test_console_script_error_is_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "polyapprox", "build", "continuous", "--target", "x_j", *FAST_FIT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_reproduce_json_has_inputs_and_claims(tmp_path, capsys):
    assert main(["reproduce", "--only", "latent", "--quick", "--no-progress", "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inputs"]["only"] == ["latent"] and data["total"] == data["passed"] > 0
    assert {c["id"] for c in data["claims"]} >= {"L1"}
