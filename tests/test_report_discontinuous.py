from polyapprox.app.report import run_report


def test_quick_section(quick_report):
    """The discontinuous section of the session's quick report (tests/conftest.py)."""
    tmp_path = quick_report.out
    results = quick_report.results
    assert {c["id"] for c in results["claims"] if c["section"] == "discontinuous"} == {
        "D1",
        "D2",
        "D3",
        "L4",
        "D-bounds",
        "D-rank",
    }
    assert results["all_passed"]
    assert [c for c in results["claims"] if c["id"] == "D2"][0]["measured"] == [3, 12, 45, 179, 716]
    assert [c for c in results["claims"] if c["id"] == "L4"][0]["measured"] == {
        "(2, 1, 4)": 10,
        "(3, 2, 4)": 816,
        "(4, 2, 8)": 766480,
    }
    assert (tmp_path / "discontinuous_error_and_rank.png").stat().st_size > 20_000
    assert "reconstruction" in (tmp_path / "report.md").read_text().lower()


def test_impossible_slope_tolerance_fails(tmp_path, quick_report, monkeypatch):
    quick_report.replay(monkeypatch, "discontinuous")  # the session's numbers: the claims run here with the override
    sections = run_report(tmp_path, quick=True, only=["discontinuous"], progress=False, overrides={"D1.slope": 0})
    assert [c.statement for s in sections for c in s.claims if not c.passed] == [
        "error proportional to delta: log-log slope in [0.8, 1.2]"
    ]
