"""Shared test settings: a non-interactive matplotlib backend, seeded generators, the session's quick report."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

if TYPE_CHECKING:
    from polyapprox.app.report.executor import SweepExecutor

#: tests/data holds recorded reference files and the scripts that wrote them (run by hand in an old
#: checkout, some with torch): never collected, not even for doctests.
collect_ignore = ["data"]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _estimates_for_an_idle_machine(monkeypatch):
    """The CLI's time estimates scale with the machine's current load (polyapprox.app.cli._estimate.load_factor);
    tests fix it at one process per core, so whether a command prints its estimate line does not depend on
    what else runs on the machine."""
    monkeypatch.setattr("polyapprox.app.cli._estimate.load_factor", lambda: 1.0)


@dataclass(frozen=True)
class QuickReport:
    """One `polyapprox reproduce --quick` run (every section): its folder, exit code, stdout and results,
    and what each section's data step computed (``data``, section name -> the dict its claims and render read)."""

    out: Path
    code: int
    stdout: str
    data: dict = field(default_factory=dict, repr=False)

    def replay(self, monkeypatch: pytest.MonkeyPatch, section: str) -> None:
        """Make ``section``'s data step return (a copy of) what it computed in this report.

        For tests of what happens AFTER the data step (a tolerance override failing a claim, the
        exit code, the error line): the section's claims and render still run, on the session's
        numbers, instead of computing the same sweeps and certificates again.
        """
        from polyapprox.app.report import section_specs

        recorded = self.data[section]
        monkeypatch.setattr(section_specs()[section], "_data", lambda ctx: copy.deepcopy(recorded))

    @property
    def results(self) -> dict:
        return json.loads((self.out / "results.json").read_text())

    def numbers(self, section: str) -> dict:
        return self.results["sections"][section]["numbers"]

    def figure(self, name: str) -> dict:
        """The description a report figure carries in its PNG (titles, labels, legend, plotted lines)."""
        from PIL import Image

        from polyapprox.app.report._plots import PNG_KEY

        with Image.open(self.out / f"{name}.png") as image:
            return json.loads(image.text[PNG_KEY])


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory) -> QuickReport:
    """The quick report, computed ONCE per test session and shared by every test that reads it
    (the end-to-end check, the README and docs numbers, the figures, the sections' claims).

    Written to a temporary folder, or to POLYAPPROX_QUICK_REPORT_DIR when set (.ci/run passes that folder
    to the docs build, which then copies the report instead of computing it again).
    """
    from polyapprox.app.cli import main
    from polyapprox.app.report import section_specs

    # POLYAPPROX_QUICK_REPORT_DIR keeps it: .ci/run hands it to the docs build (one quick report per CI run)
    kept = os.environ.get("POLYAPPROX_QUICK_REPORT_DIR")
    out = Path(kept) if kept else tmp_path_factory.mktemp("quick-report")
    stdout = io.StringIO()
    data: dict[str, dict] = {}

    def recording(name, compute):
        def run(ctx):
            result = compute(ctx)
            data[name] = copy.deepcopy(result)  # copied before the claims and the render read it
            return result

        return run

    with pytest.MonkeyPatch.context() as mp:  # the estimate-free CLI the other tests see
        mp.setattr("polyapprox.app.cli._estimate.load_factor", lambda: 1.0)
        for name, spec in section_specs().items():
            mp.setattr(spec, "_data", recording(name, spec._data))
        with contextlib.redirect_stdout(stdout):
            code = main(["reproduce", "--quick", "--out", str(out), "--no-progress"])
    return QuickReport(out, code, stdout.getvalue(), data)


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """The address of ONE local Dask cluster for the session (two worker processes, started as
    ``--scheduler local-dask`` starts it), for the tests that compare results across executors: they connect
    to it by address (the ``--scheduler ADDRESS`` path) instead of each starting a cluster whose workers import
    the numeric stack again. Starting a cluster (``local-dask``) keeps its own test in tests/test_executor.py."""
    pytest.importorskip("distributed")
    from polyapprox.app.report.executor import DaskExecutor

    executor = DaskExecutor("local-dask", jobs=2)
    try:
        assert executor._cluster is not None
        yield executor._cluster.scheduler_address
    finally:
        executor.close()


@pytest.fixture(scope="session")
def process_executor() -> Iterator[SweepExecutor]:
    """ONE pool of two local worker processes (``--jobs 2``) for the session, shared by the tests that compare
    results across executors (each pool's workers import the numeric stack once). The pool itself is tested,
    fresh, in tests/test_executor.py."""
    from polyapprox.app.report.executor import make_executor

    with make_executor(jobs=2) as executor:
        yield executor
