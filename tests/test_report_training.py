"""Report section "training": its claims pass on the quick run and can fail (tolerance overrides)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason='needs the torch extra: pip install torch==2.13.0, then pip install -e ".[torch]"')

from polyapprox.app.report import run_report

pytestmark = pytest.mark.torch  # needs the torch extra: skipped without it, run by CI after the CPU pin (-m torch)


def test_training_section_claims_pass_and_can_fail(tmp_path, quick_report, monkeypatch):
    """The training section of the session's quick report passes; on its recorded curves, strict tolerances fail."""
    results = quick_report.results
    claims = [c for c in results["claims"] if c["section"] == "training"]
    assert claims and all(c["passed"] for c in claims), claims
    figures = results["sections"]["training"]["figures"]
    assert len(figures) == 4 and all((quick_report.out / f).exists() for f in figures)
    quick_report.replay(monkeypatch, "training")  # the claims and render run here, on the session's curves
    (strict,) = run_report(
        tmp_path / "strict",
        quick=True,
        only=["training"],
        progress=False,
        overrides={"start_gap": 1e-25, "loss_drop": 1e12, "learns": 1.1, "dense": 1.1},
    )
    failed = {c.id for c in strict.claims if not c.passed}  # the start gap is ~1e-19, not 0: see the passing run
    assert failed == {"TR-start", "TR-drop", "TR-copy", "TR-dense"}
