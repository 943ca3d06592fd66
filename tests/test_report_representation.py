"""Report section "representation" (MATH.md section 11, P1-P4), quick mode."""

from __future__ import annotations

import json

import pytest

from polyapprox.app.report import representation as section
from polyapprox.app.report import run_report
from polyapprox.app.report.cases import CASES


def test_quick_section_files_and_claims(tmp_path):
    sections = run_report(tmp_path, quick=True, only=["representation"], progress=False)
    assert [s.name for s in sections] == ["representation"]
    results = json.loads((tmp_path / "results.json").read_text())
    claims = {c["id"]: c for c in results["claims"]}
    assert {"P1", "P2", "P3", "P4", "P-table"} <= set(claims) and results["all_passed"] is True
    assert claims["P3"]["measured"]["candidates"] == 121
    report = (tmp_path / "report.md").read_text()
    assert r"\Psi^{(2)}(y, s) &= s_{11} - y_{1} y_{2}" in report  # the worked example in LaTeX
    assert "| 3 | 2 | 4 | 141 |" in report and "reconstruction" in report


def test_jacobian_ranks_match_math_md():
    for (n, d), (full, refined) in CASES["P4"].expected.items():
        assert section.jacobian_ranks(n, d, K=n, seed=3) == full
        assert section.jacobian_ranks(n, d, K=n - 1, seed=3) == refined
    assert section.jacobian_ranks(1, 2, K=0) == (0, 2)


def test_a_wrong_expectation_fails_the_claim(tmp_path, monkeypatch):
    monkeypatch.setitem(CASES["P1"].expected, (2, 2, 3, 2), 51)
    monkeypatch.setitem(CASES["P4"].expected, (3, 1), ((3, 3), (3, 3)))
    run_report(tmp_path, quick=True, only=["representation"], progress=False)
    claims = {c["id"]: c["passed"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert claims["P1"] is False and claims["P4"] is False and claims["P2"] is True


@pytest.mark.slow
def test_full_section(tmp_path):
    run_report(tmp_path, quick=False, only=["representation"], progress=False)
    report = (tmp_path / "report.md").read_text()
    assert "| 5 | 3 | 5 | 1579 |" in report
