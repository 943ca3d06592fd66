"""Helpers for benchmark scripts: best-of-k timing, peak memory of a call, peak RSS of a process."""

from __future__ import annotations

import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak memory allocated by Python/numpy during one call, in MB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def peak_rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    """Resident memory of this process now (VmRSS), in MB of 2^20 bytes, as :func:`peak_rss_mb`; 0 if unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0.0


def reset_peak_rss() -> float:
    """Reset this process's peak resident memory to its current one (Linux: /proc/self/clear_refs); returns it in MB.

    After it, ``peak_rss_mb() - reset_peak_rss()`` is the peak a later call adds to what was resident.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return peak_rss_mb()


def process_cpu() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def median_cpu(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of ``repeat`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = process_cpu()
        fn()
        times.append(process_cpu() - start)
    return statistics.median(times)


def child_cpu_seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    """CPU seconds (user + system) of one child process running ``argv`` (RUSAGE_CHILDREN difference)."""
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_certificate_cpu(path) -> str:
    """Run the standalone checker (python -I -S tools/check_certificate.py) on a certificate: the leaf boxes it
    checked (or REJECTED) and its CPU seconds."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    checker = Path(__file__).resolve().parents[1] / "tools" / "check_certificate.py"
    before = os.times()
    out = subprocess.run([sys.executable, "-I", "-S", str(checker), str(path)], capture_output=True, text=True)
    after = os.times()
    cpu = after.children_user - before.children_user + after.children_system - before.children_system
    leaves = out.stdout.rsplit("(", 1)[-1].split()[0] if out.returncode == 0 else "REJECTED"
    return f"{leaves:>7s} {cpu:6.1f}"


def one_blas_thread() -> None:
    """Bound BLAS/OpenMP pools of this process to one thread (every benchmark times on one thread: on a
    shared machine OpenBLAS's spinning threads cost up to 200x on small matrices) and torch to one thread."""
    import os

    from threadpoolctl import threadpool_limits

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # child processes too
        os.environ[name] = "1"
    threadpool_limits(1)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional
        return
    torch.set_num_threads(1)
