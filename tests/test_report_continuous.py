import json

from polyapprox.cli import main
from polyapprox.report import run_report


def test_quick_section_files_and_claims(tmp_path):
    run_report(tmp_path, quick=True, only=["continuous"], progress=False)
    results = json.loads((tmp_path / "results.json").read_text())
    claims = [c for c in results["claims"] if c["section"] == "continuous"]
    assert {c["id"] for c in claims} >= {"C1", "C2", "C-equivariance"} and results["all_passed"]
    fits = results["sections"]["continuous"]["numbers"]["fits"]
    c1 = [f for f in fits if (f["target"], f["n"], f["d"]) == ("gaussian-kernel-sum", 3, 1)]
    assert [f["coefficients"] for f in c1] == [7, 25, 64, 136]
    assert (tmp_path / "continuous_error_vs_degree.png").stat().st_size > 20_000
    assert "reconstruction" in (tmp_path / "report.md").read_text().lower()


def test_impossible_tolerance_fails_claim_and_exit_code(tmp_path, capsys):
    code = main(["reproduce", "--quick", "--only", "continuous", "--out", str(tmp_path), "--no-progress",
                 "--tolerance", "C1.threshold_scale=0"])
    assert code == 1
    results = json.loads((tmp_path / "results.json").read_text())
    failed = [c for c in results["claims"] if not c["passed"]]
    assert not results["all_passed"] and [c["id"] for c in failed] == ["C1"]
    assert "FAILED C1" in capsys.readouterr().err


def test_bad_tolerance_option(tmp_path, capsys):
    assert main(["reproduce", "--only", "continuous", "--out", str(tmp_path), "--tolerance", "C.factor"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
