import pytest
from _checker import check

from polyapprox.app.report import run_report


def test_quick_section(quick_report):
    """The transformer section of the session's quick report (tests/conftest.py)."""
    tmp_path = quick_report.out
    results = quick_report.results
    claims = [c for c in results["claims"] if c["section"] == "transformer"]
    assert {c["id"] for c in claims} == {"T1", "T2", "T3", "T4", "T5", "T-relu", "T-relu-certified"}
    assert results["all_passed"]
    numbers = results["sections"]["transformer"]["numbers"]
    assert numbers["T3"] > 1e-3 and max(numbers["T1"]) <= 1e-13
    assert all(r["measured"] <= r["bound"] for r in numbers["relu"])
    certified = [r for r in numbers["relu"] if "certified" in r]
    assert [r["m"] for r in certified] == [2]
    for r in certified:
        c = r["certified"]
        assert r["measured"] <= c["lower"] <= c["upper"] <= min(1.5 * c["lower"], r["bound"]) and c["reached"]
    assert (tmp_path / "transformer_relu_and_cost.png").stat().st_size > 20_000
    report = (tmp_path / "report.md").read_text()
    assert "ONE attention layer" in report and "reconstruction" in report.lower()


def test_impossible_tolerance_fails(tmp_path, quick_report, monkeypatch):
    quick_report.replay(monkeypatch, "transformer")  # the session's numbers: the claims run here with the override
    sections = run_report(tmp_path, quick=True, only=["transformer"], progress=False, overrides={"T3.min": 1e9})
    failed = [c.id for s in sections for c in s.claims if not c.passed]
    assert failed == ["T3"]


def test_certified_relu_claim_fails_above_the_a_priori_bound():
    from polyapprox.app.report._model import ReportContext
    from polyapprox.app.report.transformer import SECTION, _t_relu_certified

    ctx = ReportContext(out=None, quick=True, defaults=SECTION.tolerances)
    row = {
        "m": 2,
        "measured": 0.7,
        "bound": 13.0,
        "certified": {"lower": 0.75, "upper": 1.1, "ratio": 1.47, "reached": True, "certificate": "c.json"},
    }
    assert _t_relu_certified(ctx, {"relu": [row]}).passed
    unnamed = {k: v for k, v in row["certified"].items() if k != "certificate"}
    assert not _t_relu_certified(ctx, {"relu": [dict(row, certified=unnamed)]}).passed
    assert not _t_relu_certified(ctx, {"relu": [dict(row, bound=1.0)]}).passed
    assert not _t_relu_certified(ctx, {"relu": [dict(row, measured=1.2)]}).passed
    assert not _t_relu_certified(ctx, {"relu": [dict(row, certified=dict(row["certified"], reached=False))]}).passed


@pytest.mark.slow
def test_the_checker_accepts_the_relu_certificate_the_report_writes(quick_report):
    """The certified ReLU row names its certificate in the report folder; the standalone checker accepts it
    and states the report's interval."""
    rows = [r for r in quick_report.results["sections"]["transformer"]["numbers"]["relu"] if "certified" in r]
    assert [r["certified"]["certificate"] for r in rows] == ["certificate_relu_network_m2.json"]
    for r in rows:
        c = r["certified"]
        code, out = check(quick_report.out / c["certificate"])
        assert code == 0, out
        assert f"[{c['lower']!r}, {c['upper']!r}]" in out and "|T - S|" in out
    assert "certificate_relu_network_m2.json" in (quick_report.out / "report.md").read_text()
