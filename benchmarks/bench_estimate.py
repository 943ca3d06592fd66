"""Accuracy of the CLI's time and memory models (polyapprox/app/cli/_estimate.py) against runs measured in this session.

Least-squares fits (gaussian-kernel-sum, default samples) each run in a fresh process
(_fit_child.py, the library call only, as the model estimates it) and ``build discontinuous``
(the whole CLI command, as its model estimates it); several repetitions each. Prints, per case,
the CPU model against the median CPU seconds, and the wall estimate (CPU model x the load per core
when the run starts, as the CLI prints it) against the median and range of the wall seconds. The
machine is shared, so wall time depends on the load (printed). For the fits also the memory
estimates against the child's measured peak resident memory (VmHWM): the fit's own
(``continuous.fit_memory_bytes``) against the peak above the resident memory at the call, and the
CLI's (``fit_bytes``: the process before the fit plus the fit's own) against the whole peak (MB of
10^6 bytes; largest of the runs).
Run: python benchmarks/bench_estimate.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from polyapprox.app.cli._estimate import (
    PROCESS_BYTES,
    discontinuous_cpu_seconds,
    fit_bytes,
    fit_cpu_seconds,
    load_factor,
)

sys.path.insert(0, str(Path(__file__).parent))
from _common import one_blas_thread

HERE = Path(__file__).resolve().parent
FITS = [(3, 2, 4), (4, 2, 6), (4, 3, 5), (5, 2, 8), (6, 3, 6)]
DISCONTINUOUS = [(3, 3, 20), (4, 3, 20), (4, 3, 24)]


#: peak resident MB above the start and whole peak MB of each fit run (filled by fit_run)
MEMORY: dict[tuple[int, int, int], list[tuple[float, float]]] = {}


def fit_run(n: int, d: int, degree: int) -> tuple[float, float, float]:
    factor = load_factor()
    out = subprocess.run(
        [sys.executable, str(HERE / "_fit_child.py"), str(n), str(d), str(degree), "default", "default"],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
    ).stdout
    record = json.loads(out.strip().splitlines()[-1])
    mib = 2**20 / 1e6
    peak, start = record["rss_peak_mb"] * mib, record["rss_start_mb"] * mib
    MEMORY.setdefault((n, d, degree), []).append((peak - start, peak))
    return record["seconds"], record["cpu_seconds"], factor


def memory_report(n: int, d: int, degree: int) -> tuple[float, float]:
    """Print the memory estimates of one fit case against its runs; return both ratios (estimate / measured)."""
    own_measured = max(m for m, _ in MEMORY[(n, d, degree)])
    peak_measured = max(p for _, p in MEMORY[(n, d, degree)])
    cli = fit_bytes(n, d, degree, None)[0] / 1e6
    own = cli - PROCESS_BYTES / 1e6
    print(
        f"  {f'(n, d, D) = ({n}, {d}, {degree})':<26} memory: fit {own:6.0f} MB estimated, {own_measured:6.0f} MB "
        f"measured, ratio {own / own_measured:4.2f} | process {cli:6.0f} MB estimated, {peak_measured:6.0f} MB "
        f"measured peak, ratio {cli / peak_measured:4.2f}",
        flush=True,
    )
    return own / own_measured, cli / peak_measured


def discontinuous_run(n: int, d: int, k: int) -> tuple[float, float, float]:
    factor = load_factor()
    cmd = [sys.executable, "-m", "polyapprox", "build", "discontinuous", "--target", "gaussian-kernel-sum"]
    cmd += ["--n", str(n), "--d", str(d), "--k", str(k), "--json", "--no-progress"]
    before = os.times()
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, factor


def startup_run() -> tuple[float, float, float]:
    """The CLI's start-up: 'polyapprox targets' (imports and parser, no work)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "polyapprox", "targets"], capture_output=True, check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - start, cpu, 1.0


def report(label: str, cpu_model: float, runs: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Print one case; return (CPU model / median CPU, wall estimate / median wall)."""
    walls = [w for w, _, _ in runs]
    median = statistics.median(walls)
    cpu = statistics.median(c for _, c, _ in runs)
    estimate = statistics.median(cpu_model * f for _, _, f in runs)  # as the CLI estimates: x load at the start
    print(
        f"  {label:<26} cpu: model {cpu_model:6.2f} s, measured {cpu:6.2f} s, ratio {cpu_model / cpu:4.2f} | "
        f"wall: estimate {estimate:6.2f} s, measured {median:6.2f} s (range {min(walls):.2f}-{max(walls):.2f}, "
        f"{len(walls)} runs), ratio {estimate / median:4.2f}",
        flush=True,
    )
    return cpu_model / cpu, estimate / median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the two largest cases of each kind")
    args = parser.parse_args()
    fits, discs = (FITS[:-2], DISCONTINUOUS[:-1]) if args.quick else (FITS, DISCONTINUOUS)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    ratios = []
    print("least-squares fits (continuous.approximate, fresh process each):")
    for n, d, degree in fits:
        runs = [fit_run(n, d, degree) for _ in range(args.repeat)]
        ratios.append(report(f"(n, d, D) = ({n}, {d}, {degree})", fit_cpu_seconds(n, d, degree, None), runs))
    print("memory of the same fits (estimate before the fit vs peak resident memory of the child):")
    memory = [memory_report(*case) for case in fits]
    print(
        f"fit memory estimate / measured: from {min(m for m, _ in memory):.2f} to {max(m for m, _ in memory):.2f}; "
        f"process: from {min(p for _, p in memory):.2f} to {max(p for _, p in memory):.2f}"
    )
    startup = statistics.median(startup_run()[1] for _ in range(args.repeat))
    print(f"build discontinuous (whole CLI command, 4096 samples; start-up {startup:.2f} s CPU added to the model):")
    for n, d, k in discs:
        runs = [discontinuous_run(n, d, k) for _ in range(args.repeat)]
        # the command's start-up (imports), which the estimate leaves out, is measured separately
        model = discontinuous_cpu_seconds(n, d, k, 4096) + startup
        ratios.append(report(f"(n, d, k) = ({n}, {d}, {k})", model, runs))
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    cpu_ratios, wall_ratios = zip(*ratios)
    print(f"CPU model / measured CPU: from {min(cpu_ratios):.2f} to {max(cpu_ratios):.2f}")
    print(
        f"wall estimate (CPU model x load per core) / measured wall: from {min(wall_ratios):.2f} to {max(wall_ratios):.2f}"
    )


if __name__ == "__main__":
    one_blas_thread()  # every benchmark times on one BLAS (and torch) thread
    main()
