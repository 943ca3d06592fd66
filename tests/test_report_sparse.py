"""Report section "sparse" (MATH.md 11, S1-S7), quick mode."""

from __future__ import annotations

import json

import pytest

from polyapprox.app.report import run_report
from polyapprox.app.report.cases import CASES


def test_quick_section_files_and_claims(quick_report):
    """The sparse section of the session's quick report (tests/conftest.py)."""
    tmp_path = quick_report.out
    results = quick_report.results
    claims = {c["id"]: c for c in results["claims"] if c["section"] == "sparse"}
    assert {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S-universal", "S-universal-softmax"} <= set(claims)
    assert results["all_passed"] is True
    assert claims["S-universal"]["measured"]["STAR n=3, delta=1/3"] == "27/27"
    for name in ("sparse_masks.png", "sparse_reachability.png", "sparse_assumption2.png"):
        assert (tmp_path / name).stat().st_size > 1000
    report = (tmp_path / "report.md").read_text()
    assert "reconstruction" in report and "| FIXED w=5 | 16 | 76, 61 | 2 | - | fails: connectivity |" in report
    assert "| STAR n=3 | 4+1 | 9 | 73 | 3/2 |" in report


def test_impossible_tolerance_and_wrong_expectation_fail(tmp_path, monkeypatch, quick_report):
    quick_report.replay(monkeypatch, "sparse")  # the session's numbers: the claims run here against the changed cases
    monkeypatch.setitem(CASES["S1"].expected, "dense", (1, 2, [256]))
    monkeypatch.setitem(CASES["S2"].expected, "STAR n=3", ((("star", 3), 3, 1, "1/2"), (4, 1, 9, 74)))
    run_report(
        tmp_path, quick=True, only=["sparse"], progress=False, overrides={"S5.rel": 0.0, "S-universal.zero": 0.0}
    )
    claims = {c["id"]: c["passed"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert claims["S1"] is False and claims["S2"] is False and claims["S5"] is False and claims["S4"] is True
    assert claims["S-universal-softmax"] is False and claims["S-universal"] is True


@pytest.mark.slow
def test_full_section(tmp_path):
    run_report(tmp_path, quick=False, only=["sparse"], progress=False)
    report = (tmp_path / "report.md").read_text()
    assert "| STRIDED w=32 | 1024 |" in report and "| STAR n=3, d=2 | 8+1 | 111 | 889 |" in report
