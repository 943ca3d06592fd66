import json

from polyapprox.app.cli import main


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
    assert "cannot read" in err and "no longer read" in err and "Traceback" not in err


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


def test_verify_certify_an_expression_like_its_registered_twin(tmp_path, capsys):
    """--certify --target EXPR gives the interval and box count of the registered target it spells."""
    path = tmp_path / "g.safetensors"
    build = ["build", "continuous", "--target", "gaussian-kernel-sum", "--n", "3", "--d", "1", "--degree", "4"]
    assert main([*build, "--samples", "300", "--save", str(path)]) == 0
    capsys.readouterr()
    results = []
    for target in ("gaussian-kernel-sum", "sum_j(exp(-norm2(x_i - x_j)))"):
        assert main(["verify", str(path), "--target", target, "--certify", "--max-boxes", "3000", "--json"]) == 0
        cert = json.loads(capsys.readouterr().out)["certified"]
        results.append((cert["lower"], cert["upper"], cert["boxes"], cert["reached"]))
    assert results[0] == results[1] and results[0][0] <= results[0][1]
    # module:function code has no interval form: one line, exit 2
    module = tmp_path / "mytarget.py"
    module.write_text("def f(X):\n    return X - X.mean(axis=1, keepdims=True)\n")
    assert main(["verify", str(path), "--target", f"{module}:f", "--certify"]) == 2
    err = capsys.readouterr().err.strip()
    assert "has no interval evaluation" in err and "module:function" in err and len(err.splitlines()) == 1


def _build(tmp_path, capsys, kind, target, *extra, n=2):
    path = tmp_path / f"{kind}.safetensors"
    argv = ["build", kind, "--target", target, "--n", str(n), "--d", "1", *extra, "--save", str(path)]
    assert main(argv) == 0
    capsys.readouterr()
    return path


CERTIFY = ["--certify", "--samples", "300", "--max-boxes", "20000", "--json"]


def test_verify_certify_a_relu_network_of_each_attention_kind_against_its_recorded_expression(tmp_path, capsys):
    """Every attention kind in ReLU mode, its target an expression recorded in the file: certified against the target."""
    expression = "sum_j(exp(-norm2(x_i - x_j)))"
    uppers = {}
    for kind in ("transformer", "linformer", "performer", "masked-transformer"):
        path = _build(tmp_path, capsys, kind, expression, "--degree", "2", "--ff", "relu", "--m-relu", "3")
        assert main(["verify", str(path), *CERTIFY]) == 0
        out = json.loads(capsys.readouterr().out)
        cert = out["certified"]
        assert out["target"] == expression and out["target_source"] == "recorded in the file"
        assert cert["lower"] <= cert["upper"] and cert["upper"] >= out["sup_error"] and cert["reached"]
        uppers[kind] = cert["upper"]
    # the four kinds realise the same Sumformer with the same uniform attention: the same bound
    assert len(set(uppers.values())) == 1


def test_verify_certify_the_cell_kinds(tmp_path, capsys):
    from constructions import sparse, targets

    discontinuous = _build(tmp_path, capsys, "discontinuous", "centered", "--k", "3")
    network = tmp_path / "sparse.safetensors"  # 'build sparse-transformer --save' writes its own JSON description
    sparse.universal_network(targets.get("centered"), 2, 1, "1/2", sparse.patterns.dense(2)).save(network)
    for path in (discontinuous, network):
        assert main(["verify", str(path), *CERTIFY]) == 0
        out = json.loads(capsys.readouterr().out)
        cert = out["certified"]
        assert cert["lower"] <= cert["upper"] <= 1.5 * cert["lower"] and cert["upper"] >= out["sup_error"]


def test_verify_certify_refuses_what_cannot_be_certified_in_one_line(tmp_path, capsys):
    partial = _build(
        tmp_path,
        capsys,
        "masked-transformer",
        "centered",
        "--degree",
        "2",
        "--pattern",
        "tridiagonal",
        "--allow-partial",
        n=3,
    )
    network = _build(tmp_path, capsys, "transformer", "centered", "--degree", "2")
    cases = [
        (["verify", str(partial), "--certify"], "not permutation-equivariant"),
        (["verify", str(network), "--certify", "--certificate", str(tmp_path / "c.json")], "certificates cover"),
        (["verify", str(network), "--certify", "--target", "numpy:negative"], "has no interval evaluation"),
        (["verify", str(network), "--certify", "--target", "no-such-target"], "no-such-target"),
        (["verify", str(network), "--certify", "--max-boxes", "-3"], "max_boxes"),
        (["verify", str(network), "--certify", "--ratio", "nan"], "--ratio"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err, (argv, err)
