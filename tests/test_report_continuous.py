import json

import pytest

from polyapprox.app.cli import main


@pytest.fixture
def quick_run(quick_report):
    """The folder of the session's quick report (tests/conftest.py), whose continuous section certifies seven fits."""
    return quick_report.out


def test_quick_section_files_and_claims(quick_run):
    tmp_path = quick_run
    results = json.loads((tmp_path / "results.json").read_text())
    claims = [c for c in results["claims"] if c["section"] == "continuous"]
    assert {c["id"] for c in claims} >= {"C1", "C2", "C-equivariance"} and results["all_passed"]
    fits = results["sections"]["continuous"]["numbers"]["fits"]
    c1 = [f for f in fits if (f["target"], f["n"], f["d"]) == ("gaussian-kernel-sum", 3, 1)]
    assert [f["coefficients"] for f in c1] == [7, 25, 64, 136]
    assert (tmp_path / "continuous_error_vs_degree.png").stat().st_size > 20_000
    assert "reconstruction" in (tmp_path / "report.md").read_text().lower()


def test_impossible_tolerance_fails_claim_and_exit_code(tmp_path, capsys, quick_report, monkeypatch):
    quick_report.replay(monkeypatch, "continuous")  # the session's fits: the claims, render and exit code run here
    code = main(
        [
            "reproduce",
            "--quick",
            "--only",
            "continuous",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--tolerance",
            "C1.threshold_scale=0",
        ]
    )
    assert code == 1
    results = json.loads((tmp_path / "results.json").read_text())
    failed = [c for c in results["claims"] if not c["passed"]]
    assert not results["all_passed"] and [c["id"] for c in failed] == ["C1"]
    assert "FAILED C1" in capsys.readouterr().err


def test_bad_tolerance_option(tmp_path, capsys):
    assert main(["reproduce", "--only", "continuous", "--out", str(tmp_path), "--tolerance", "C.factor"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_quick_section_certifies_the_reference_fits(quick_run):
    """The goal of certification: the reference fits (gaussian-kernel-sum, n = 3, d = 1, degrees 2-8, 4000 samples,
    seed 0) certified within 1.5x, and those at d = 2 within 3x, inside the report's box budgets."""
    import numpy as np

    from constructions import continuous, targets

    tmp_path = quick_run
    results = json.loads((tmp_path / "results.json").read_text())
    fits = results["sections"]["continuous"]["numbers"]["fits"]
    certified = [f for f in fits if "certified" in f]
    assert [(f["n"], f["d"], f["degree"]) for f in certified] == [(3, 1, D) for D in (2, 4, 6, 8)] + [
        (3, 2, D) for D in (2, 3, 4)
    ]
    for f in certified:
        c = f["certified"]
        ratio = 1.5 if f["d"] == 1 else 3.0
        assert f["test_sup_error"] <= c["lower"] <= c["upper"] <= ratio * c["lower"] and c["reached"]
    # independent reference: the degree-2 fit refitted and sampled densely never exceeds the certified upper bound
    model, _ = continuous.approximate(
        targets.get("gaussian-kernel-sum"),
        3,
        1,
        2,
        samples=4000,
        seed=0,
        config=continuous.FitConfig(test_samples=4000),
    )
    X = np.random.default_rng(7).uniform(size=(200_000, 3, 1))
    dense = float(np.abs(model(X) - targets.get("gaussian-kernel-sum")(X)).max())
    assert dense <= certified[0]["certified"]["upper"]
    assert dense > 0.2  # the sup is above the sample threshold 2e-1 of claim C1, as the certified lower says
    claims = {
        (c["id"], c["statement"][:20]): c["passed"]
        for c in results["claims"]
        if "certified" in c["id"] and c["section"] == "continuous"
    }
    assert len(claims) == 3 and all(claims.values())
    assert "certified sup [lower, upper]" in (tmp_path / "report.md").read_text()


def test_certified_claims_fail_on_violations():
    from polyapprox.app.report._model import ReportContext
    from polyapprox.app.report.continuous import SECTION, _c1_certified, _certified_holds, _certified_reached

    ctx = ReportContext(out=None, quick=True, defaults=SECTION.tolerances)
    good = [
        {
            "degree": D,
            "d": 1,
            "test_sup_error": u / 2,
            "certified": {
                "lower": u / 1.2,
                "upper": u,
                "ratio": 1.2,
                "reached": True,
                "boxes": 100,
                "certificate": f"c{D}.json",
            },
        }
        for D, u in zip((2, 4, 6, 8), (0.25, 0.04, 3e-3, 1.5e-4))
    ]
    data = {"fits": good, "_C1": good}
    assert _certified_holds(ctx, data).passed and _certified_reached(ctx, data).passed
    assert _c1_certified(ctx, data).passed
    above_threshold = [dict(r, certified=dict(r["certified"], upper=r["certified"]["upper"] * 3)) for r in good]
    assert not _c1_certified(ctx, {"fits": above_threshold, "_C1": above_threshold}).passed
    sample_above_upper = [dict(r, test_sup_error=r["certified"]["upper"] * 1.01) for r in good]
    assert not _certified_holds(ctx, {"fits": sample_above_upper, "_C1": good}).passed
    unreached = [dict(r, certified=dict(r["certified"], reached=False)) for r in good]
    assert not _certified_reached(ctx, {"fits": unreached, "_C1": unreached}).passed
    assert not _certified_holds(ctx, {"fits": [], "_C1": []}).passed
    unnamed = [dict(r, certified={k: v for k, v in r["certified"].items() if k != "certificate"}) for r in good]
    assert not _certified_reached(ctx, {"fits": unnamed, "_C1": unnamed}).passed


@pytest.mark.slow
def test_the_checker_accepts_every_certificate_the_report_writes(quick_run):
    """Each certified fit names its certificate in the report folder; the standalone checker accepts it."""
    from _checker import check

    results = json.loads((quick_run / "results.json").read_text())
    certified = [f["certified"] for f in results["sections"]["continuous"]["numbers"]["fits"] if "certified" in f]
    assert len(certified) == 7
    for c in certified:
        code, out = check(quick_run / c["certificate"])
        assert code == 0, out
        assert f"[{c['lower']!r}, {c['upper']!r}]" in out
