"""Hostile-input findings that ended in a traceback: each is now one line (CLI exit 2) or a PolyapproxError."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

from polyapprox.app.cli import main
from polyapprox.internal import PolyapproxError

ROOT = Path(__file__).resolve().parent.parent
BIG = "100000000000000000000"  # 10^20


def _one_line(err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("target", ["1e308", "exp(709)", "1e308 * x_i"])
def test_target_1e308_or_exp_709_is_one_line(capsys, target):
    argv = ["build", "continuous", "--target", target, "--n", "2", "--d", "1", "--degree", "1", "--samples", "20"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would print lines of its own before the error
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert _one_line(err) and "overflow float64" in err


def test_from_expression_lipschitz_2_pow_2000_is_a_polyapprox_error():
    from constructions.targets import from_expression

    with pytest.raises(PolyapproxError, match="an integer of 2,001 bits"):
        from_expression("x_i", lipschitz=2**2000)


@pytest.mark.parametrize("row", ["x1_" + "1" * 5000, "x" + "1" * 5000 + "_1"])
def test_represent_token_index_over_4300_digits_is_one_line(capsys, row):
    assert main(["represent", row, "--n", "2", "--d", "1"]) == 2
    assert _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("extra", [[], ["--json"], ["--latex"]])
def test_represent_1e5000_times_x1_1_prints_its_exact_coefficient(capsys, extra):
    assert main(["represent", "1e5000*x1_1", "--n", "2", "--d", "1", *extra]) == 0
    out = capsys.readouterr().out
    assert "0" * 4999 in out or "5001 digits" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--table", "--n-max", BIG],
        ["--table", "--d-max", BIG],
        ["--table", "--n-max", "3", "--d-max", BIG],
    ],
)
def test_latent_dim_table_options_at_10_pow_20_are_one_line(capsys, argv):
    assert main(["latent-dim", *argv]) == 2
    err = capsys.readouterr().err
    assert _one_line(err) and "more than 100,000 values" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "continuous", "--target", "centered", "--n", BIG, "--d", "1", "--degree", "1"],
        ["build", "discontinuous", "--target", "centered", "--n", BIG, "--d", "1", "--k", "2"],
        ["build", "sparse-transformer", "--target", "centered", "--n", BIG, "--d", "1", "--pattern", "star"],
        ["build", "continuous", "--target", "centered", "--n", "2", "--d", BIG, "--degree", "1"],
        ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]
        + ["--samples", BIG],
    ],
)
def test_n_10_pow_20_is_one_line(capsys, argv):
    assert main(argv) == 2
    assert _one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "2", "--seed", "-1"],
        ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]
        + ["--sample-seed", "-1"],
        ["build", "continuous", "--target", "centered", "--n", "2", "--d", "1", "--degree", "1", "--seed", "-1"],
    ],
)
def test_seed_minus_1_is_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert _one_line(err) and "seed must be an integer >= 0" in err


def test_sup_error_seed_minus_1_is_a_polyapprox_error():
    from constructions import continuous, targets, verify

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=20)
    with pytest.raises(PolyapproxError, match="seed must be an integer >= 0"):
        verify.sup_error(S, targets.get("centered"), 2, 1, seed=-1)


@pytest.mark.parametrize("value", ["x", None, [1]])
def test_model_file_column_tol_of_the_wrong_type_is_a_polyapprox_error(value):
    from constructions import continuous, linformer, targets

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=20)
    with pytest.raises(PolyapproxError, match="column_tol must be a finite number"):
        linformer.from_sumformer(S, 2, 1, column_tol=value)


def test_non_utf8_output_path_with_a_strict_utf8_stdout(tmp_path):
    name = os.fsencode(tmp_path) + b"/\xff.safetensors"
    argv = ["build", "continuous", "--target", "centered", "--n", "2", "--d", "1", "--degree", "1", "--samples", "20"]
    code = "import sys; from polyapprox.app.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, "--save", os.fsdecode(name)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert b"saved to " + name in done.stdout
    assert os.path.exists(name)


def _peer(mode: str) -> tuple[socket.socket, int]:
    """A loopback server that drip-feeds one byte at a time or sends garbage; closed by the caller."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve(conn: socket.socket) -> None:
        try:
            if mode == "drip":
                for _ in range(100):
                    conn.sendall(b"\x01")
                    time.sleep(0.2)
            else:
                conn.sendall(bytes(range(256)) * 16)
                time.sleep(20)
        except OSError:
            pass
        finally:
            conn.close()

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return server, server.getsockname()[1]


@pytest.mark.parametrize("mode", ["drip", "garbage"])
def test_dask_peer_that_drip_feeds_or_sends_garbage_is_one_line_without_a_del_traceback(tmp_path, mode):
    pytest.importorskip("distributed")
    server, port = _peer(mode)
    try:
        argv = ["sweep", "engine", "--n", "2", "--d", "1", "--degree", "1", "--no-progress"]
        argv += ["--out", str(tmp_path / "r.jsonl"), "--scheduler", f"tcp://127.0.0.1:{port}"]
        code = "import sys; from polyapprox.app.cli import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=300,
        )
    finally:
        server.close()
    assert done.returncode == 2
    assert _one_line(done.stderr), done.stderr[-1500:]
    assert "Exception ignored" not in done.stderr and "Dask scheduler" in done.stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "engine", "--n", "2", "--d", "1", "--degree", "1", "--target", "centered"], "--target applies only"),
        (["sweep", "engine", "--n", "2", "--d", "1", "--degree", "1", "--samples", "5"], "--samples applies only"),
        (
            ["build", "sparse-transformer", "--target", "centered", "--n", "3", "--d", "1", "--pattern", "star"]
            + ["--t", "3"],
            "--t applies only with --rho softmax or sparsemax",
        ),
        (["represent", "x1_1", "--n", "2", "--d", "1", "--latex", "--json"], "--latex applies only without --json"),
        (["reproduce", "--full-training", "--only", "latent"], "--full-training applies only when the training"),
    ],
)
def test_options_that_do_not_apply_are_one_line_exit_2(tmp_path, capsys, argv, message):
    if argv[0] in ("sweep", "reproduce"):
        argv = [*argv, "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert _one_line(err) and message in err
    assert not (tmp_path / "out").exists()  # refused before any work


def test_applies_only_lists_every_misplaced_option_and_keeps_defaults(capsys):
    from polyapprox.app.cli import build_parser
    from polyapprox.app.cli._common import check_applies_only

    args = build_parser().parse_args(["verify", "m.safetensors"])
    check_applies_only(args)  # nothing given: the plain defaults come back
    assert (args.ratio, args.max_boxes, args.time_limit) == (0.5, 200_000, 60.0)
    argv = ["verify", "m.safetensors", "--ratio", "0.1", "--time-limit", "3"]
    with pytest.raises(PolyapproxError, match="--ratio applies only with --certify; --time-limit applies only"):
        check_applies_only(build_parser().parse_args(argv))


@pytest.fixture(scope="module")
def models():
    from constructions import continuous, discontinuous, sparse, targets, transformer

    f = targets.get("centered")
    S, _ = continuous.approximate(f, n=2, d=1, degree=1, samples=20)
    return {
        "sumformer": S,
        "network": transformer.from_sumformer(S, 2),
        "target": f,
        "discontinuous": discontinuous.build(f, 2, 1, 4),
        "sparse": sparse.universal_network(f, 2, 1, "1/4", sparse.patterns.dense(2)),
    }


def _bad_inputs():
    import numpy as np

    broadcast = np.array([[0.1], [0.2]])
    return {
        "zero_sequences": (np.zeros((0, 2, 1)), "no sequences"),
        "ragged_list": ([[0.1], [0.2, 0.3]], "numeric array"),
        "broadcast_view_of_10_pow_7_sequences": (np.broadcast_to(broadcast, (10**7, 2, 1)), "evaluate it in chunks"),
        "broadcast_view_of_10_pow_9_sequences": (np.broadcast_to(broadcast, (10**9, 2, 1)), "evaluate it in chunks"),
    }


@pytest.mark.parametrize("case", sorted(_bad_inputs()))
@pytest.mark.parametrize("model", ["sumformer", "network", "target", "discontinuous", "sparse"])
def test_raw_numpy_errors_from_the_api_are_polyapprox_errors(models, model, case):
    X, message = _bad_inputs()[case]
    with pytest.raises(PolyapproxError, match=message):
        models[model](X)


@pytest.mark.parametrize("model", ["sumformer", "network", "target", "discontinuous", "sparse"])
def test_np_matrix_and_torch_tensors_that_require_grad_are_read_as_arrays(models, model):
    import numpy as np

    torch = pytest.importorskip("torch")
    X = np.array([[0.125], [0.375]])  # cell centres of the 1/4 grid: every model gives x_i - mean(x) exactly
    expected = models[model](X)
    np.testing.assert_allclose(expected.ravel(), [-0.125, 0.125], atol=1e-12)
    assert np.array_equal(models[model](np.matrix(X)), expected)
    tensor = torch.tensor(X, requires_grad=True)
    assert np.array_equal(models[model](tensor), expected)


@pytest.mark.parametrize("keyword", [{"tol": None}, {"atol": "x"}, {"time_limit": None}, {"tol": float("nan")}])
def test_certified_sup_error_tol_none_is_a_polyapprox_error(models, keyword):
    from constructions import verify

    with pytest.raises(PolyapproxError, match="must be a"):
        verify.certified_sup_error(models["sumformer"], models["target"], **keyword)
