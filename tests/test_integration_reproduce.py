"""End to end: `polyapprox reproduce --quick` writes every file and every claim passes; the report's
sweeps give identical results on every executor."""

import json

import pytest

from polyapprox.app.cli import main
from polyapprox.app.report import section_names
from polyapprox.app.report.continuous import fit_case
from polyapprox.app.report.executor import make_executor


def test_reproduce_quick_all_sections(quick_report):
    """The session's quick report (tests/conftest.py: computed once, read by the README, docs and figure tests)."""
    tmp_path = quick_report.out
    assert quick_report.code == 0
    results = quick_report.results
    assert set(results["sections"]) == set(section_names())
    assert results["all_passed"] and all(c["passed"] for c in results["claims"])
    assert len(results["claims"]) >= 20
    report = (tmp_path / "report.md").read_text()
    ran = {name: s for name, s in results["sections"].items() if "skipped" not in s["numbers"]}
    assert {"latent", "representation", "continuous", "discontinuous", "transformer", "sparse"} <= set(ran)
    drawn = {name for name, s in ran.items() if s["figures"]}
    assert set(ran) - drawn == {"representation"}, "every section that ran but the algebra's draws a figure"
    figures = [f for section in results["sections"].values() for f in section["figures"]]
    for figure in figures:
        assert (tmp_path / figure).read_bytes()[:4] == b"\x89PNG" and f"]({figure})" in report
    assert "claims passed" in quick_report.stdout


SWEEP = [("gaussian-kernel-sum", 3, 1, D, 300, 0) for D in (2, 3, 4)] + [("max-inner", 2, 2, 2, 300, 1)]


def _strip(results):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in results]


def test_sweeps_identical_on_every_executor(process_executor, dask_scheduler):
    """Serial, two local processes and a Dask cluster (the session's, tests/conftest.py) give the same fits."""
    serial = _strip(make_executor().map(fit_case, SWEEP))
    assert _strip(process_executor.map(fit_case, SWEEP)) == serial
    with make_executor(jobs=2, scheduler=dask_scheduler) as dask:
        assert _strip(dask.map(fit_case, SWEEP)) == serial


def _without_seconds(value):
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def test_reproduce_on_a_dask_cluster(tmp_path, quick_report, dask_scheduler):
    """`reproduce --scheduler ADDRESS` on a local Dask cluster (the session's, tests/conftest.py; the CLI hands
    the address to the executor as it hands `local-dask`, whose cluster start tests/test_executor.py covers):
    the discontinuous section (its sweeps run through the executor) gives the numbers and claims of the
    session's serial quick report."""
    assert (
        main(
            [
                "reproduce",
                "--quick",
                "--only",
                "discontinuous",
                "--out",
                str(tmp_path),
                "--no-progress",
                "--scheduler",
                dask_scheduler,
                "--jobs",
                "2",
            ]
        )
        == 0
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["executor"].startswith("dask")
    serial = quick_report.results
    assert _without_seconds(results["sections"]["discontinuous"]) == _without_seconds(
        serial["sections"]["discontinuous"]
    )
    assert results["claims"] == [c for c in serial["claims"] if c["section"] == "discontinuous"]


def test_unreachable_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    assert (
        main(
            [
                "reproduce",
                "--quick",
                "--only",
                "latent",
                "--out",
                str(tmp_path),
                "--no-progress",
                "--scheduler",
                "tcp://127.0.0.1:9",
            ]
        )
        == 2
    )
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def test_output_dir_cannot_be_created(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code = main(["reproduce", "--quick", "--only", "latent", "--out", str(blocker / "sub"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot use output directory" in err and len(err.strip().splitlines()) == 1
