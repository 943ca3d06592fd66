"""Start-up cost of the CLI: CPU seconds of ``polyapprox --version``, ``--help`` and ``latent-dim 3 2``.

Each command runs in a fresh interpreter; CPU time (user + system) of the child from
``getrusage(RUSAGE_CHILDREN)``, median of REPEAT runs, beside the baseline ``python -c "import numpy,
sympy"`` measured in the same run (the ratio is what to compare across machines). Goal: each under
0.5 s CPU. Run: PYTHONPATH=. python benchmarks/bench_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from _common import child_cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    'python -c "import numpy, sympy" (baseline)': ["-c", "import numpy, sympy"],
    "polyapprox --version": ["-m", "polyapprox", "--version"],
    "polyapprox --help": ["-m", "polyapprox", "--help"],
    "polyapprox latent-dim 3 2": ["-m", "polyapprox", "latent-dim", "3", "2"],
    "polyapprox build --help (loads the kind registry)": ["-m", "polyapprox", "build", "--help"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU seconds of the CLI's start-up")
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):  # interleaved, so load changes hit every command alike
        for name, argv in COMMANDS.items():
            times[name].append(child_cpu_seconds([sys.executable, *argv], env=env))
    baseline = statistics.median(next(iter(times.values())))
    print(f"{'command':52} {'CPU s (median)':>14} {'min-max':>13} {'/ baseline':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:52} {median:14.3f} {min(values):6.3f}-{max(values):.3f} {median / baseline:10.2f}")


if __name__ == "__main__":
    main()
