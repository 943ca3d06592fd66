"""Cost of the default test suite and of the documentation build: wall and CPU seconds against their goals.

Each runs in a child process from the repository root: the README's test command (``python -m pytest``,
here with ``-p no:cacheprovider -q``) and the docs build (``sphinx-build -W -q -b html docs <tmp>``).
CPU time is user + system of the children (``getrusage(RUSAGE_CHILDREN)``: the child and every
process it waited for, the notebook kernels and the subprocess tests included). On a shared machine the
wall time follows the load; the CPU time is what a run costs, so the goals are compared on both, with
the load average printed beside them. BLAS/OpenMP/torch pools are bounded to one thread in the children.

Goals: the default suite under 150 s CPU on 2 cores, the docs build under 5 minutes.

What the default suite spends (``--as-stage-1``, CPU per test with its subprocesses; 2 cores): the quick
report about 37 s (computed once per session and read by every test that needs it; before main's sparse Taylor
models, its continuous section's certifications were 13 s of it), the local Dask and process-pool tests 22 s,
the notebooks 17 s, the fuzz subprocesses 15 s, collection and start-up 5-7 s, about 3,000 small tests 14 s.
Cut without losing a check (CPU measured file by file, old and new versions back to back at the same load
average of 7-8):

- the notebooks of the numeric layer (03-09) are slow cases: the docs build executes every notebook with
  raise-on-error and the slow stage runs them here; the exact core's two still run (18.3 -> 2.9 s);
- the default fuzz run runs the explicit batches (the findings, the hostile inputs) only, test_fuzz_cli's two
  in one subprocess; the generated batches run in the slow stage's ``_long`` twins (17.1 -> 11.1 s);
- one local Dask cluster and one two-process pool per session for the tests that compare results across
  executors (they connect by address); starting a ``local-dask`` cluster keeps its own test (66.3 -> 60.4 s
  for the three files, the quick report included);
- ``POLYAPPROX_BLAS_THREADS`` read in-process from a fresh bound, one subprocess per test kept for the real
  interpreter start (5.4 -> 3.1 s);
- the representation grid's interior degrees above n d = 4, where it compares two solvers only (3.9 -> 2.8 s).

- the discontinuous certification's (2, 3, corner) case by default for one target only (4.4 -> 4.0 s at load 3).

Together about 31 s CPU at that load. The whole suite (``--as-stage-1``): 181 s CPU at a load average of 4
before (CI's first stage: 200 s CPU at load 1), 186 s CPU at a load average of 7-8 after these cuts; then the
faster certification (sparse Taylor models; ReLU squaring chains bounded as one unit) took the quick report from
about 30 to 9 s CPU: 127 s CPU, 137 s wall at a load average of 1.0 (3182 passed, 120 skipped), under the goal.

Run: ``python benchmarks/bench_suite.py`` (both), ``--only suite`` or ``--only docs``; pass pytest
options after ``--``. ``--as-stage-1`` measures, in an environment that has the optional extras, what CI's
first stage runs (the README's test command in a venv with only the test extra): the children cannot find
torch, the interop packages or the docs extra's own packages (a ``sitecustomize`` on PYTHONPATH hides them
from the path finder; the subprocess tests and notebook kernels inherit it), so the torch
tests and doctests skip as they do there, and the quick report skips its training sections. Selecting
with ``-m "not torch"`` instead is not the same run: the quick report then computes the torch sections.
``--docs-report FOLDER`` lets the docs build copy an existing quick report instead of computing one (what
.ci/run does).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: goal -> seconds (CPU for the suite, wall and CPU for the docs build)
GOALS = {"suite": 150.0, "docs": 300.0}
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
#: what CI's first stage does not install: the torch and interop extras and the docs extra's own packages
#: (sphinx itself is there: numpydoc, in the test extra, requires it)
STAGE_1_ABSENT = (
    "torch",
    "linformer",
    "performer_pytorch",
    "myst_parser",
    "myst_nb",
    "furo",
    "sphinxarg",
    "sphinx_mathjax_offline",
)


#: a sitecustomize that hides packages as if they were not installed: the path finder does not find them, so
#: ``import`` raises ModuleNotFoundError and ``importlib.util.find_spec`` returns None (a ``None`` in sys.modules
#: would not do: scipy's array-API helpers read ``sys.modules["torch"]`` when the key is there)
HIDE = """import sys
from importlib.machinery import PathFinder

HIDDEN = {names!r}


class _WithoutHidden(PathFinder):
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname.partition(".")[0] in HIDDEN:
            return None
        return super().find_spec(fullname, path, target)


sys.meta_path[:] = [_WithoutHidden if finder is PathFinder else finder for finder in sys.meta_path]
"""


def without(names: tuple[str, ...], folder: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with a ``sitecustomize`` in ``folder`` first on PYTHONPATH that hides the packages ``names``."""
    (folder / "sitecustomize.py").write_text(HIDE.format(names=set(names)))
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH")) if p)}


def load() -> str:
    """The 1, 5 and 15 minute load averages and the number of cores."""
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"


def measure(argv: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """(exit code, wall seconds, CPU seconds of the child and the processes it waited for) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return code, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report(name: str, code: int, wall: float, cpu: float) -> None:
    goal = GOALS[name]
    print(
        f"{name:6} exit {code}: {wall:7.1f} s wall, {cpu:7.1f} s CPU; "
        f"CPU / goal {cpu / goal:.2f}, wall / goal {wall / goal:.2f} (goal {goal:.0f} s); {load()}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="wall and CPU seconds of the default test suite and the docs build")
    parser.add_argument("--only", choices=sorted(GOALS), help="run only this one")
    parser.add_argument(
        "--docs-report", help="a quick report folder for the docs build to copy (POLYAPPROX_DOCS_REPORT)"
    )
    parser.add_argument(
        "--as-stage-1",
        action="store_true",
        help="the suite as CI's first stage runs it: torch, the interop and the docs packages unimportable",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest options (after --)")
    args = parser.parse_args()
    env = {**os.environ, **ONE_THREAD}
    print(f"before: {load()}", flush=True)
    if args.only in (None, "suite"):
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args.pytest_args]
        with tempfile.TemporaryDirectory() as blocked:
            suite_env = without(STAGE_1_ABSENT, Path(blocked), env) if args.as_stage_1 else env
            report("suite", *measure(argv, suite_env))
    if args.only in (None, "docs"):
        docs_env = dict(env)
        if args.docs_report:
            docs_env["POLYAPPROX_DOCS_REPORT"] = str(Path(args.docs_report).resolve())
        with tempfile.TemporaryDirectory() as tmp:
            argv = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "docs", str(Path(tmp) / "html")]
            report("docs", *measure(argv, docs_env))


if __name__ == "__main__":
    main()
