"""``polyapprox represent``: output, JSON that from_dict reads back, one-line errors with exit 2."""

from __future__ import annotations

import json
import re

import pytest

import polyapprox
from polyapprox import EquivariantRepresentation, own_symbols, power_sum_symbol
from polyapprox.app.cli import main

EXAMPLE_2 = "x2_1*x3_1 + x1_2*(x2_2+x3_2), x2_1*x2_2 + x3_1*x3_2"


def test_text_output(capsys):
    assert main(["represent", EXAMPLE_2, "--n", "3", "--d", "2"]) == 0
    out = capsys.readouterr().out
    assert "latent dimension d' = 9" in out and "18 candidate terms" in out
    assert "Psi[2](y, p) = p_1_1 - y_1*y_2" in out
    assert "verified" in out


def test_refined_latex(capsys):
    assert main(["represent", "x2_1**2", "--n", "2", "--d", "1", "--refined", "--latex"]) == 0
    out = capsys.readouterr().out
    assert "d' = 1" in out and r"\Psi(y, s) &= s_{1}^{2} - 2 s_{1} y_{1} + y_{1}^{2}" in out


def test_json_round_trip(capsys):
    assert main(["represent", EXAMPLE_2, "--n", "3", "--d", "2", "--json", "--method", "dense-expansion"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verified"] is True and data["latent_dim"] == 9 and data["rank"] == 18
    for key in ("latent_dim", "verified", "candidates", "rank"):
        data.pop(key)
    rep = EquivariantRepresentation.from_dict(data)
    y1, y2 = own_symbols(2)
    assert rep.Psi[1] == power_sum_symbol((1, 1)) - y1 * y2 and rep.method == "dense-expansion" and rep.verify()


def test_degree_option(capsys):
    assert main(["represent", "x2_1 + x3_1", "--n", "3", "--d", "1", "--degree", "2"]) == 0
    out = capsys.readouterr().out
    assert "Psi(y, p) = p_1 - y_1" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["x2_1", "--n", "3", "--d", "1"], "not invariant under permutations fixing token 1"),
        (["sin(x2_1)", "--n", "2", "--d", "1"], "constructions.continuous.approximate"),
        (["x4_1", "--n", "3", "--d", "1"], "x4_1 refers to token 4"),
        (["x1_1^2", "--n", "3", "--d", "1"], "'\\*\\*'"),
        (["__import__('os').system('echo pwned')", "--n", "2", "--d", "1"], "function calls are not allowed"),
        (["x1_1", "--n", "0", "--d", "1"], "--n and --d"),
        (["x1_1**3", "--n", "2", "--d", "1", "--degree", "1"], "degree"),
    ],
)
def test_errors_one_line_exit_2(args, message, capfd):
    assert main(["represent", *args]) == 2
    captured = capfd.readouterr()  # file-descriptor level: a spawned 'echo' would show up in out
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "polyapprox represent: error:" in captured.err
    import re

    assert re.search(message, captured.err)


@pytest.mark.parametrize("row, n", [("x1_1**24", "4"), ("x2_1**60 + x3_1**60", "3")])
def test_elimination_budget_one_line_exit_2(row, n, capfd):
    """Inputs that ran for minutes are refused from their sizes alone (the work estimate against the
    budget), with the option to raise the budget. No wall-clock assert: the budget is counted in work."""
    assert main(["represent", row, "--n", n, "--d", "1"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "--max-work" in err
    estimate = re.search(r"estimated at ([0-9.e+]+) work units .* more than the budget of ([0-9.e+]+)", err)
    assert estimate and float(estimate[1]) > float(estimate[2]) == polyapprox.MAX_SOLVE_WORK


def test_max_work_option(capsys):
    assert main(["represent", "x1_1**2", "--n", "2", "--d", "1", "--max-work", "35"]) == 2
    assert "budget of 35" in capsys.readouterr().err
    assert main(["represent", "x1_1**2", "--n", "2", "--d", "1", "--max-work", "36"]) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--n", "100000000000", "--d", "1"], "token variables"),
        (["--n", "1", "--d", "1000"], "estimating the size"),
        (["--n", "2", "--d", "1", "--degree", "1000000000000"], "degree 1,000,000,000,000 is more than"),
    ],
)
def test_huge_sizes_one_line_exit_2(args, message, capfd):
    """Hostile-input issue, items 3-4: these hung, ran out of memory or raised MemoryError."""
    assert main(["represent", "x1_1", *args]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_many_tokens_with_few_power_sums_used():
    """n = 1000: Psi = y_1 uses no power sum, so the certificate builds none (it built all 1000)."""
    from polyapprox import represent_equivariant

    rep = represent_equivariant("x1_1", 1000, 1)
    assert str(rep.Psi[0]) == "y_1" and rep.verify()
