"""``polyapprox build sparse-transformer`` (polyapprox/app/cli/build_sparse.py)."""

import json
from fractions import Fraction

import pytest

from polyapprox.app.cli import main

BASE = ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]


def test_hardmax_exact_on_grid_text(capsys):
    assert main(BASE + ["--delta", "1/2"]) == 0
    out = capsys.readouterr().out
    assert "g equals f-bar (exact) on 8 of the 8 grid inputs (all checked)" in out
    assert "| value | 24 | n delta^-(n d) = 24 |" in out and "heads = 2 of size 1, FF width 1" in out
    assert "rho = hardmax, t = 1; heads" in out and "None" not in out  # hardmax has no eps: none is printed


def test_json_summary(capsys):
    assert main(BASE + ["--delta", "3", "--json"]) == 0  # an integer delta is q
    out = json.loads(capsys.readouterr().out)
    assert out["delta"] == "1/3" and out["heads"] == 2 and out["head_size"] == 1 and out["ff_width"] == 1
    assert out["grid_check"]["equal"] == out["grid_check"]["checked"] == 27
    sc, fc = out["stage_counts"], out["formula_counts"]
    assert (
        (sc["quantisation"], sc["phase-a"], sc["phase-b"], sc["value"])
        == (fc["quantisation"], fc["phase_a"], fc["phase_b"], fc["value"])
        == (9, 6, 1, 81)
    )
    assert out["distance"]["d_p(f_bar,g)"] < 1e-9
    assert out["distance"]["d_p(f,f_bar)"] <= out["distance"]["bound_f_fbar"]


def test_softmax_eps_and_save(tmp_path, capsys):
    from constructions import load

    path = tmp_path / "net.safetensors"
    assert main(BASE + ["--rho", "softmax", "--t", "300", "--eps", "0.01", "--save", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ff_width"] == 4 and out["rho"] == "softmax" and out["saved"] == str(path)
    assert out["grid_check"]["equal"] == 8
    net = load(path)  # a model file: rebuilt with exact rational weights, checked against the recorded SHA-256
    assert net.kind == "sparse-transformer" and net.rho == "softmax" and net.t == 300
    saved = net.to_dict(weights=True)
    layers = saved["layers"]
    assert len(layers) == sum(saved["stage_counts"].values())
    # exact rationals as strings; the all-max shift writes c_B on coordinate 1 and its query is scaled by t
    b = next(l for l in layers if l["name"] == "phase-b.0")["weights"]
    assert Fraction(b["head0.W_O"]["values"][0][0]) == saved["c_B"]
    assert Fraction(b["head0.b_Q"]["values"][0][0]) == 300
    q = next(l for l in layers if l["stage"] == "quantisation")
    assert q["activation"] == "relu" and len(q["weights"]["b1"]["values"][0]) == 4
    # the saved weights reproduce the network: replay the value layers' thresholds
    thresholds = sorted(-Fraction(l["weights"]["b1"]["values"][0][1]) for l in layers if l["stage"] == "value")
    assert len(thresholds) == 24 and len(set(thresholds)) == 24


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--pattern", "fixed", "--block", "2"], "condition 'connectivity', witness"),
        (["--delta", "2/3"], "delta must be 1/q"),
        (["--rho", "softmax"], "needs a query scale t"),
        (["--rho", "softmax", "--t", "-1"], "t must be > 0"),
        (["--eps", "0.3"], "eps must be < delta/2"),
        (["--max-value-layers", "10"], "24 entries, more than the limit of 10"),
    ],
)
def test_errors_one_line(extra, message, capsys):
    argv = (BASE[:-2] if "--pattern" in extra else BASE) + extra
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_unknown_target_and_size(capsys):
    assert main(["build", "sparse-transformer", "--target", "nope", "--n", "2", "--d", "1", "--pattern", "dense"]) == 2
    assert (
        main(["build", "sparse-transformer", "--target", "centered", "--n", "6", "--d", "2", "--pattern", "star"]) == 2
    )
    err = capsys.readouterr().err
    assert "unknown target" in err and "24,576" in err


def test_save_unwritable(tmp_path, capsys):
    assert main(BASE + ["--save", str(tmp_path / "missing" / "x.safetensors")]) == 2
    assert "cannot write --save file" in capsys.readouterr().err


def test_save_text_and_verify_certify_hardmax(tmp_path, capsys):
    path = tmp_path / "net.safetensors"
    assert main(BASE + ["--save", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"saved to {path}"
    assert main(["verify", str(path), "--certify", "--json"]) == 0
    cert = json.loads(capsys.readouterr().out)["certified"]
    # g is f at the cell centre, |x_j - c_j| <= 1/4: |f(X)_i - f(c)_i| <= (2/3 + 1/3 + 1/3) / 4 = 1/3 (closed form),
    # attained at a corner of a cell
    assert cert["lower"] <= 1 / 3 <= cert["upper"] and cert["upper"] - cert["lower"] < 1e-9


def test_save_json_name_is_refused_before_any_work(tmp_path, capsys):
    assert main(BASE + ["--save", str(tmp_path / "net.json")]) == 2
    err = capsys.readouterr().err
    assert "model files are safetensors, not JSON; name it net.safetensors" in err and err.count("\n") == 1
    assert not (tmp_path / "net.json").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--samples", "100000000000000000000"], "random sequences of n x d values"),
        (["--sample-seed", "-1"], "seed must be an integer >= 0"),
        (["--norm-p", "0.5"], "p must be a number in"),
    ],
)
def test_samples_10_pow_20_is_refused_before_the_network_is_built(monkeypatch, capsys, extra, message):
    from constructions import sparse

    def built(*args, **kwargs):
        raise AssertionError("the network was built before its distance arguments were checked")

    monkeypatch.setattr(sparse, "universal_network", built)
    argv = ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err


def test_check_distance_args_agrees_with_distance():
    from constructions import sparse, targets
    from polyapprox.internal import PolyapproxError

    net = sparse.universal_network(targets.get("centered"), 2, 1, "1/2", sparse.patterns.dense(2))
    cases: list[dict] = [{"samples": 10**20}, {"seed": -1}, {"p": 0.5}, {"p": True}, {"samples": "x"}]
    for kwargs in cases:
        with pytest.raises(PolyapproxError) as before:
            sparse.check_distance_args(2, 1, **kwargs)
        with pytest.raises(PolyapproxError) as during:
            net.distance(**kwargs)
        assert str(before.value) == str(during.value)
    assert net.distance(samples=50)["samples"] == sparse.check_distance_args(2, 1, samples=50) == 50
