"""Hostile-input findings about work: short inputs whose work explodes are refused from their sizes, in one line.

Each case here hung (killed at 60 s) or took tens of seconds before refusing. The refusals come from
estimates made before the work (syntax-tree term bounds, closed-form sizes); none of these tests
measures time: a regression makes them hang, which the suite's own timeout reports.
"""

from __future__ import annotations

import pytest

from polyapprox import SolveConfig, represent_equivariant
from polyapprox.app.cli import main
from polyapprox.internal import SizeError


def _sum(n: int, d: int = 1, start: int = 1) -> str:
    return " + ".join(f"x{i}_{k}" for i in range(start, n + 1) for k in range(1, d + 1))


def _binomials(k: int) -> str:
    return "*".join(f"(x1_1 + x{i}_1)" for i in range(2, k + 2))


#: (name, first row, n, d, phrase of the refusal)
HANGS = [
    ("sum_of_100_tokens_cubed_at_n100", f"({_sum(100)})**3", 100, 1, "expanding"),
    ("sum_of_1000_tokens_squared_at_n1000", f"({_sum(1000)})**2", 1000, 1, "expanding"),
    ("product_of_19_binomials", _binomials(19), 20, 1, "expanding"),
    ("product_of_15_binomials", _binomials(15), 16, 1, "certifying Psi"),
    ("sum_of_all_to_the_8_at_n8_d2", f"({_sum(8, 2)})**8", 8, 2, "expanding"),
    ("sum_of_all_to_the_7_at_n7_d3", f"({_sum(7, 3)})**7", 7, 3, "expanding"),
]


@pytest.mark.parametrize("name, row, n, d, phrase", HANGS, ids=[h[0] for h in HANGS])
def test_represent_short_input_with_huge_expansion_is_refused_in_one_line(capsys, name, row, n, d, phrase):
    assert main(["represent", row, "--n", str(n), "--d", str(d)]) == 2
    err = capsys.readouterr().err
    assert phrase in err and "work units" in err and "--max-work" in err and len(err.strip().splitlines()) == 1


def test_represent_api_expansion_budget_is_a_size_error_and_max_work_raises_it():
    row = f"({_sum(8)})**3"  # C(10, 3) = 120 terms in 8 variables, degree 3: 120 * 8 * 3 * 3000 units
    with pytest.raises(SizeError, match="expanding"):
        represent_equivariant(f"({_sum(100)})**3", 100, 1)
    rep = represent_equivariant(row, 8, 1)
    assert rep.stats is not None and rep.stats.verified
    assert rep.Psi[0] == represent_equivariant(row, 8, 1, config=SolveConfig(max_work=10**12)).Psi[0]


@pytest.mark.parametrize("form", ["expression", "matrix", "rows of strings"])
def test_represent_api_bounds_the_expansion_of_sympy_input_too(monkeypatch, form):
    """F given as sympy objects (or a list of strings) is bounded by the same budget as a string, before expanding."""
    import sympy

    from polyapprox import sequence_symbols
    from polyapprox.exact import _equivariance

    def never(*args, **kwargs):
        raise AssertionError("F was expanded before its expansion was bounded")

    monkeypatch.setattr(_equivariance, "expr_to_terms", never)
    power = sympy.Add(*sequence_symbols(8, 2)) ** 8  # unexpanded: C(23, 8) = 490,314 terms, degree 8, 16 variables
    F = {"expression": power, "matrix": sympy.Matrix([[power]]), "rows of strings": [[f"({_sum(8, 2)})**8"]]}[form]
    with pytest.raises(SizeError, match=r"budget of 3e\+10; raise it with SolveConfig\(max_work=\.\.\.\)") as info:
        represent_equivariant(F, 8, 2)
    assert "\n" not in str(info.value)
    with pytest.raises(SizeError, match=r"up to 1,000,00[1-9] terms of degree 1000000"):  # C(10^6 + 1, 10^6), log-gamma
        represent_equivariant(sympy.Add(*sequence_symbols(2, 1)) ** (10**6), 2, 1)


def test_represent_sum_of_999_other_tokens_at_n1000_finishes(capsys):
    """The CLI certified every one of the n rows again (n times the engine's work); the engine's certificate of
    row 1 with F's equivariance covers them all."""
    assert main(["represent", _sum(1000, 1, 2), "--n", "1000", "--d", "1"]) == 0
    out = capsys.readouterr().out
    assert "Psi(y, p) = p_1 - y_1" in out and "verified" in out


def test_build_discontinuous_k_1000000_is_refused_from_the_sizes(capsys):
    argv = ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "1000000"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "work units" in err and "--max-work" in err and len(err.strip().splitlines()) == 1
    assert main([*argv[:-1], "2000000"]) == 2  # past the size accounting's own limit: refused before building
    assert "2,000,000 cells" in capsys.readouterr().err


def test_build_discontinuous_max_work_option_sets_the_budget(capsys):
    argv = ["build", "discontinuous", "--target", "centered", "--n", "2", "--d", "1", "--k", "3"]
    assert main([*argv, "--max-work", "1"]) == 2
    assert "budget of 1" in capsys.readouterr().err
    assert main(argv) == 0
