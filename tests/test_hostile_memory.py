"""Hostile-input findings about memory: estimates cover the real intermediates, checked before any work.

Peaks are measured with tracemalloc (numpy reports its buffers to it) or under RLIMIT_AS in a
subprocess; nothing here measures seconds.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from constructions._targets.expression import EVAL_BUDGET_BYTES, NUMPY_OVERHEAD_BYTES, compile_expression
from polyapprox.app.cli import main
from polyapprox.internal import SizeError

A = "norm2(x_i - x_j + x_k - x_l)"


def _nested(levels: int, leaf: str = A) -> str:
    """leaf + (leaf + (... )): every left operand is held while the right one is evaluated."""
    body = leaf
    for _ in range(levels):
        body = f"{leaf} + ({body})"
    return f"sum_j(sum_k(sum_l({body})))"


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


EXPRESSIONS = [
    "sum_j(exp(-norm2(x_i - x_j)))",
    "x_i - mean_j(x_j)",
    "max_j(min_k(abs(x_i - x_j) + abs(x_k - x_j)))",
    "(sum_j(x_j) ** 2, mean_j(tanh(x_j[0] * x_i[1])) / 3, sqrt(norm(x_i)))",
    "sum_j(sum_k(norm(x_i - x_j) * dot(x_k, x_j) + (x_i * x_j)[0]))",
    "sum_j(sum_k(sum_l(dot(x_i - x_j, x_k - x_l))))",
    "-sum_j(max_k(x_k)) + sum_j(sum_k(sum_l(exp(-(x_i - x_l) ** 2))))",
    _nested(6),
]


@pytest.mark.parametrize("text", EXPRESSIONS)
@pytest.mark.parametrize("n", [3, 9, 14])
def test_expression_memory_estimate_bounds_the_measured_peak(text, n):
    program = compile_expression(text)
    b, d = 3, 2
    X = np.random.default_rng(n).uniform(size=(b, n, d))
    peak = _peak(lambda: program(X))
    output = 8 * b * n * program.output_dim(d)
    assert peak <= b * program.bytes_per_sequence(n, d) + NUMPY_OVERHEAD_BYTES + output


def test_expression_of_1000_characters_nesting_30_levels_at_n45_is_refused_before_evaluating():
    text = _nested(30)
    assert len(text) > 1000
    program = compile_expression(text)
    X = np.random.default_rng(0).uniform(size=(1, 45, 1))
    # 31 live arrays of 45^4 values each: about 1 GB for one sequence, past the 128 MiB budget
    assert program.bytes_per_sequence(45, 1) > 30 * 8 * 45**4

    def evaluate():
        with pytest.raises(SizeError, match="per sequence"):
            program(X)

    assert _peak(evaluate) < 2**20  # refused from the syntax tree: nothing large was allocated


def test_expression_evaluation_in_chunks_stays_within_its_budget():
    program = compile_expression(_nested(4))
    n, d, b = 18, 1, 200
    per_sequence = program.bytes_per_sequence(n, d)
    assert b * per_sequence > 2 * EVAL_BUDGET_BYTES  # one chunk would be far past the budget
    X = np.random.default_rng(1).uniform(size=(b, n, d))
    peak = _peak(lambda: program(X))
    assert peak <= EVAL_BUDGET_BYTES + 3 * 8 * b * n  # the budget, plus the output and its chunks


def _run_limited(code: str, limit_bytes: int) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter whose address space is capped at ``limit_bytes`` (RLIMIT_AS)."""
    prelude = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=600
    )


def test_verify_max_bytes_4G_reads_a_small_file_without_allocating_4G(tmp_path):
    import constructions
    from constructions import continuous, targets

    S, _ = continuous.approximate(targets.get("centered"), n=2, d=1, degree=1, samples=20)
    path = tmp_path / "m.safetensors"
    constructions.save(S, path)
    assert path.stat().st_size < 4000
    done = _run_limited(
        f"""
        import sys
        from polyapprox.app.cli import main
        sys.exit(main(["verify", {str(path)!r}, "--max-bytes", "4G", "--samples", "64"]))
        """,
        3 * 2**30,
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "MemoryError" not in done.stderr and "out of memory" not in done.stderr


def test_build_transformer_n_100000_is_refused_by_size_before_allocating(capsys):
    argv = ["build", "transformer", "--target", "centered", "--n", "100000", "--d", "1", "--degree", "1"]
    assert main([*argv, "--samples", "10", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "needs an estimated" in err and "out of memory" not in err and len(err.strip().splitlines()) == 1


def test_fit_api_refuses_power_sum_monomials_past_its_memory_budget():
    from constructions import continuous, targets

    with pytest.raises(SizeError, match="monomials"):
        continuous.approximate(targets.get("centered"), 100000, 1, 1, samples=10)


def test_cli_memory_error_is_one_line_exit_2(monkeypatch, capsys):
    from polyapprox.app.cli import latent_dim

    def exhausted(args):
        raise MemoryError

    monkeypatch.setattr(latent_dim, "run", exhausted)
    assert main(["latent-dim", "2", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("polyapprox latent-dim: error: out of memory") and len(err.strip().splitlines()) == 1


def test_verify_of_a_small_model_file_recording_a_memory_heavy_target_is_refused_within_budget(tmp_path, capsys):
    import constructions
    from constructions import continuous, targets

    S, _ = continuous.approximate(targets.get("centered"), n=45, d=1, degree=1, samples=20)
    path = tmp_path / "m.safetensors"
    constructions.save(S, path, target=targets.from_expression(_nested(30), lipschitz=1.0))
    assert path.stat().st_size < 64_000
    code = []
    peak = _peak(lambda: code.append(main(["verify", str(path), "--samples", "16"])))
    err = capsys.readouterr().err
    assert code == [2] and "per sequence" in err and len(err.strip().splitlines()) == 1
    assert peak < EVAL_BUDGET_BYTES  # refused from the syntax tree (the probe measured 2.8 GB)
