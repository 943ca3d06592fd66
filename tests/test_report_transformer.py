import json

from polyapprox.report import run_report


def test_quick_section(tmp_path):
    run_report(tmp_path, quick=True, only=["transformer"], progress=False)
    results = json.loads((tmp_path / "results.json").read_text())
    assert {c["id"] for c in results["claims"]} == {"T1", "T2", "T3", "T4", "T5", "T-relu"}
    assert results["all_passed"]
    numbers = results["sections"]["transformer"]["numbers"]
    assert numbers["T3"] > 1e-3 and max(numbers["T1"]) <= 1e-13
    assert all(r["measured"] <= r["bound"] for r in numbers["relu"])
    assert (tmp_path / "transformer_relu_and_cost.png").stat().st_size > 20_000
    report = (tmp_path / "report.md").read_text()
    assert "ONE attention layer" in report and "reconstruction" in report.lower()


def test_impossible_tolerance_fails(tmp_path):
    sections = run_report(tmp_path, quick=True, only=["transformer"], progress=False, overrides={"T3.min": 1e9})
    failed = [c.id for s in sections for c in s.claims if not c.passed]
    assert failed == ["T3"]
